"""The manager's history across every contact: its rows, filters, totals, export and cost."""

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from djmoney.money import Money

from billing.actions import (
    SaleLine,
    add_card,
    charge_sale,
    record_sale,
    refund_payment,
    write_off_invoice,
)
from billing.models import Journal, LedgerEntry, Order
from billing.tasks import charge_due_orders
from core import clock, exports
from core.models import Export
from desk.manager import declines, history, history_export
from desk.manager.history_filter import GROUP_OF, KINDS, LABELS, HistoryFilter
from offers.actions import store_offer
from offers.terms import PaymentTerms
from tests import factories
from tests.helpers import text, usd

HISTORY = reverse("desk:history")
EXPORT = reverse("core:export-start", args=["history"])


@pytest.fixture
def books(contact, card, product, rep, manager, django_capture_on_commit_callbacks):
    """Sales in two currencies by two people, a refund, a write-off and a sale paid by check."""
    with django_capture_on_commit_callbacks(execute=True):
        paid = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
        refund_payment(paid.payments.get(), amount=usd("30.00"), actor=rep, reason="Late parcel")
        bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
        owed = charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)
        # A memo with what CSV must quote: a comma, quotes and a line break.
        write_off_invoice(owed, actor=manager, reason='Gone abroad, "for good"\nno address')
        euro = factories.ContactFactory(first_name="Émile", last_name="Zola", currency="EUR")
        atelier = factories.ProductFactory(name="Atelier", price=Money("50.00", "EUR"))
        record_sale(
            euro, lines=[SaleLine(atelier)], method="check", reference="CHK-7", actor=manager
        )
    return {"paid": paid, "owed": owed, "euro": euro, "atelier": atelier}


@pytest.fixture
def offers_sold(contact, card, product, rep, manager):
    """A subscription sold from offer "Gold", renewed once; a sale from offer "Silver"; a sale
    typed into the grid."""
    gold = store_offer(
        "Gold", "USD", [SaleLine(product, terms=PaymentTerms.subscription())], actor=manager
    )
    silver = store_offer("Silver", "USD", [SaleLine(product, quantity=2)], actor=manager)
    start = dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC)
    with clock.frozen_at(start):
        sold = charge_sale(contact, lines=gold.lines_for_sale(), payment_method=card, actor=rep)
        other = charge_sale(contact, lines=silver.lines_for_sale(), payment_method=card, actor=rep)
        typed = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    with clock.frozen_at(start + dt.timedelta(days=31)):
        charge_due_orders()
    renewal = Order.objects.get(source_invoice=sold).invoices.get()
    return {"gold": gold, "silver": silver, "sold": sold, "renewal": renewal, "other": other,
            "typed": typed}  # fmt: skip


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_the_history_lists_every_money_movement_with_links_to_the_contact(
    manager_client, books, contact
):
    response = manager_client.get(HISTORY)
    page = text(response)
    assert response.status_code == 200
    for label in ("Invoice issued", "Card payment", "Refund", "Invoice written off"):
        assert label in page
    assert "Payment recorded" in page and "Zola" in page
    assert contact.get_absolute_url() in page
    assert books["euro"].get_absolute_url() in page
    assert "$30.00" in page and "€50.00" in page


@pytest.mark.parametrize(
    "query, kinds",
    [
        ({"kind": "refund"}, {"refund"}),
        ({"kind": "write_off"}, {"invoice_written_off"}),
        ({"currency": "EUR"}, {"invoice_issued", "payment_recorded"}),
        ({"method": "check", "kind": "payment"}, {"payment_recorded"}),
        ({"status": "written_off", "kind": "invoice"}, {"invoice_issued"}),
    ],
)
def test_each_filter_keeps_only_its_rows(manager_client, books, query, kinds):
    rows = _csv(manager_client.get(EXPORT, query))
    expected = history.journals(history_filter(query)).count()
    assert rows and len(rows) == expected
    assert {LABELS[k] for k in kinds} == {row["kind"] for row in rows}


