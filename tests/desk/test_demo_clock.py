import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core import clock
from core.models import AuditEvent, ClockOffset
from tests import factories

URL = reverse("desk:demo-clock")


@pytest.fixture
def clock_on(settings):
    settings.PAYDESK_ALLOW_TEST_CLOCK = True


@pytest.fixture
def superuser_client():
    client = Client()  # not the `client` fixture: manager_client logs that one in
    client.force_login(factories.UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_month_ahead_renews_the_subscription_and_is_audited(
    clock_on, superuser_client, subscription
):
    before = clock.now()
    page = superuser_client.get(URL)
    assert page.status_code == 200 and b"Advance 1 month" in page.content

    response = superuser_client.post(URL, {"step": "month"}, follow=True)

    assert ClockOffset.current() >= dt.timedelta(days=28)
    assert clock.now() - before >= dt.timedelta(days=28)
    renewal = subscription.invoices.get()  # the sale's invoice is the order's source, not its own
    assert (renewal.period, renewal.status) == (1, "paid")  # the second period (from 0), swept
    event = AuditEvent.objects.get(action="clock.advanced")
    assert event.actor.username == "root" and event.after["charged"] == 1
    assert b"Moved 1 month" in response.content


def test_only_a_superuser_may_move_it(clock_on, manager_client):
    assert manager_client.get(URL).status_code == 403
    assert manager_client.post(URL, {"step": "week"}).status_code == 403
    assert ClockOffset.current() == dt.timedelta(0)
    assert not AuditEvent.objects.filter(action="clock.advanced").exists()


def test_it_is_not_there_when_the_test_clock_is_off(superuser_client):
    assert superuser_client.get(URL).status_code == 404
    assert superuser_client.post(URL, {"step": "day"}).status_code == 404


def test_an_unknown_step_moves_nothing(clock_on, superuser_client):
    response = superuser_client.post(URL, {"step": "year"})
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert ClockOffset.current() == dt.timedelta(0)


def test_the_nav_offers_it_to_superusers_only(clock_on, superuser_client, manager_client):
    assert URL.encode() in superuser_client.get(reverse("contacts:contact-list")).content
    assert URL.encode() not in manager_client.get(reverse("contacts:contact-list")).content
