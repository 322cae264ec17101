from django.apps import AppConfig


class DocumentationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documentation"
    verbose_name = "Documentation"

    def ready(self) -> None:
        from documentation import receivers  # noqa: F401  (connects the signal receivers)
