"""The contact record's queries, built once when the module loads; a page only filters them.

Resolving a queryset's annotations and related selections is the ORM's own work, in Python, and
on the record it took longer than PostgreSQL takes to answer: the invoice rows' six subqueries
alone were some 2 ms of a page. Each page still compiles what it runs.
"""

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    ExpressionWrapper,
    Model,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    When,
)

from billing.models import (
    AccessGrant,
    ApprovalRequest,
    Commission,
    Delivery,
    Dispute,
    Invoice,
    Order,
    OrderChange,
    Payment,
    Refund,
)
from billing.selectors import with_amounts
from core.models import AuditEvent
from dunning.models import DunningCase

# What a history entry is about, read with it by the kind of its subject: the invoice (of a
# payment, a refund, a dispute...), the order or the manager's request. In the page's one query:
# a GenericPrefetch loaded the subjects with one more query per kind the page held.
_ABOUT = {
    "about_invoice": [
        (Invoice, "pk"),
        (Payment, "invoice"),
        (Refund, "payment__invoice"),
        (Commission, "invoice"),
        (DunningCase, "invoice"),
        (AccessGrant, "payment__invoice"),
        (Delivery, "payment__invoice"),
        (Dispute, "payment__invoice"),
    ],
    "about_order": [(Order, "pk")],
    "about_request": [(ApprovalRequest, "pk")],
}


def _subject_field(kinds: list[tuple[type[Model], str]]) -> Case:
    """The id at `path` from the event's subject, for the subject kinds listed; else NULL."""
    return Case(
        *(
            When(
                subject_type__app_label=model._meta.app_label,
                subject_type__model=model._meta.model_name,
                then=Subquery(
                    model.objects.filter(pk=OuterRef("subject_id")).order_by().values(path)
                ),
            )
            for model, path in kinds
        ),
        output_field=BigIntegerField(),
    )


# The history's events, each with the id of what it is about (the names in `_ABOUT`).
EVENTS = AuditEvent.objects.select_related("actor").annotate(
    **{name: _subject_field(kinds) for name, kinds in _ABOUT.items()}
)

# The invoice rows with their figures, dunning case and replacement.
INVOICE_ROWS = with_amounts(
    Invoice.objects.only("event_name", "issued_at", "status", "currency").annotate(
        case_status=Subquery(DunningCase.objects.filter(invoice=OuterRef("pk")).values("status")),
        # A scalar subquery walks the unique index per row; EXISTS was hashed over every
        # invoice in the table.
        replacement_id=Subquery(
            Invoice.objects.filter(replaces=OuterRef("pk")).order_by().values("pk")
        ),
    )
)

# The invoice rows' payments, newest first: what is left to refund of each, and the last one's
# status (a declined invoice).
INVOICE_PAYMENTS = Payment.objects.order_by("-created_at", "-pk").values_list(
    "invoice_id", "pk", "status", "amount", "amount_refunded"
)

# The payments panel reads only what it shows: the ORM's time grows with the columns it names.
PAYMENTS = Payment.objects.select_related("payment_method").only(
    "invoice_id",
    "amount",
    "amount_currency",
    "amount_refunded",
    "amount_refunded_currency",
    "status",
    "method",
    "message",
    "reference",
    "created_at",
    *(f"payment_method__{name}" for name in ("brand", "last4", "exp_month", "exp_year")),
)
REFUNDS = Refund.objects.only(
    "payment_id", "amount", "amount_currency", "status", "settle", "reason", "created_at"
)
DISPUTES = Dispute.objects.only(
    "payment_id",
    "amount",
    "amount_currency",
    "fee",
    "fee_currency",
    "reason",
    "status",
    "evidence_due_by",
    "opened_at",
)

CHANGES = 5  # an order's latest changes shown under it; the full story is in the history
ENDED = (Order.Status.CANCELLED, Order.Status.COMPLETED)
# Open orders first, then ended ones; each with its latest changes (`recent_changes`).
ORDERS = (
    Order.objects.select_related("product", "payment_method")
    .prefetch_related(
        Prefetch(
            "changes",
            OrderChange.objects.select_related("actor").order_by("-created_at", "-pk")[:CHANGES],
            to_attr="recent_changes",
        )
    )
    .alias(ended=ExpressionWrapper(Q(status__in=ENDED), output_field=BooleanField()))
    .order_by("ended", "-created_at", "-pk")
)
