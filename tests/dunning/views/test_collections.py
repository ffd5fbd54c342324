"""The collections page, its actions, the policy settings page and the dunning admin."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import errors
from billing.actions import SaleLine, add_card, approve_request, charge_sale
from billing.gateways.sandbox import SandboxGateway
from billing.models import ApprovalRequest, Invoice
from billing.tasks import charge_due_orders
from core import clock
from core.models import AuditEvent
from dunning.forms import DAYS_FORMAT
from dunning.models import DunningCase, DunningPolicy, NoticeTemplate
from offers.terms import PaymentTerms
from tests.factories import ContactFactory
from tests.helpers import HTMX, counts, text

SOLD = dt.datetime(2027, 1, 1, 9, tzinfo=dt.UTC)
FAILED = SOLD + dt.timedelta(days=31)


@pytest.fixture
def open_cases(product, rep, manager, django_capture_on_commit_callbacks):
    """Make n contacts' monthly renewals fail, through the real sweep: n dunning cases."""

    def open_cases(n: int, contacts=None) -> list[DunningCase]:
        contacts = contacts or ContactFactory.create_batch(n)
        with clock.frozen_at(SOLD):
            for contact in contacts:
                card = add_card(contact, token="pm_card_visa", actor=manager)
                line = SaleLine(product, terms=PaymentTerms.subscription())
                charge_sale(contact, lines=[line], payment_method=card, actor=rep)
                SandboxGateway().set_card_behaviour(card.token, "pm_card_chargeDeclined")
        with clock.frozen_at(FAILED), django_capture_on_commit_callbacks(execute=True):
            charge_due_orders()
        return list(DunningCase.objects.filter(contact__in=contacts).order_by("pk"))

    return open_cases


@pytest.fixture
def case(open_cases, contact) -> DunningCase:
    return open_cases(1, [contact])[0]


def page(client, **params):
    return client.get(reverse("dunning:collections"), params)


def test_collections_requires_login(client):
    assert page(client).status_code == 302


def test_an_outsider_cannot_see_collections(outsider_client):
    assert page(outsider_client).status_code == 403


def test_a_rep_sees_each_case_with_what_to_do(rep_client, case):
    shown = text(page(rep_client))
    assert "Ada Lovelace" in shown and case.invoice.number in shown
    assert "$100.00" in shown
    assert "Declined by the bank" in shown
    assert case.policy.name in shown
    assert f"{case.next_attempt_at:%-d %b %Y}" in shown
    for label in (">Retry now</a>", ">Pause</a>", ">Stop</a>"):
        assert label in shown
    assert ">Write off</a>" not in shown  # manager only


def test_the_top_nav_links_to_collections(rep_client, case):
    assert f'href="{reverse("dunning:collections")}"' in text(rep_client.get("/"))


def test_the_page_costs_the_same_queries_with_5_or_50_cases(
    rep_client, open_cases, django_assert_num_queries
):
    open_cases(5)
    page(rep_client)  # warm the session and permission caches
    with CaptureQueriesContext(connection) as five:
        response = page(rep_client)
    assert len(response.context["cases"]) == 5

    open_cases(45)
    with django_assert_num_queries(len(five.captured_queries)):
        response = page(rep_client)
    assert len(response.context["cases"]) == 50


def test_the_status_tabs_filter_the_queue(rep_client, open_cases, rep):
    first, second = open_cases(2)
    rep_client.post(
        reverse("dunning:case-pause", args=[first.pk]),
        {"until": (dt.date.today() + dt.timedelta(days=30)).isoformat(), "reason": "Holiday"},
    )
    paused = page(rep_client, status="paused").context["cases"]
    active = page(rep_client, status="active").context["cases"]
    assert [c.pk for c in paused] == [first.pk]
    assert [c.pk for c in active] == [second.pk]


ACTIONS = ["case-retry", "case-pause", "case-stop", "case-write-off"]


@pytest.mark.parametrize("name", ACTIONS)
def test_case_actions_require_login(client, case, name):
    assert client.post(reverse(f"dunning:{name}", args=[case.pk])).status_code == 302


