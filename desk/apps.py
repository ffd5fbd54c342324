from django.apps import AppConfig


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = "Rep's workspace"

    def ready(self) -> None:
        from desk.reports.exports import register_all

        register_all()
