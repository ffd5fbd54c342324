from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.idle_sessions import stamp_login
        from core.roles import ensure_roles

        # Roles are data, but their permissions exist only after every app migrated.
        post_migrate.connect(ensure_roles, dispatch_uid="core.ensure_roles")
        user_logged_in.connect(stamp_login, dispatch_uid="core.idle_sessions.stamp_login")
