from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.roles import ensure_roles

        # Roles are data, but their permissions exist only after every app migrated.
        post_migrate.connect(ensure_roles, dispatch_uid="core.ensure_roles")
