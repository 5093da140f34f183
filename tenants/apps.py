from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and users"

    def ready(self):
        from tenants.api import schema  # noqa: F401  (registers the OpenAPI auth extensions)
