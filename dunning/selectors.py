"""Reads for the collections page and the policy settings page.

The queue runs a fixed number of queries per page whatever its length: the cases with their
contact, order and policy in one query, their invoices with ledger amounts in a second
(billing.selectors.with_amounts), keyset-paginated on (failed_at, id) so a deep page costs
what the first costs.
"""

import datetime as dt

from django.db.models import Count, Prefetch, Q
from djmoney.money import Money

from billing import declines
from billing.expiry import mark_cards_of_cases
from billing.models import Invoice
from billing.selectors import with_amounts
from core import clock
from core.pagination import keyset_page
from dunning.models import DunningCase, DunningPolicy

OPEN = (DunningCase.Status.ACTIVE, DunningCase.Status.PAUSED)


def collections_queue(status: str, cursor: str | None) -> tuple[list[DunningCase], str | None]:
    """Cases being collected (active and paused, or one of them), newest failure first."""
    statuses = [status] if status in OPEN else list(OPEN)
    invoices = with_amounts(Invoice.objects.all())
    cases = (
        DunningCase.objects.filter(status__in=statuses)
        .select_related("contact", "policy", "order__product", "order__payment_method")
        .prefetch_related(Prefetch("invoice", queryset=invoices))
    )
    page, next_cursor = keyset_page(cases, "failed_at", cursor)
    for case in page:
        case.due = Money(case.invoice.due_amount, case.invoice.currency)
        case.decline = declines.label(case.last_decline_code)
        case.hard = declines.is_hard(case.last_decline_code)
    mark_cards_of_cases(page)
    return page, next_cursor


def queue_counts() -> dict[str, int]:
    rows = DunningCase.objects.filter(status__in=OPEN).values("status").annotate(n=Count("pk"))
    counts = {s: 0 for s in OPEN}
    counts.update({r["status"]: r["n"] for r in rows.order_by()})
    return counts


def policies() -> list[DunningPolicy]:
    found = list(
        DunningPolicy.objects.annotate(
            open_cases=Count("cases", filter=Q(cases__status__in=OPEN))
        ).order_by("-is_default", "name")
    )
    for policy in found:
        policy.retry_days = policy.attempt_days()
    return found


def attempt_dates(policy: DunningPolicy, start: dt.date | None = None) -> list[tuple[int, dt.date]]:
    """(day after the failure, date) of each retry, as if the charge failed on `start`."""
    start = start or clock.today()
    return [(days, start + dt.timedelta(days=days)) for days in policy.attempt_days()]


def cases_a_new_card_retries(contact_id: int) -> list[DunningCase]:
    """The contact's cases a new card would be charged for at once, if the rep says so: active
    ones whose policy retries on a card update. The add-card form lists these, and the
    card_added receiver retries exactly these."""
    cases = DunningCase.objects.filter(
        contact_id=contact_id,
        status=DunningCase.Status.ACTIVE,
        policy__retry_on_card_update=True,
    ).order_by("pk")
    return list(
        cases.prefetch_related(Prefetch("invoice", queryset=with_amounts(Invoice.objects.all())))
    )


def collections_a_new_card_retries(contact_id: int) -> list[tuple[str, Money]]:
    """(invoice number, amount due) of each case above: what the add-card form shows."""
    return [
        (case.invoice.number, Money(case.invoice.due_amount, case.invoice.currency))
        for case in cases_a_new_card_retries(contact_id)
    ]
