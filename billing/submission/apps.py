from django.apps import AppConfig


class SubmissionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.submission"
    label = "billing_submission"
    verbose_name = "Billing: claim files sent"
