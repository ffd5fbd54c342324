from django.core.management.base import BaseCommand, CommandError

from billing.gateways.base import GatewayError, GatewayTimeout
from billing.gateways.stripe_events import HANDLED
from billing.gateways.stripe_webhooks import setup_endpoint


class Command(BaseCommand):
    help = (
        "Create or update dj-stripe's webhook endpoint row with STRIPE_WEBHOOK_SECRET "
        "(idempotent) and print the URL and events to register in Stripe's dashboard."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "base_url", help="where Stripe reaches Paydesk, e.g. https://pay.example.com"
        )
        parser.add_argument(
            "--id", default="we_paydesk", help="the endpoint's id in Stripe (we_...)"
        )

    def handle(self, *args, base_url: str, id: str, **options) -> None:
        try:
            endpoint = setup_endpoint(base_url, endpoint_id=id)
        except (ValueError, GatewayError, GatewayTimeout) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"endpoint: {endpoint.url}")
        self.stdout.write(f"events: {', '.join(HANDLED)}")
