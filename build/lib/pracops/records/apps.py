from django.apps import AppConfig


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pracops.records"
    label = "records"
    verbose_name = "Practice records"

    def ready(self) -> None:
        from pracops.records.kinds import register_core_types

        register_core_types()
