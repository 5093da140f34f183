from django.apps import AppConfig


class MikmanConfig(AppConfig):
    name = "mikman"
    verbose_name = "mikman platform"

    def ready(self):
        from mikman import checks  # noqa: F401 - registers the settings checks
