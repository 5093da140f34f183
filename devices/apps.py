from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        from django.core.checks import register

        from devices.keyring import checks, signals

        signals.connect()  # tenant created → key created; tenant deleted → key destroyed
        from devices.alerts import signals as alert_signals

        alert_signals.connect()  # tenant created → its default alert rules
        register(checks.key_backend_settings)
