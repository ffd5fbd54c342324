from django.conf import settings

from billing.gateways.base import Gateway


def get_gateway(name: str | None = None) -> Gateway:
    name = name or settings.PAYDESK_GATEWAY
    if name == "stripe":
        from billing.gateways.stripe import StripeGateway

        return StripeGateway()
    from billing.gateways.sandbox import SandboxGateway

    return SandboxGateway()
