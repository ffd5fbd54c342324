"""History entries a rep can audit: which invoice or order, to whom, by whom, in one date format."""

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.formats import date_format

from billing.actions import send_invoice
from core import roles
from desk.presenters import AUTOMATIC, Action, action_links, actor_name, changed_fields
from desk.record import ContactRecord, Moments


def _entry(contact, action):
    return next(e for e in ContactRecord(contact).history if e.action == action)


def test_a_sent_invoice_names_the_invoice_and_the_recipient(paid_invoice, rep):
    send_invoice(paid_invoice, actor=rep, to="books@example.com")
    entry = _entry(paid_invoice.contact, "invoice.sent")
    assert entry.about == paid_invoice.number
    assert entry.detail == "to books@example.com"


def test_payment_and_refund_entries_name_their_invoice(paid_invoice):
    history = ContactRecord(paid_invoice.contact).history
    payments = [e for e in history if e.action.startswith("payment.")]
    assert payments and all(e.about == paid_invoice.number for e in payments)


def test_order_entries_name_the_order(subscription):
    entry = _entry(subscription.contact, "order.opened")
    assert entry.about == f"order #{subscription.pk}"


def test_automation_has_one_name(db):
    assert actor_name(None) == AUTOMATIC
    assert actor_name(roles.system_user()) == AUTOMATIC == "Paydesk (automatic)"


def test_changed_dates_read_like_every_other_date_and_empty_reads_none():
    moved = changed_fields(
        {"next_charge_on": "2026-12-14", "percent": None},
        {"next_charge_on": "2099-01-01", "percent": "20"},
    )
    assert moved == "next charge on: 14 Dec 2026 → 1 Jan 2099; percent: none → 20"


def test_the_record_writes_moments_as_the_date_filter_does():
    # The record spells "j M Y H:i" out itself (desk.record.Moments); every day of a year, at a
    # single-digit and a double-digit hour, in a zone whose offset moves the date.
    start = dt.datetime(2026, 1, 1, 0, 5, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("America/Los_Angeles")):
        moments = Moments()  # one a page, as the record keeps it
        for day in range(366):
            for hours in (3, 15):
                moment = start + dt.timedelta(days=day, hours=hours)
                assert moments.text(moment) == date_format(timezone.localtime(moment), "j M Y H:i")


def test_a_rows_links_fetch_inline_forms_into_its_slot_and_escape_their_text():
    links = action_links(
        [
            Action("Refund", "/payments/7/refund/", note="(up to <b>$5</b>)"),
            Action("Replace", "/invoices/3/replace/", inline=False),
        ],
        "slot-3",
    )
    assert links == (
        '<a href="/payments/7/refund/" hx-get="/payments/7/refund/" hx-target="#slot-3">Refund'
        ' <span class="muted">(up to &lt;b&gt;$5&lt;/b&gt;)</span></a>\n'
        '<a href="/invoices/3/replace/">Replace</a>'
    )
