"""Declined charges in the manager's history: card charges the gateway refused.

A decline moves no money and posts no journal, so it is not one of the history's journal rows;
it is a Payment row with status `failed`. Declines are listed only under their own kind
("Declined charges"), never mixed into the other kinds: the history stays one keyset walk over
one index, and a total of money moved never meets an amount that was only attempted. Their
totals are what was attempted, shown as such.

The history's other filters mean the same here: the time of the attempt, its invoice's status,
source and lines (product, offer), the rep who asked for it (none for a renewal), its currency
and contact. Pages are keyset pages on (created_at, id), on a partial index of declines.
"""

import datetime as dt
import functools
from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from djmoney.money import Money

from billing import declines
from billing.models import Invoice, InvoiceLine, Payment
from core import money
from core.exports import CHUNK
from core.pagination import keyset_page
from desk.manager.history import (
    ROW_CONTEXT,
    Row,
    day_start,
    export_context,
    person_name,
    url_maker,
)

LABEL = "Declined charge"
TOTAL_LABEL = "Declined charges (attempted, not taken)"


def payments(f: dict) -> QuerySet:
    """The declined charges a valid HistoryFilter's cleaned data selects, in no order."""
    qs = Payment.objects.filter(status=Payment.Status.FAILED)
    if f.get("start"):
        qs = qs.filter(created_at__gte=day_start(f["start"]))
    if f.get("end"):
        qs = qs.filter(created_at__lt=day_start(f["end"] + dt.timedelta(days=1)))
    if f.get("status"):
        qs = qs.filter(invoice__status=f["status"])
    if f.get("source"):
        qs = qs.filter(invoice__source=f["source"])
    if f.get("rep"):
        qs = qs.filter(actor=f["rep"])
    if f.get("contact"):
        qs = qs.filter(contact_id=f["contact"])
    if f.get("currency"):
        qs = qs.filter(amount_currency=f["currency"])
    if f.get("product"):
        qs = qs.filter(Exists(_lines().filter(product=f["product"])))
    if f.get("offer"):
        qs = qs.filter(Exists(_lines().filter(offer_id=f["offer"])))
    if f.get("method"):
        qs = qs.filter(method=f["method"])
    return qs


def _lines() -> QuerySet:
    return InvoiceLine.objects.filter(invoice=OuterRef("invoice"))


def reason(code: str) -> str:
    """Why the charge was declined, in the rep's words."""
    return declines.label(code) or "Declined"


PAGE_COLUMNS = ("pk", "created_at", "amount", "amount_currency", "decline_code", *ROW_CONTEXT)


def page_rows(qs: QuerySet, cursor: str | None) -> tuple[list[Row], str | None]:
    """One keyset page of the filtered declines, each as a history Row."""
    found, after = keyset_page(qs.values(*PAGE_COLUMNS), "created_at", cursor)
    shown = functools.lru_cache(maxsize=None)(money.format_money)
    statuses, sources = dict(Invoice.Status.choices), dict(Invoice.Source.choices)
    contact_url_of = url_maker("desk:contact-detail")
    here = timezone.get_current_timezone()  # once a page: each lookup reads a context-local
    rows = []
    for row in found:
        moment = row["created_at"].astimezone(here)
        contact_url = contact_url_of(row["contact_id"])
        actor = "Paydesk (automatic)"
        if row["actor_id"]:
            actor = (
                person_name(row["actor__first_name"], row["actor__last_name"])
                or row["actor__username"]
            )
        attempted = shown(Money(row["amount"], row["amount_currency"]))
        rows.append(
            Row(
                pk=row["pk"],
                when=f"{moment.day} {moment:%b %Y %H:%M}",
                label=LABEL,
                memo=reason(row["decline_code"]),
                contact_url=contact_url,
                contact=person_name(row["contact__first_name"], row["contact__last_name"]),
                invoice_url=f"{contact_url}#invoice-{row['invoice_id']}",
                invoice=f"INV-{row['invoice_id']:06d}",
                invoice_status=statuses.get(row["invoice__status"], ""),
                sold_by=sources.get(row["invoice__source"], ""),
                actor=actor,
                amount=f"{attempted} attempted",
            )
        )
    return rows, after


