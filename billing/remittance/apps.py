from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.remittance"
    label = "billing_remittance"
    verbose_name = "Billing: files received and remittances"

    def ready(self) -> None:
        from billing.remittance.access import register_admin_grants

        register_admin_grants()
