from django.apps import AppConfig


class RadiusConfig(AppConfig):
    name = "radius"

    def ready(self) -> None:
        from radius import provisioning  # noqa: F401  (registers the NAS secret with devices.push)
