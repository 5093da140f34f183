from django.apps import AppConfig


class RadiusConfig(AppConfig):
    name = "radius"
