"""The history of money across every contact, read from the ledger's journals.

Every money action posts exactly one journal (billing.ledger), so the journals are the one
complete, ordered list of what happened: invoices issued and voided, payments captured and
recorded, refunds, discounts, write-offs and their reversals, credits, commissions. A row's
amount is what its journal moved: the sum of its debits in its currency. Declined charges move
no money and post no journal: they are listed only under their own kind, from the payments
(desk.manager.declines), and count in none of these totals.

Filters that name a column of the journal (kind, actor, contact, time) walk an index on
(column, created_at, id); the rest are EXISTS probes per journal, cheap on the indexed foreign
keys. Product and offer are both read from the invoice's lines: a line records the stored offer
(the version) it was sold from, and an order sold from one gives it to each period it bills. Pages are keyset pages on (created_at, id) (core.pagination).
"""

import datetime as dt
import functools
import html
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from djmoney.money import Money

from billing.models import Invoice, InvoiceLine, Journal, LedgerEntry, Payment
from core import money
from core.forms import INT_MAX
from core.pagination import keyset_page
from desk.manager.history_filter import DECLINED, GROUP_OF, KINDS, LABELS


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def journals(f: dict) -> QuerySet:
    """The journals a valid HistoryFilter's cleaned data selects, in no particular order."""
    if f.get("kind") == DECLINED:
        return Journal.objects.none()  # a decline posts no journal (desk.manager.declines)
    qs = Journal.objects.all()
    if f.get("start"):
        qs = qs.filter(created_at__gte=day_start(f["start"]))
    if f.get("end"):
        qs = qs.filter(created_at__lt=day_start(f["end"] + dt.timedelta(days=1)))
    if f.get("kind"):
        qs = qs.filter(kind__in=KINDS[f["kind"]][1])
    if f.get("status"):
        qs = qs.filter(invoice__status=f["status"])
    if f.get("source"):
        qs = qs.filter(invoice__source=f["source"])
    if f.get("rep"):
        qs = qs.filter(actor=f["rep"])
    if f.get("contact"):
        qs = qs.filter(contact_id=f["contact"])
    if f.get("currency"):
        entries = LedgerEntry.objects.filter(journal=OuterRef("pk"))
        qs = qs.filter(Exists(entries.filter(amount_currency=f["currency"])))
    if f.get("product"):
        lines = InvoiceLine.objects.filter(invoice=OuterRef("invoice"), product=f["product"])
        qs = qs.filter(Exists(lines))
    if f.get("offer"):
        lines = InvoiceLine.objects.filter(invoice=OuterRef("invoice"), offer_id=f["offer"])
        qs = qs.filter(Exists(lines))
    if f.get("method"):
        paid = Payment.objects.filter(invoice=OuterRef("invoice"), method=f["method"])
        qs = qs.filter(Exists(paid))
    return qs


def amounts_of(journal_ids: list[int]) -> dict[int, tuple[Decimal, str]]:
    """What each journal moved (the sum of its debits) and in which currency, in one query.

    A journal moves one currency (it is about one invoice, or one contact's credit in one
    currency); were there two, the row would show the first by code (the totals add both).
    One grouped query per page or per export chunk, rather than a subquery per row, which
    the planner prices so high at scale that it compiles the export's query (JIT) for seconds.
    """
    if not journal_ids:
        return {}
    if connection.vendor != "postgresql":
        # The SQLite demo: the ORM's IN and its decimal converter (SQLite sums as floats).
        rows = (
            LedgerEntry.objects.filter(journal_id__in=journal_ids, amount__gt=0)
            .values_list("journal_id", "amount_currency")
            .annotate(total=Sum("amount"))
            .order_by("journal_id", "-amount_currency")
        )
        return {journal: (total, currency) for journal, currency, total in rows}
    # `= ANY(array)`: one parameter for a chunk's 5,000 ids, where `IN (...)` would send (and
    # have the driver parse) 5,000 placeholders per chunk.
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT journal_id, amount_currency, SUM(amount) FROM {table}"
            " WHERE journal_id = ANY(%s) AND amount > 0"
            " GROUP BY journal_id, amount_currency ORDER BY journal_id, amount_currency DESC",
            [journal_ids],
        )
        return {journal: (total, currency) for journal, currency, total in cursor.fetchall()}


# Who and what a row names, the same for a journal and a declined payment (declines.py).
ROW_CONTEXT = (
    "contact_id",
    "contact__first_name",
    "contact__last_name",
    "invoice_id",
    "invoice__status",
    "invoice__source",
    "actor_id",
    "actor__username",
    "actor__first_name",
    "actor__last_name",
)
PAGE_COLUMNS = ("pk", "created_at", "kind", "memo", *ROW_CONTEXT)


