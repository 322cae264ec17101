from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pracops.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from pracops.access import openapi  # noqa: F401 - registers the token scheme with drf-spectacular
        from pracops.access.roles import ensure_roles

        post_migrate.connect(lambda **kwargs: ensure_roles(), dispatch_uid="pracops.access.ensure_roles",
                             weak=False)
