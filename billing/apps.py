from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        # Connects the Stripe event receivers, in place of dj-stripe's own for those events.
        from billing.gateways import stripe_events

        stripe_events.take_over_handled_events()
