from django.apps import AppConfig


class SandboxPayerConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sandbox.payer"
    label = "sandbox_payer"
    verbose_name = "Sandbox payer"
