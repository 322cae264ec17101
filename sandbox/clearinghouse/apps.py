from django.apps import AppConfig


class SandboxClearinghouseConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sandbox.clearinghouse"
    label = "sandbox_clearinghouse"
    verbose_name = "Sandbox clearinghouse"
