"""Ids read from a query string or a POST outside a form: a bad one is "not found", never a 500."""

from django.http import Http404

from core.forms import INT_MAX

MAX_SEARCH = 100


def object_id(value: str | None) -> int:
    """A row id typed into a URL parameter, or 404 (not numeric, not positive, above int32)."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= INT_MAX:
        raise Http404("No such record.")
    return int(text)


def search_text(value: str | None) -> str:
    """What a rep typed into a search box: no NUL (PostgreSQL text cannot hold one), bounded."""
    return (value or "").replace("\x00", "").strip()[:MAX_SEARCH]