@pytest.mark.parametrize("name", ACTIONS)
def test_an_outsider_may_not_act_on_a_case(outsider_client, case, name):
    before = counts()
    response = outsider_client.post(reverse(f"dunning:{name}", args=[case.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert counts() == before


def test_a_rep_asks_a_manager_to_write_off_from_collections(
    rep_client, case, manager, django_capture_on_commit_callbacks
):
    """A rep may only ask: the case goes on being collected until a manager approves."""
    assert "Ask to write off" in text(page(rep_client))
    url = reverse("dunning:case-write-off", args=[case.pk])
    form = text(rep_client.get(url, headers=HTMX))
    assert "Only a manager may write off an invoice" in form and "Ask a manager" in form

    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(url, {"reason": "Customer has closed the business"})
    assert response.status_code == 302
    asked = ApprovalRequest.objects.get()
    assert (asked.kind, asked.status, asked.invoice_id) == (
        "write_off_invoice",
        ApprovalRequest.Status.PENDING,
        case.invoice_id,
    )
    assert asked.reason == "Customer has closed the business"
    case.refresh_from_db()
    assert case.invoice.status == Invoice.Status.OPEN
    assert case.status == DunningCase.Status.ACTIVE

    with django_capture_on_commit_callbacks(execute=True):
        approve_request(asked, actor=manager)
    case.refresh_from_db()
    assert case.invoice.status == Invoice.Status.WRITTEN_OFF
    assert case.status == DunningCase.Status.STOPPED


def test_retry_now_collects_on_a_working_card(rep_client, case, django_capture_on_commit_callbacks):
    card = case.order.payment_method
    SandboxGateway().set_card_behaviour(card.token, "pm_card_visa")
    url = reverse("dunning:case-retry", args=[case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = rep_client.post(url, {"payment_method": card.pk}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#cases"
    assert "is collected" in response["HX-Trigger"]
    case.refresh_from_db()
    assert case.invoice.status == Invoice.Status.PAID
    assert case.status == DunningCase.Status.RECOVERED


def test_it_pauses_a_collection_until_a_date(rep_client, case):
    url = reverse("dunning:case-pause", args=[case.pk])
    payday = dt.date.today() + dt.timedelta(days=60)
    data = {"until": payday.isoformat(), "reason": "Waiting for payday"}
    response = rep_client.post(url, data, **HTMX)

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == DunningCase.Status.PAUSED
    assert case.paused_until.date() == payday


def test_pausing_until_a_past_date_is_refused(rep_client, case):
    before = counts()
    url = reverse("dunning:case-pause", args=[case.pk])
    response = rep_client.post(url, {"until": "2020-01-01", "reason": "x"}, **HTMX)
    assert response.status_code == 422
    assert "Pause until a later time." in text(response)
    assert counts() == before


def test_it_stops_a_collection(rep_client, case):
    url = reverse("dunning:case-stop", args=[case.pk])
    response = rep_client.post(url, {"reason": "Settling by phone"}, **HTMX)
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == DunningCase.Status.STOPPED
    assert case.invoice.status == Invoice.Status.OPEN


def test_stopping_needs_a_reason(rep_client, case):
    before = counts()
    response = rep_client.post(reverse("dunning:case-stop", args=[case.pk]), {}, **HTMX)
    assert response.status_code == 422
    assert errors.REASON_REQUIRED in text(response)
    assert counts() == before


def test_a_manager_writes_off_from_collections(
    manager_client, case, django_capture_on_commit_callbacks
):
    url = reverse("dunning:case-write-off", args=[case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"reason": "Gone"})
    assert response.status_code == 302  # no JavaScript: back to the queue
    case.refresh_from_db()
    assert case.invoice.status == Invoice.Status.WRITTEN_OFF
    assert case.status == DunningCase.Status.STOPPED


def test_the_contact_record_shows_the_collection(rep_client, case):
    shown = text(rep_client.get(case.contact.get_absolute_url()))
    assert "In collections" in shown
    assert "Collection started" in shown
    assert "declined: generic decline" in shown


# Policy settings -----------------------------------------------------------------------


def policy_data(**overrides) -> dict:
    data = {
        "name": "Gentle", "interval_days": "7", "window_days": "21", "days": "",
        "max_attempts": "10", "retry_on_card_update": "on",
        "final_action": "pause",
    }  # fmt: skip
    for kind in ("first", "further", "final"):
        data[f"{kind}-subject"] = f"{kind} about {{{{ invoice.number }}}}"
        data[f"{kind}-body_text"] = "Hello {{ contact.first_name }}"
        data[f"{kind}-body_html"] = ""
    data.update(overrides)
    return data


def test_policies_are_for_managers(rep_client):
    assert rep_client.get(reverse("dunning:policy-list")).status_code == 403
    assert rep_client.post(reverse("dunning:policy-create"), policy_data()).status_code == 403
    assert not DunningPolicy.objects.exists()


def test_a_manager_creates_a_policy_with_its_notices(manager_client):
    response = manager_client.post(reverse("dunning:policy-create"), policy_data())

    assert response.status_code == 302
    policy = DunningPolicy.objects.get(name="Gentle")
    assert policy.attempt_days() == [7, 14, 21]
    assert policy.final_action == "pause"
    assert sorted(policy.notices.values_list("kind", flat=True)) == ["final", "first", "further"]
    assert AuditEvent.objects.filter(action="dunning_policy.created").count() == 1
    assert "Gentle" in text(manager_client.get(reverse("dunning:policy-list")))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"days": "3, soon"}, DAYS_FORMAT),
        ({"interval_days": "0"}, "greater than or equal to 1"),
        ({"first-body_text": "{% if %}"}, "Template error"),
    ],
)
def test_a_bad_policy_is_refused_at_the_field(manager_client, overrides, message):
    response = manager_client.post(reverse("dunning:policy-create"), policy_data(**overrides))
    assert response.status_code == 422
    assert message in text(response)
    assert not DunningPolicy.objects.exists()
    assert not NoticeTemplate.objects.exists()


def test_the_preview_shows_the_retry_dates_without_saving(manager_client):
    data = policy_data(name="", days="1, 3, 10")
    response = manager_client.post(reverse("dunning:policy-preview"), data, **HTMX)

    assert response.status_code == 200
    shown = text(response)
    for days in (1, 3, 10):
        assert f"{clock.today() + dt.timedelta(days=days):%-d %b}" in shown
    assert "3 retries" in shown and "Pause the order" in shown
    assert not DunningPolicy.objects.exists()


def test_making_a_policy_the_default_hands_the_flag_over(manager_client, case):
    old = DunningPolicy.objects.get(is_default=True)
    url = reverse("dunning:policy-create")
    manager_client.post(url, policy_data(is_default="on"))
    old.refresh_from_db()
    assert not old.is_default
    assert DunningPolicy.objects.get(name="Gentle").is_default


def test_a_manager_edits_a_policys_notice(manager_client, case):
    policy = case.policy
    data = policy_data(name=policy.name, **{"final-subject": "Last call"})
    response = manager_client.post(reverse("dunning:policy-edit", args=[policy.pk]), data)
    assert response.status_code == 302
    assert policy.notices.get(kind="final").subject == "Last call"
    assert policy.notices.count() == 3


@pytest.mark.parametrize("model", ["dunningpolicy", "dunningcase", "dunningattempt", "noticesent"])
def test_the_admin_lists_dunning_rows(admin_client, case, model):
    response = admin_client.get(reverse(f"admin:dunning_{model}_changelist"))
    assert response.status_code == 200


def test_an_admin_edit_of_a_policy_is_audited_and_hands_the_default_over(admin_client, case):
    old = DunningPolicy.objects.get(is_default=True)
    data = policy_data(is_default="on", days="7, 14, 21")
    data.update({"notices-TOTAL_FORMS": "0", "notices-INITIAL_FORMS": "0"})
    response = admin_client.post(reverse("admin:dunning_dunningpolicy_add"), data)

    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_default
    new = DunningPolicy.objects.get(name="Gentle")
    assert new.is_default
    event = AuditEvent.objects.get(action="dunning_policy.created")
    assert event.actor.is_superuser and event.subject_id == new.pk