def history_filter(query: dict) -> dict:
    form = HistoryFilter(query)
    assert form.is_valid(), form.errors
    return form.cleaned_data


def test_the_rep_and_contact_filters_name_who_acted_and_for_whom(
    manager_client, books, rep, manager
):
    by_rep = _csv(manager_client.get(EXPORT, {"rep": rep.pk}))
    assert by_rep and {row["actor"] for row in by_rep} == {rep.username}
    euro = books["euro"]
    for_euro = _csv(manager_client.get(EXPORT, {"contact": euro.pk}))
    assert {row["contact_id"] for row in for_euro} == {str(euro.pk)}
    assert len(for_euro) == Journal.objects.filter(contact=euro).count()


def test_an_offer_filter_lists_that_offers_sales_and_renewals_and_no_other(
    manager_client, offers_sold
):
    gold = offers_sold["gold"]
    response = manager_client.get(HISTORY, {"offer": gold.pk})
    shown = {row.invoice for row in response.context["rows"]}
    assert shown == {offers_sold["sold"].number, offers_sold["renewal"].number}
    assert response.context["query"] == f"offer={gold.pk}"  # kept in the page's links
    assert "Gold (v1, USD)" in text(response)
    silver = manager_client.get(HISTORY, {"offer": offers_sold["silver"].pk})
    assert {row.invoice for row in silver.context["rows"]} == {offers_sold["other"].number}
    exported = _csv(manager_client.get(EXPORT, {"offer": gold.pk}))
    assert {row["invoice"] for row in exported} == shown


def test_declined_charges_are_listed_only_under_their_own_kind_as_attempts(
    manager_client, books, contact, rep
):
    everything = manager_client.get(HISTORY)
    assert declines.LABEL not in {row.label for row in everything.context["rows"]}
    assert "listed only under their own kind" in text(everything)

    response = manager_client.get(HISTORY, {"kind": "declined"})
    (row,) = response.context["rows"]
    failed = books["owed"].payments.get()
    assert failed.status == "failed"
    assert (row.pk, row.label, row.memo) == (failed.pk, "Declined charge", "Declined by the bank")
    assert row.amount == "$100.00 attempted"
    assert row.invoice == books["owed"].number
    assert row.actor == f"{rep.first_name} {rep.last_name}".strip()
    assert row.invoice_url == f"{contact.get_absolute_url()}#invoice-{books['owed'].pk}"
    assert "attempts that moved no money" in text(response)


def test_declined_charges_are_in_no_money_total_and_their_own_is_marked_attempted(
    manager_client, books
):
    totals = manager_client.get(reverse("desk:history-totals"))
    assert declines.TOTAL_LABEL not in {t["kind"] for t in totals.context["totals"]}
    attempted = manager_client.get(reverse("desk:history-totals"), {"kind": "declined"})
    assert attempted.context["totals"] == [
        {"kind": declines.TOTAL_LABEL, "currency": "USD", "total": usd("100.00")}
    ]
    assert "counted in no money total" in text(attempted)


def test_the_other_filters_mean_the_same_for_declined_charges(
    manager_client, books, rep, manager, contact
):
    def listed(**query) -> int:
        return len(manager_client.get(HISTORY, {"kind": "declined", **query}).context["rows"])

    assert listed(rep=rep.pk) == listed(contact=contact.pk) == listed(status="written_off") == 1
    assert listed(rep=manager.pk) == listed(currency="EUR") == listed(status="paid") == 0
    assert listed(method="card") == 1 and listed(method="check") == 0


