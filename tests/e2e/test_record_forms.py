"""In-place forms on the contact record, clicked and typed at as a rep would: they open with the
focus inside, a second action in the row replaces the first, Cancel and Escape close them, a
panel's refresh leaves them be; and the panels' older pages open in place."""

import re

import pytest
from playwright.sync_api import Page, expect

from billing.actions import SaleLine, charge_sale
from billing.models import Invoice
from desk.record import RECORD_PAGE
from tests.e2e.helpers import log_in, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _focus_in_form(page: Page) -> bool:
    return page.evaluate("() => !!document.activeElement.closest('form.action-form')")


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_an_invoice_rows_forms_open_replace_and_close(page, rep, paid_invoice):
    problems = _watch_console(page)
    log_in(page, rep)
    page.goto(paid_invoice.contact.get_absolute_url())
    settle(page)
    row = page.locator(f"#invoice-{paid_invoice.pk}")
    slot = page.locator(f"#slot-{paid_invoice.pk}")
    forms = page.locator("form.action-form")

    row.get_by_role("link", name=re.compile(r"^Refund")).click()
    expect(slot.locator("form.action-form")).to_contain_text("Left to refund")
    assert _focus_in_form(page)  # keyboard users land in the form they opened

    slot.get_by_role("link", name="Cancel").click()
    expect(forms).to_have_count(0)

    row.get_by_role("link", name=re.compile(r"^Refund")).click()
    expect(forms).to_have_count(1)
    row.get_by_role("link", name="Resend").click()  # a second action in the same row
    expect(slot.locator("form.action-form")).to_contain_text(f"Send {paid_invoice.number}")
    expect(forms).to_have_count(1)

    page.keyboard.press("Escape")
    expect(forms).to_have_count(0)
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Resend"

    row.get_by_role("link", name="Resend").click()  # the slot still works after all that
    expect(forms).to_have_count(1)
    assert not [p for p in problems if "targetError" in p or "htmx" in p.lower()]


def test_an_order_rows_forms_replace_each_other_and_cancel(page, rep, subscription):
    problems = _watch_console(page)
    log_in(page, rep)
    page.goto(subscription.contact.get_absolute_url())
    settle(page)
    row = page.locator(f"#order-{subscription.pk}")
    slot = page.locator(f"#order-slot-{subscription.pk}")

    row.get_by_role("link", name="Pause").click()
    expect(slot.locator("form.action-form")).to_contain_text("Pause")
    row.get_by_role("link", name="Reschedule").click()
    expect(slot.locator("form.action-form")).to_contain_text("Reschedule")
    expect(page.locator("form.action-form")).to_have_count(1)
    slot.get_by_role("link", name="Cancel", exact=True).click()
    expect(page.locator("form.action-form")).to_have_count(0)
    assert not [p for p in problems if "targetError" in p]


def test_the_older_invoices_and_older_history_open_in_their_panels(
    page, rep, contact, card, product
):
    """The pagers' own requests are in flight when their answers arrive: the guard that keeps a
    panel's refresh from wiping an open form must not throw those answers away."""
    problems = _watch_console(page)
    for _ in range(RECORD_PAGE + 1):
        charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    invoices = Invoice.objects.filter(contact=contact).order_by("issued_at", "pk")
    oldest, newest = invoices.first(), invoices.last()
    log_in(page, rep)
    page.goto(contact.get_absolute_url())
    settle(page)

    expect(page.locator(f"#invoice-{oldest.pk}")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Older invoices")).click()
    expect(page.locator(f"#invoice-{oldest.pk}")).to_have_count(1)
    expect(page.locator(f"#invoice-{newest.pk}")).to_have_count(0)

    history = page.locator("#history")
    expect(history).to_contain_text(newest.number)
    history.get_by_role("link", name=re.compile("Older history")).click()
    expect(history).not_to_contain_text(newest.number)
    expect(history.locator("li")).not_to_have_count(0)
    assert not problems


def test_a_panels_refresh_leaves_a_form_just_opened_in_it(page, rep, paid_invoice):
    log_in(page, rep)
    page.goto(paid_invoice.contact.get_absolute_url())
    settle(page)
    row = page.locator(f"#invoice-{paid_invoice.pk}")
    row.get_by_role("link", name=re.compile(r"^Refund")).click()
    form = page.locator(f"#slot-{paid_invoice.pk} form.action-form")
    expect(form).to_have_count(1)
    with page.expect_response(lambda r: "panel=invoices" in r.url):
        page.evaluate("() => htmx.trigger('#invoices', 'money-changed-elsewhere')")
    settle(page)
    expect(form).to_have_count(1)
