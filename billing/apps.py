from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"

    def ready(self) -> None:
        from billing.access import register_admin_grants

        # The billing role's admin permissions, written by ensure_roles after migrate.
        register_admin_grants()
