from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.remittance"
    label = "billing_remittance"
    verbose_name = "Billing: files received and remittances"
