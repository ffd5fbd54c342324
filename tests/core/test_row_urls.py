"""Row links reversed once a request: the same URL `reverse` gives, for any id."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.urls import NoReverseMatch, path, register_converter, reverse, set_urlconf

from core.row_urls import id_url

ROUTES = [
    "billing:invoice-document",
    "billing:invoice-retry",
    "billing:invoice-reverse-write-off",
    "billing:payment-refund",
    "billing:commission-rerun",
    "desk:contact-detail",
]


@pytest.mark.parametrize("name", ROUTES)
@pytest.mark.parametrize("pk", [1, 7, 918_273_645, 2**62])
def test_an_id_url_is_the_reversed_url(name, pk):
    assert id_url(name)(pk) == reverse(name, args=[pk])


def test_a_route_without_an_id_is_refused():
    with pytest.raises(NoReverseMatch):
        id_url("core:timezone-set")


class HexId:
    regex = "[0-9a-f]+"

    def to_python(self, value: str) -> int:
        return int(value, 16)

    def to_url(self, value: int) -> str:
        return f"{value:x}"


register_converter(HexId, "hexid")
urlpatterns = [path("things/<hexid:pk>/", lambda request, pk: HttpResponse(), name="thing")]


def test_a_route_that_writes_its_id_otherwise_is_refused():
    """Formatting the id in where the probe was would give a wrong link: refused instead."""
    set_urlconf(__name__)
    try:
        with pytest.raises(ImproperlyConfigured):
            id_url("thing")
    finally:
        set_urlconf(None)