def export_context() -> dict[str, F]:
    """ROW_CONTEXT as the CSV exports' COPY selects name it (history_export, declines)."""
    return {
        "h_contact": F("contact_id"),
        "h_first": F("contact__first_name"),
        "h_last": F("contact__last_name"),
        "h_invoice": F("invoice_id"),
        "h_status": F("invoice__status"),
        "h_source": F("invoice__source"),
        "h_actor": F("actor__username"),
    }


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the page, its text ready: a page formats 50 of them, and the template's
    own lookups, filters and URL reversing per cell cost more than reading the rows did."""

    pk: int
    when: str
    label: str
    memo: str
    contact_url: str
    contact: str
    invoice_url: str
    invoice: str
    invoice_status: str
    sold_by: str
    actor: str
    amount: str

    def html(self) -> str:
        """The row's <tr>, written here in one call rather than by the template cell by cell
        (fifteen lookups and escapes per row were a third of the page's time), and escaped
        with the standard library's html.escape, which Django's escape wraps: through
        format_html, each of a page's 500 values went through three lazy-aware wrappers."""
        memo = f'<br><small class="muted">{_esc(self.memo)}</small>' if self.memo else ""
        contact = (
            f'<a href="{_esc(self.contact_url)}">{_esc(self.contact)}</a>'
            if self.contact_url
            else ""
        )
        invoice = ""
        if self.invoice:
            number = (
                f'<a href="{_esc(self.invoice_url)}">{_esc(self.invoice)}</a>'
                if self.invoice_url
                else _esc(self.invoice)
            )
            invoice = f'{number} <small class="muted">{_esc(self.invoice_status)}</small>'
        return mark_safe(  # every value above is escaped
            f"<tr><td>{_esc(self.when)}</td><td>{_esc(self.label)}{memo}</td><td>{contact}</td>"
            f"<td>{invoice}</td><td>{_esc(self.sold_by)}</td><td>{_esc(self.actor)}</td>"
            f'<td class="num">{_esc(self.amount)}</td></tr>'
        )


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def url_maker(name: str) -> Callable[[int], str]:
    """The URL of `name` for one whole-number argument, reversed once: reversing it per row
    was a tenth of a page's time."""
    pattern = reverse(name, args=[INT_MAX])
    return lambda pk: pattern.replace(str(INT_MAX), str(pk))


def person_name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def page_rows(qs: QuerySet, cursor: str | None) -> tuple[list[Row], str | None]:
    """One keyset page of the filtered journals, each as a Row."""
    found, after = keyset_page(qs.values(*PAGE_COLUMNS), "created_at", cursor)
    moved = amounts_of([row["pk"] for row in found])
    shown = functools.lru_cache(maxsize=None)(money.format_money)
    statuses, sources = dict(Invoice.Status.choices), dict(Invoice.Source.choices)
    contact_url_of = url_maker("desk:contact-detail")
    here = timezone.get_current_timezone()  # once a page: each lookup reads a context-local
    rows = []
    for row in found:
        moment = row["created_at"].astimezone(here)
        contact_url = contact_url_of(row["contact_id"]) if row["contact_id"] else ""
        invoice_id = row["invoice_id"]
        total, currency = moved.get(row["pk"], (None, None))
        actor = "Paydesk (automatic)"
        if row["actor_id"]:
            actor = (
                person_name(row["actor__first_name"], row["actor__last_name"])
                or row["actor__username"]
            )
        rows.append(
            Row(
                pk=row["pk"],
                when=f"{moment.day} {moment:%b %Y %H:%M}",
                label=LABELS.get(row["kind"], row["kind"]),
                memo=row["memo"],
                contact_url=contact_url,
                contact=person_name(row["contact__first_name"], row["contact__last_name"]),
                invoice_url=f"{contact_url}#invoice-{invoice_id}"
                if contact_url and invoice_id
                else "",
                invoice=f"INV-{invoice_id:06d}" if invoice_id else "",
                invoice_status=statuses.get(row["invoice__status"], "") if invoice_id else "",
                sold_by=sources.get(row["invoice__source"], "") if invoice_id else "",
                actor=actor,
                amount=shown(Money(total, currency)) if currency else "",
            )
        )
    return rows, after


def totals(qs: QuerySet) -> list[dict]:
    """Per kind of row and currency, the sum of what the filtered journals moved."""
    found = (
        LedgerEntry.objects.filter(amount__gt=0, journal__in=qs.values("pk"))
        .order_by()
        .values("journal__kind", "amount_currency")
        .annotate(total=Sum("amount"))
    )
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for row in found:
        group = GROUP_OF.get(row["journal__kind"], row["journal__kind"])
        sums[(group, row["amount_currency"])] += row["total"]
    return [
        {
            "kind": KINDS[group][0] if group in KINDS else group,
            "currency": currency,
            "total": Money(total, currency),
        }
        for (group, currency), total in sorted(sums.items())
    ]
