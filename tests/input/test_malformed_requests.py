"""Malformed input over every form, plain and HTMX: a field error every time, never a 500, and
not a row written. The corpus is built from the forms themselves: each field gets the bad values
of its type, one field at a time, on top of an otherwise valid request."""

import datetime as dt
import itertools

import pytest
from django import forms
from django.test import Client

from billing.forms import (
    CardForm,
    DiscountForm,
    MarkPaidForm,
    RefundForm,
    RetryForm,
    SaleForm,
    SendForm,
)
from billing.forms.customer import CustomerCardForm
from billing.forms.orders import (
    CancelOrderForm,
    CommissionPayForm,
    CommissionRerunForm,
    OrderCardForm,
    OrderDiscountForm,
    OrderTermsForm,
    PauseOrderForm,
    RescheduleForm,
    ResumeOrderForm,
)
from contacts.forms import ContactForm
from core.forms import ActionForm, AmountField, ReasonForm
from dunning.forms import DunningPolicyForm, NoticeForm, PauseCollectionForm, StopCollectionForm
from offers.forms import LineForm, OfferForm, ProductForm
from tests.helpers import HTMX
from tests.input.world import build_world, row_counts, url_for

PAN = "4000 0566 5566 5556 exp 12/30 cvc 123"
BAD = {
    "text": ["\x00", "x" * 10_001, PAN],
    "number": ["-1", "NaN", "1e309", "9" * 40, "2147483648", "12abc"],
    "amount": ["-1", "NaN", "1e309", "9" * 40, "1" * 29 + ".5", "100000000000000000000"],
    "date": ["2026-02-30", "99999-01-01", "9999-12-31", "0001-01-01", "yesterday"],
    "choice": ["bogus", "x" * 300, "\x00"],
    "id": ["abc", "-1", "9" * 40, "999999", "1.5"],
}
FORGED_CURSOR = "2026-01-01T00:00:00+00:00_" + "9" * 40
LINES = {"lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0"}
SOON = (dt.date.today() + dt.timedelta(days=10)).isoformat()


def kind(field: forms.Field) -> str | None:
    if isinstance(field, AmountField):
        return "amount"
    if isinstance(field, forms.BooleanField):
        return None  # any value is a valid boolean
    if isinstance(field, (forms.IntegerField, forms.DecimalField)):
        return "number"
    if isinstance(field, forms.DateField):
        return "date"
    if isinstance(field, forms.ModelChoiceField):
        return "id"
    if isinstance(field, forms.ChoiceField):
        return "choice"
    return "text"


def fields_of(form_class, prefix: str = "") -> dict[str, str]:
    found = {}
    for name, field in form_class.base_fields.items():
        if (k := kind(field)) is not None:
            found[f"{prefix}{name}"] = k
    if form_class in (DiscountForm, OrderDiscountForm, OrderTermsForm, RefundForm, MarkPaidForm):
        found["amount" if "amount" in form_class.base_fields else "unit_price"] = "amount"
    return found


def line(w, **extra) -> dict:
    return {
        **LINES,
        "lines-0-product": w.product.pk,
        "lines-0-quantity": "1",
        "lines-0-terms": "one_time",
        "lines-0-unit": "month",
        **extra,
    }


def notices() -> dict:
    return {
        f"{kind}-{name}": "Hello {{ contact.first_name }}"
        for kind in ("first", "further", "final")
        for name in ("subject", "body_text")
    }


def forms_by_url(w) -> dict[str, tuple[list, dict]]:
    """URL name -> (the form classes it binds, with prefixes; a valid request's data)."""
    policy = {
        "name": "Patient",
        "interval_days": "3",
        "window_days": "30",
        "max_attempts": "5",
        "final_action": "leave",
        **notices(),
    }
    reason = {"reason": "Customer asked"}
    return {
        "billing:invoice-discount": ([DiscountForm], {"amount": "5", **reason}),
        "billing:invoice-mark-paid": ([MarkPaidForm], {"method": "cash", **reason}),
        "billing:invoice-retry": ([RetryForm], {}),
        "billing:invoice-void": ([ReasonForm], reason),
        "billing:invoice-write-off": ([ReasonForm], reason),
        "billing:invoice-reverse-write-off": ([ReasonForm], reason),
        "billing:invoice-send": ([SendForm], {}),
        "billing:invoice-replace": ([ReasonForm, (LineForm, "lines-0-")], {**reason, **line(w)}),
        "billing:payment-refund": ([RefundForm], {"amount": "5", "settle": "gateway", **reason}),
        "billing:card-add": ([CardForm], {}),
        "billing:card-set-default": ([ActionForm], {}),
        "billing:card-remove": ([ReasonForm], reason),
        "billing:order-change-terms": (
            [OrderTermsForm],
            {"quantity": "2", "effective": "next_charge", **reason},
        ),
        "billing:order-reschedule": ([RescheduleForm], {"next_charge_on": SOON, **reason}),
        "billing:order-pause": ([PauseOrderForm], reason),
        "billing:order-resume": ([ResumeOrderForm], {}),
        "billing:order-cancel": ([CancelOrderForm], {"at": "end_of_term", **reason}),
        "billing:order-discount": ([OrderDiscountForm], {"amount": "5", "charges": "1", **reason}),
        "billing:order-set-card": ([OrderCardForm], {"payment_method": w.card.pk}),
        "billing:commission-rerun": ([CommissionRerunForm], {}),
        "billing:commission-approve": ([ActionForm], {}),
        "billing:commission-pay": ([CommissionPayForm], {}),
        "billing:sale-new": (
            [SaleForm, (LineForm, "lines-0-")],
            {"contact": w.contact.pk, "currency": "USD", "intent": "record", **line(w)},
        ),
        "billing:sale-preview": (
            [SaleForm, (LineForm, "lines-0-")],
            {"contact": w.contact.pk, "currency": "USD", **line(w)},
        ),
        "offers:offer-create": ([OfferForm, (LineForm, "lines-0-")], {"currency": "USD"}),
        "offers:offer-edit": ([OfferForm, (LineForm, "lines-0-")], {"currency": "USD"}),
        "offers:product-create": ([ProductForm], {"name": "Book", "price_0": "10"}),
        "offers:product-edit": ([ProductForm], {"name": "Book", "price_0": "10"}),
        "dunning:case-retry": ([RetryForm], {}),
        "dunning:case-pause": ([PauseCollectionForm], {"until": SOON, **reason}),
        "dunning:case-stop": ([StopCollectionForm], {}),
        "dunning:case-write-off": ([ReasonForm], {}),
        "dunning:policy-create": (
            [DunningPolicyForm, *((NoticeForm, f"{k}-") for k in ("first", "further", "final"))],
            policy,
        ),
        "dunning:policy-edit": ([DunningPolicyForm], policy),
        "dunning:policy-preview": ([DunningPolicyForm], {"policy": w.policy.pk, **policy}),
        "contacts:contact-create": ([ContactForm], {"first_name": "Eve", "currency": "USD"}),
        "contacts:contact-edit": ([ContactForm], {"first_name": "Eve", "currency": "USD"}),
        "core:timezone-set": ([], {}),
        "customer:invoice": ([CustomerCardForm], {}),
        "customer:card": ([CustomerCardForm], {}),
    }


