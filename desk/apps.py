from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = "Rep's workspace"

    def ready(self) -> None:
        from core import exports
        from desk.manager.history_export import EXPORTER
        from desk.reports.exports import register_all

        # Registered here so the web process and every django-q2 worker know the export.
        exports.register(EXPORTER)
        register_all()
