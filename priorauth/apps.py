from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class PriorauthConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "priorauth"
    verbose_name = "Prior authorization"

    def ready(self) -> None:
        from priorauth.access import register_admin_grants
        from priorauth.policies import PolicyFileError, load_at_startup

        # Payer policies are validated once, here: a malformed file stops start-up, naming the
        # file and the field, rather than failing an evaluation later.
        try:
            load_at_startup()
        except PolicyFileError as error:
            raise ImproperlyConfigured(f"payer policy: {error}") from None

        from priorauth import receivers  # noqa: F401 - connects the re-evaluation receivers
        # The roles' admin permissions on the worklist, written by ensure_roles after migrate.
        register_admin_grants()