# Parameters read outside a form, and how each is malformed.
EXTRA = {
    "billing:sale-new": {"contact": "id", "lines-TOTAL_FORMS": "number"},
    "billing:sale-preview": {"contact": "id", "lines-TOTAL_FORMS": "number"},
    "billing:invoice-replace": {"lines-TOTAL_FORMS": "number"},
    "offers:offer-create": {"lines-TOTAL_FORMS": "number", "lines-0-terms": "choice"},
    "dunning:policy-preview": {"policy": "id"},
    "core:timezone-set": {"tz": "text"},
}
QUERIES = {
    "billing:sale-new": ["contact", "offer", "q"],
    "contacts:contact-list": ["after", "q"],
    "dunning:collections": ["after", "status"],
    "desk:contact-detail": ["before", "panel"],
    "desk:history": [
        "after",
        "start",
        "end",
        "kind",
        "status",
        "currency",
        "rep",
        "product",
        "offer",
        "source",
        "method",
        "contact",
    ],
    "desk:history-totals": ["start", "currency", "rep", "contact", "offer", "kind"],
    "desk:audit": ["after", "actor", "action", "contact", "invoice", "order", "start", "end"],
    "core:export-start": ["start", "kind", "rep", "contact"],
    "desk:report-money": ["start", "end"],
    "desk:report-money-csv": ["start", "end", "table"],
    "desk:report-subscriptions": ["start", "end"],
    "desk:report-collections": ["start", "end"],
    "desk:report-reps-csv": ["start", "end", "table"],
    "desk:report-closed-cases": ["after"],
}


def corpus(w) -> list[tuple[str, str, dict]]:
    """(url, what is wrong, data) for every field of every form and each bad value of its type."""
    requests = []
    for name, (classes, valid) in forms_by_url(w).items():
        url = url_for(w, name)
        fields = {}
        for entry in classes:
            cls, prefix = entry if isinstance(entry, tuple) else (entry, "")
            fields.update(fields_of(cls, prefix))
        fields.update(EXTRA.get(name, {}))
        for field, k in fields.items():
            for value in BAD[k]:
                requests.append((url, f"{name} {field}={value[:20]!r}", {**valid, field: value}))
        # A grid row without its terms, and one with absurd plan terms (one field each is fine).
        if "lines-0-product" in fields:
            plan = {"lines-0-terms": "payment_plan", "lines-0-paid_now": "0"}
            requests.append((url, f"{name} no terms", {**valid, "lines-0-terms": None}))
            requests.append(
                (
                    url,
                    f"{name} 10^6 installments",
                    {**valid, **plan, "lines-0-installments": "1000000"},
                )
            )
    return requests


@pytest.fixture
def world(manager, rep, django_capture_on_commit_callbacks):
    return build_world(manager, rep, django_capture_on_commit_callbacks)


@pytest.mark.long
@pytest.mark.sends_card_numbers
def test_malformed_requests_get_field_errors_and_write_nothing(world, manager):
    client = Client(raise_request_exception=False)
    client.force_login(manager)
    requests = corpus(world)
    for name, params in QUERIES.items():
        url = url_for(world, name)
        for param in params:
            for value in itertools.chain(BAD["id"], BAD["text"], [FORGED_CURSOR]):
                requests.append((url, f"GET {name} ?{param}", {param: value, "_get": True}))
    assert len(requests) >= 200

    before = row_counts()
    failures = []
    for i, (url, what, data) in enumerate(requests):
        data = {k: v for k, v in data.items() if v is not None}
        headers = HTMX if i % 2 else {}
        if data.pop("_get", False):
            response = client.get(url, data, **headers)
        else:
            response = client.post(url, data, **headers)
        if (
            response.status_code >= 500
            or response.status_code in (200, 302, 204)
            and _wrote(before)
        ):
            failures.append(f"{response.status_code} {what}")
    assert failures == []
    assert row_counts() == before


def _wrote(before: dict) -> bool:
    return row_counts() != before
