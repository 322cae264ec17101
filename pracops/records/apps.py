from django.apps import AppConfig


class RecordsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pracops.records"
    label = "records"
    verbose_name = "Practice records"
