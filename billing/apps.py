from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        # Listeners of billing's own events: imported for their @receiver connections.
        from billing import fulfilment  # noqa: F401
        from billing.actions import commissions  # noqa: F401
