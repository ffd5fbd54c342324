"""The history's CSV export: the page's filter, every row, streamed.

On PostgreSQL the file is written by the database itself (`copy_select`, run through COPY by
core.exports); `csv_rows` writes the same rows and text in Python, for SQLite and as the
reference the tests hold the COPY to."""

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db.models import CharField, F, QuerySet
from django.db.models.functions import Cast
from django.http import QueryDict

from billing.models import Journal, LedgerEntry
from core import money
from core.exports import CHUNK, Exporter, planner_rows
from desk.manager import declines
from desk.manager.history import amounts_of, export_context, journals
from desk.manager.history_filter import DECLINED, LABELS, HistoryFilter

HEADER = (
    "time",
    "journal",
    "kind",
    "contact_id",
    "contact",
    "invoice",
    "invoice_status",
    "sold_by",
    "actor",
    "amount",
    "currency",
    "memo",
    "payment",  # a declined charge's (it has no journal); empty on the journals' rows
)


def _plain(amount: Decimal | None, currency: str | None) -> str:
    if amount is None or not currency:
        return ""
    # The column holds 3 decimals for every currency; the file writes each currency's own.
    return f"{amount:.{money.exponent(currency)}f}"


COLUMNS = (
    "time",
    "pk",
    "kind",
    "contact_id",
    "contact__first_name",
    "contact__last_name",
    "invoice_id",
    "invoice__status",
    "invoice__source",
    "actor__username",
    "memo",
)


def csv_rows(qs: QuerySet) -> Iterator[tuple]:
    """The export's rows, newest first, read through a server-side cursor a chunk at a time."""
    # The time as PostgreSQL writes it (UTC, the connection's zone): parsing it into a datetime
    # and writing it back out would be a third of the export's time.
    values = (
        qs.annotate(time=Cast("created_at", CharField()))
        .order_by("-created_at", "-pk")
        .values_list(*COLUMNS)
    )
    chunk: list[tuple] = []
    for row in values.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield from _csv_chunk(chunk)
            chunk = []
    yield from _csv_chunk(chunk)


def _csv_chunk(chunk: list[tuple]) -> Iterator[tuple]:
    moved = amounts_of([row[1] for row in chunk])
    for moment, pk, kind, contact_id, first, last, invoice_id, status, source, actor, memo in chunk:
        total, currency = moved.get(pk, (None, None))
        yield (
            moment,
            pk,
            LABELS.get(kind, kind),
            contact_id or "",
            f"{first} {last}".strip() if contact_id else "",
            f"INV-{invoice_id:06d}" if invoice_id else "",
            status or "",
            source or "",
            actor or "",
            _plain(total, currency),
            currency or "",
            memo,
            "",
        )


def copy_select(qs: QuerySet) -> tuple[str, list]:
    """The export of `qs` as one SELECT whose columns are the CSV's text (HEADER), newest
    first, for PostgreSQL's COPY: the same rows and text as csv_rows. An empty field is NULL."""
    rows = qs.order_by("-created_at", "-pk").values(
        h_time=Cast("created_at", CharField()),
        h_created=F("created_at"),
        h_id=F("pk"),
        h_kind=F("kind"),
        **export_context(),
        h_memo=F("memo"),
    )
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # an invalid filter: a file with only its header
        return "SELECT NULL LIMIT 0", []
    labels = " ".join("WHEN %s THEN %s" for _ in LABELS)
    places = " ".join("WHEN %s THEN round(a.total, %s)::text" for _ in settings.CURRENCIES)
    sql = f"""
        SELECT h.h_time, h.h_id, CASE h.h_kind {labels} ELSE h.h_kind END, h.h_contact,
               CASE WHEN h.h_contact IS NOT NULL THEN btrim(h.h_first || ' ' || h.h_last) END,
               'INV-' || lpad(h.h_invoice::text, greatest(6, length(h.h_invoice::text)), '0'),
               NULLIF(h.h_status, ''), NULLIF(h.h_source, ''), h.h_actor,
               CASE a.currency {places} ELSE a.total::text END, a.currency, NULLIF(h.h_memo, ''),
               NULL
        FROM ({inner}) h
        LEFT JOIN LATERAL (
            SELECT e.amount_currency AS currency, SUM(e.amount) AS total
            FROM {LedgerEntry._meta.db_table} e
            WHERE e.journal_id = h.h_id AND e.amount > 0
            GROUP BY e.amount_currency ORDER BY e.amount_currency LIMIT 1
        ) a ON true
        ORDER BY h.h_created DESC, h.h_id DESC
    """
    labelled = [value for pair in LABELS.items() for value in pair]
    exponents = [v for c in settings.CURRENCIES for v in (c, money.exponent(c))]
    return sql, [*labelled, *exponents, *params]


def _filtered(query: QueryDict) -> tuple[QuerySet, bool]:
    """The rows the page lists for `query`, and whether they are declined charges."""
    form = HistoryFilter(query)
    # An export's filter is the page's, already checked there: a bad one exports nothing.
    if not form.is_valid():
        return Journal.objects.none(), False
    if form.cleaned_data["kind"] == DECLINED:
        return declines.payments(form.cleaned_data), True
    return journals(form.cleaned_data), False


def _rows(query: QueryDict) -> Iterator[tuple]:
    qs, declined = _filtered(query)
    return declines.csv_rows(qs) if declined else csv_rows(qs)


def _copy(query: QueryDict) -> tuple[str, list]:
    qs, declined = _filtered(query)
    return declines.copy_select(qs) if declined else copy_select(qs)


EXPORTER = Exporter(
    name="history",
    perm="core.see_manager_pages",
    title="Transaction history",
    header=HEADER,
    rows=_rows,
    estimate=lambda query: planner_rows(_filtered(query)[0]),
    copy=_copy,
)
