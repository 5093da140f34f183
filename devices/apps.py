from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        from django.core.checks import register

        from devices.keyring import checks, signals

        signals.connect()  # tenant created → key created; tenant deleted → key destroyed
        register(checks.key_backend_settings)
