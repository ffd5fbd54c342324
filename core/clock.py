"""The one source of "now" for money code, so tests and demos can move time.

Everything that decides whether something is due (charges, dunning, reconcile) asks `now()`.
Tests use `frozen_at(when)`; staff can set an offset for demos when PAYDESK_ALLOW_TEST_CLOCK is on
(`set_offset`), stored in the database so the web server and the job cluster agree.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.utils import timezone

_frozen: list[dt.datetime] = []


def now() -> dt.datetime:
    if _frozen:
        return _frozen[-1]
    moment = timezone.now()
    if settings.PAYDESK_ALLOW_TEST_CLOCK:
        from core.models import ClockOffset

        moment += ClockOffset.current()
    return moment


def today() -> dt.date:
    """The business day (settings.TIME_ZONE), whoever asks. Requests activate the user's own
    time zone to show times; a rep ahead of it would otherwise prorate, schedule and check
    "not in the past" against tomorrow, and a preview made by one rep would not hold for a
    manager approving it from another zone."""
    return timezone.localdate(now(), timezone.get_default_timezone())


@contextlib.contextmanager
def frozen_at(when: dt.datetime) -> Iterator[None]:
    """Freeze now() for the current process (tests)."""
    if timezone.is_naive(when):
        when = timezone.make_aware(when, dt.UTC)
    _frozen.append(when)
    try:
        yield
    finally:
        _frozen.pop()


def set_offset(delta: dt.timedelta) -> None:
    if not settings.PAYDESK_ALLOW_TEST_CLOCK:
        raise RuntimeError("The test clock is off (PAYDESK_ALLOW_TEST_CLOCK)")
    from core.models import ClockOffset

    seconds = int(delta.total_seconds())
    if not ClockOffset.objects.filter(
        pk=ClockOffset.objects.order_by("pk").values("pk")[:1]
    ).update(seconds=seconds):
        ClockOffset.objects.create(seconds=seconds)
