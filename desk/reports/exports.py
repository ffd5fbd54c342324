"""The reports' exports too large to build in one request, registered with core.exports (from
DeskConfig.ready, so the job cluster knows them): every attempt of every closed collection
case, streamed from a server-side cursor, or written by a task when there are many."""

from collections.abc import Iterator

from django.http import QueryDict
from djmoney.money import Money

from core.exports import Exporter, planner_rows, register
from desk.reports.collections import CLOSED
from desk.reports.tables import plain
from dunning.models import DunningAttempt

HEADER = [
    "Case", "Contact", "Invoice", "Policy", "Status", "Failed at", "Ended at", "Amount",
    "Currency", "Attempt", "Attempted at", "Outcome", "Decline code",
]  # fmt: skip


def _attempts():
    return DunningAttempt.objects.filter(case__status__in=CLOSED)


def closed_case_rows(query: QueryDict) -> Iterator[list[str]]:
    """One row per attempt, the latest failure first (the closed-cases page's order)."""
    attempts = (
        _attempts()
        .order_by("-case__failed_at", "-case_id", "number", "pk")
        .values_list(
            "case_id", "case__contact__first_name", "case__contact__last_name", "case__invoice_id",
            "case__policy__name", "case__status", "case__failed_at", "case__ended_at",
            "case__amount", "case__amount_currency", "number", "at", "outcome", "decline_code",
        )
    )  # fmt: skip
    for row in attempts.iterator(chunk_size=2000):
        case, first, last, invoice, policy, status, failed, ended, amount, currency = row[:10]
        yield [
            str(case), f"{first} {last}".strip(), f"INV-{invoice:06d}", policy, status,
            plain(failed), plain(ended), plain(Money(amount, currency)), currency,
            *(plain(value) for value in row[10:]),
        ]  # fmt: skip


CLOSED_CASES = Exporter(
    name="closed-cases",
    perm="core.see_manager_pages",
    title="Closed collection cases",
    header=HEADER,
    rows=closed_case_rows,
    estimate=lambda query: planner_rows(_attempts()),
)


def register_all() -> None:
    register(CLOSED_CASES)
