from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "dunning"

    def ready(self) -> None:
        # Billing announces; dunning listens (imported for the @receiver connections).
        from dunning import receivers  # noqa: F401
