from django.conf import settings
from django.http import HttpRequest


def demo_clock(request: HttpRequest) -> dict:
    """Context processor: whether the nav offers superusers the demo clock (desk.demo_clock)."""
    return {"demo_clock_on": settings.PAYDESK_ALLOW_TEST_CLOCK}