@pytest.mark.parametrize("by", ["currency", "offer", "declined"])
def test_the_export_matches_the_pages_of_its_filter_row_for_row(
    manager_client, books, offers_sold, by
):
    query = {
        "currency": {"currency": "USD"},
        "offer": {"offer": offers_sold["gold"].pk},
        "declined": {"kind": "declined"},
    }[by]
    seen, url = [], HISTORY
    params = dict(query)
    while True:
        response = manager_client.get(url, params)
        page_rows = response.context["rows"]
        seen += [row.pk for row in page_rows]
        if not response.context["next_url"]:
            break
        params = {**query, "after": response.context["next_url"].split("after=")[1]}
    exported = _csv(manager_client.get(EXPORT, query))
    number = "payment" if by == "declined" else "journal"
    assert [int(row[number]) for row in exported] == seen
    listed = declines.payments if by == "declined" else history.journals
    assert len(seen) == listed(history_filter(query)).count() > 0


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"currency": "EUR"},
        {"kind": "refund"},
        {"rep": "x"},
        {"offer": "gold"},
        {"kind": "declined"},
        {"kind": "declined", "currency": "EUR"},
    ],
)
def test_the_file_postgresql_writes_is_the_one_python_writes_row_by_row(
    manager_client, books, offers_sold, query
):
    """The export is written by COPY from one SELECT; csv_rows is the same file written from
    the rows in Python (SQLite's way). Both name, label, number and round alike."""
    if "offer" in query:
        query = {"offer": offers_sold[query["offer"]].pk}
    form = HistoryFilter(query)
    rows = []
    if form.is_valid() and form.cleaned_data["kind"] == "declined":
        rows = declines.csv_rows(declines.payments(form.cleaned_data))
    elif form.is_valid():
        rows = history_export.csv_rows(history.journals(form.cleaned_data))
    by_python = "".join(exports.csv_chunks(history_export.HEADER, rows))
    copied = _csv(manager_client.get(EXPORT, query))
    assert copied == list(csv.DictReader(io.StringIO(by_python)))
    no_euro_declines = query == {"kind": "declined", "currency": "EUR"}
    assert bool(copied) == (form.is_valid() and not no_euro_declines)
    if query.get("kind") == "declined" and not query.get("currency"):
        assert [row["memo"] for row in copied] == ["Declined by the bank"]


def test_totals_equal_the_ledger_entries_summed_independently(manager_client, books):
    sums = defaultdict(Decimal)
    for entry in LedgerEntry.objects.select_related("journal"):
        if entry.amount.amount > 0:
            group = KINDS[GROUP_OF[entry.journal.kind]][0]
            sums[(group, str(entry.amount.currency))] += entry.amount.amount
    response = manager_client.get(reverse("desk:history-totals"))
    shown = {(t["kind"], t["currency"]): t["total"].amount for t in response.context["totals"]}
    assert shown == dict(sums)
    assert shown[("Refunds", "USD")] == Decimal("30.00")


def test_the_exported_amounts_add_up_to_the_totals(manager_client, books):
    rows = _csv(manager_client.get(EXPORT, {"kind": "payment"}))
    exported = defaultdict(Decimal)
    for row in rows:
        exported[row["currency"]] += Decimal(row["amount"])
    totals = manager_client.get(reverse("desk:history-totals"), {"kind": "payment"})
    assert {t["currency"]: t["total"].amount for t in totals.context["totals"]} == exported


def test_a_bad_filter_is_shown_at_its_field_and_lists_nothing(manager_client, books):
    response = manager_client.get(HISTORY, {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 422
    assert "on or after the first day" in text(response)
    assert response.context["rows"] == []
    assert manager_client.get(HISTORY, {"rep": "x"}).status_code == 422
    assert manager_client.get(HISTORY, {"offer": "999999"}).status_code == 422


def test_the_declined_charges_cost_the_same_queries_for_3_or_30(
    manager_client, contact, product, rep, manager, django_assert_max_num_queries
):
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)

    def decline(n: int) -> None:
        for _ in range(n):
            charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)

    decline(3)
    with django_assert_max_num_queries(12) as few:
        manager_client.get(HISTORY, {"kind": "declined"})
    decline(57)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(HISTORY, {"kind": "declined"})
    assert len(response.context["rows"]) == 50
    older = manager_client.get(HISTORY + response.context["next_url"])
    assert len(older.context["rows"]) == 10


