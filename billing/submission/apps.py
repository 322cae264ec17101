from django.apps import AppConfig


class SubmissionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.submission"
    label = "billing_submission"
    verbose_name = "Billing: claim files sent"

    def ready(self) -> None:
        from billing.submission.access import register_admin_grants

        # The billing role's admin permissions, written by ensure_roles after migrate.
        register_admin_grants()
