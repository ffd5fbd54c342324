import datetime as dt

import pytest
from django.utils import timezone

from core import clock
from core.models import ClockOffset


def test_frozen_at_moves_now_and_today():
    with clock.frozen_at(dt.datetime(2028, 2, 29, 23, 0, tzinfo=dt.UTC)):
        assert clock.now() == dt.datetime(2028, 2, 29, 23, 0, tzinfo=dt.UTC)
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)


def test_today_is_the_business_day_whatever_time_zone_a_request_activated():
    late = dt.datetime(2026, 11, 30, 23, 10, tzinfo=dt.UTC)  # 00:10 on 1 December in Paris
    with clock.frozen_at(late), timezone.override("Europe/Paris"):
        assert clock.today() == dt.date(2026, 11, 30)


def test_staff_can_move_the_demo_clock_only_when_it_is_allowed(db, settings):
    settings.PAYDESK_ALLOW_TEST_CLOCK = False
    with pytest.raises(RuntimeError):
        clock.set_offset(dt.timedelta(days=30))
    settings.PAYDESK_ALLOW_TEST_CLOCK = True
    clock.set_offset(dt.timedelta(days=30))
    assert clock.now() - timezone.now() > dt.timedelta(days=29, hours=23)


def test_the_admin_edits_the_demo_clock_for_superusers_when_allowed(admin_client, settings):
    settings.PAYDESK_ALLOW_TEST_CLOCK = True
    response = admin_client.post("/admin/core/clockoffset/add/", {"seconds": 86400})
    assert response.status_code == 302
    assert clock.now() - timezone.now() > dt.timedelta(hours=23)
    settings.PAYDESK_ALLOW_TEST_CLOCK = False
    row = ClockOffset.objects.get()
    page = admin_client.get(f"/admin/core/clockoffset/{row.pk}/change/")
    assert page.context["has_change_permission"] is False