@pytest.mark.parametrize("from_offer", [False, True])
def test_the_history_costs_the_same_queries_for_3_or_30_sales(
    manager_client, contact, card, product, rep, manager, django_assert_max_num_queries, from_offer
):
    offer = store_offer("Bundle", "USD", [SaleLine(product)], actor=manager)
    query = {"offer": offer.pk} if from_offer else {}

    def sell(n: int) -> None:
        for _ in range(n):
            lines = offer.lines_for_sale() if from_offer else [SaleLine(product)]
            charge_sale(contact, lines=lines, payment_method=card, actor=rep)

    sell(3)
    with django_assert_max_num_queries(12) as few:
        manager_client.get(HISTORY, query)
    sell(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(HISTORY, query)
    assert len(response.context["rows"]) == 50


def test_a_large_export_runs_as_a_task_and_is_downloaded_when_done(
    manager_client, books, settings, django_capture_on_commit_callbacks
):
    settings.PAYDESK_EXPORT_STREAM_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.get(EXPORT, {"currency": "USD"})
    export = Export.objects.get()
    assert response.url == reverse("core:export-status", args=[export.pk])
    assert export.status == Export.Status.DONE
    page = manager_client.get(response.url)
    assert "Download the CSV" in text(page)
    download = manager_client.get(reverse("core:export-download", args=[export.pk]))
    filed = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode())))
    settings.PAYDESK_EXPORT_STREAM_MAX_ROWS = 10**9
    assert filed == _csv(manager_client.get(EXPORT, {"currency": "USD"}))
    assert export.rows_done == len(filed) > 0


@pytest.mark.django_db(transaction=True)
def test_a_copied_export_shows_its_progress_while_postgresql_writes_it(
    manager_client, books, settings, monkeypatch
):
    """The page polls rows_done: a COPY keeps the export's own connection busy until it ends,
    so the progress goes through a second one, committed as the lines pass. Read here through
    a third connection after every block the task writes."""
    settings.PAYDESK_EXPORT_STREAM_MAX_ROWS = 0
    monkeypatch.setattr(exports, "COPY_BLOCK", 1)  # a block a row
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 1)
    seen: list[int] = []
    watcher = connections.create_connection(DEFAULT_DB_ALIAS)
    write_copied = exports._write_copied

    class Watched(io.StringIO):
        def __init__(self, out, pk):
            super().__init__()
            self.out, self.pk = out, pk

        def write(self, chunk: str) -> int:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT rows_done FROM core_export WHERE id = %s", [self.pk])
                seen.append(cursor.fetchone()[0])
            return self.out.write(chunk)

    monkeypatch.setattr(
        exports,
        "_write_copied",
        lambda text, out, pk, side: write_copied(text, Watched(out, pk), pk, side),
    )
    try:
        manager_client.get(EXPORT)
    finally:
        watcher.close()
    export = Export.objects.get()
    assert export.status == Export.Status.DONE
    assert seen == sorted(seen) and seen[0] == 0
    # Counted by lines while running (a memo's line break counts too), by COPY at the end.
    assert len({done for done in seen if done > 0}) >= 2
    settings.PAYDESK_EXPORT_STREAM_MAX_ROWS = 10**9
    assert export.rows_done == len(_csv(manager_client.get(EXPORT))) == 7


def test_only_its_author_fetches_an_export(
    manager_client, books, settings, django_capture_on_commit_callbacks
):
    settings.PAYDESK_EXPORT_STREAM_MAX_ROWS = 0
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.get(EXPORT)
    export = Export.objects.get()
    manager_client.force_login(factories.manager(username="mona"))
    for name in ("core:export-status", "core:export-download"):
        assert manager_client.get(reverse(name, args=[export.pk])).status_code == 404


@pytest.mark.parametrize(
    "url",
    [HISTORY, reverse("desk:history-totals"), reverse("desk:audit"), EXPORT],
)
def test_a_rep_is_refused_every_manager_page(rep_client, url):
    response = rep_client.get(url)
    assert response.status_code == 403
    assert "manager" in text(response)
