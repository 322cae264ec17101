from django.apps import AppConfig


class AuditConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pracops.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from pracops.audit import signals  # noqa: F401  (connects the sign-in receivers)