def attempted(qs: QuerySet) -> list[dict]:
    """Per currency, what the filtered declines tried to charge: no money moved."""
    found = (
        qs.order_by()
        .values("amount_currency")
        .annotate(total=Sum("amount"))
        .order_by("amount_currency")
    )
    return [
        {
            "kind": TOTAL_LABEL,
            "currency": row["amount_currency"],
            "total": Money(row["total"], row["amount_currency"]),
        }
        for row in found
    ]


# The export: the history's columns (desk.manager.history_export.HEADER), the journal empty
# (a decline posts none) and the payment's number in the last column.
COLUMNS = (
    "time",
    "pk",
    "contact_id",
    "contact__first_name",
    "contact__last_name",
    "invoice_id",
    "invoice__status",
    "invoice__source",
    "actor__username",
    "amount",
    "amount_currency",
    "decline_code",
)


def _plain(amount: Decimal, currency: str) -> str:
    return f"{amount:.{money.exponent(currency)}f}"


def csv_rows(qs: QuerySet) -> Iterator[tuple]:
    """The export's rows, newest first, in the history export's columns."""
    values = (
        qs.annotate(time=Cast("created_at", CharField()))
        .order_by("-created_at", "-pk")
        .values_list(*COLUMNS)
    )
    for row in values.iterator(chunk_size=CHUNK):
        (
            moment,
            pk,
            contact_id,
            first,
            last,
            invoice_id,
            status,
            source,
            actor,
            amount,
            cur,
            code,
        ) = row
        yield (
            moment,
            "",
            LABEL,
            contact_id,
            f"{first} {last}".strip(),
            f"INV-{invoice_id:06d}",
            status,
            source,
            actor or "",
            _plain(amount, cur),
            cur,
            reason(code),
            pk,
        )


def copy_select(qs: QuerySet) -> tuple[str, list]:
    """The export of `qs` as one SELECT for COPY: the same rows and text as csv_rows."""
    rows = qs.order_by("-created_at", "-pk").values(
        h_time=Cast("created_at", CharField()),
        h_created=F("created_at"),
        h_id=F("pk"),
        **export_context(),
        h_amount=F("amount"),
        h_currency=F("amount_currency"),
        h_code=F("decline_code"),
    )
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # an invalid filter: a file with only its header
        return "SELECT NULL LIMIT 0", []
    currencies = settings.CURRENCIES
    places = " ".join("WHEN %s THEN round(h.h_amount, %s)::text" for _ in currencies)
    labels = " ".join("WHEN %s THEN %s" for _ in declines.REP_LABELS)
    # declines.label's fallback: the code with its underscores as spaces, capitalized.
    spelled = "replace(h.h_code, '_', ' ')"
    sql = f"""
        SELECT h.h_time, NULL, %s, h.h_contact, btrim(h.h_first || ' ' || h.h_last),
               'INV-' || lpad(h.h_invoice::text, greatest(6, length(h.h_invoice::text)), '0'),
               NULLIF(h.h_status, ''), NULLIF(h.h_source, ''), h.h_actor,
               CASE h.h_currency {places} ELSE h.h_amount::text END, h.h_currency,
               CASE WHEN h.h_code = '' THEN %s
                    ELSE CASE h.h_code {labels}
                         ELSE upper(left({spelled}, 1)) || lower(substr({spelled}, 2)) END
               END,
               h.h_id
        FROM ({inner}) h
        ORDER BY h.h_created DESC, h.h_id DESC
    """
    exponents = [v for c in currencies for v in (c, money.exponent(c))]
    labelled = [value for pair in declines.REP_LABELS.items() for value in pair]
    return sql, [LABEL, *exponents, reason(""), *labelled, *params]
