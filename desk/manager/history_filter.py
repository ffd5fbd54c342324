"""What a manager filters the money history by: the journal kinds each group holds, and the
filter form the history page, its totals and its exports all validate (desk.manager.history
reads the journals it selects)."""

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection

from billing.models import Invoice, Payment
from core.forms import INT_MAX, BoundedForm, DayField
from core.roles import MANAGER, REP
from core.widgets import QuickSelect
from offers.models import Offer, Product

# What a manager filters by, and the journal kinds (billing.ledger.post callers) each holds.
KINDS = {
    "invoice": ("Invoices issued", ("invoice_issued",)),
    "void": ("Invoices voided", ("invoice_voided",)),
    "payment": ("Payments", ("payment_captured", "payment_recorded")),
    "refund": ("Refunds", ("refund", "overpayment_refunded")),
    "discount": ("Discounts", ("invoice_discounted",)),
    "write_off": ("Write-offs and reversals", ("invoice_written_off", "write_off_reversed")),
    "credit": (
        "Credits",
        (
            "credit_applied",
            "credit_released",
            "credit_refunded",
            "credit_restored",
            "unused_time_credit",
            "proration_credit",
        ),
    ),
    "commission": ("Commissions", ("commissions", "commission_paid")),
    "moved": ("Payments moved to a replacement", ("payments_moved",)),
}
LABELS = {
    kind: kind.replace("_", " ").capitalize() for _, kinds in KINDS.values() for kind in kinds
}
LABELS.update(
    invoice_issued="Invoice issued",
    payment_captured="Card payment",
    payment_recorded="Payment recorded",
    overpayment_refunded="Overpayment refunded",
    commissions="Commission earned",
)
GROUP_OF = {kind: group for group, (_, kinds) in KINDS.items() for kind in kinds}
# The kind of the filter that lists declined charges instead of journals.
DECLINED = "declined"


def _choices() -> dict[str, list[tuple[int, str]]]:
    """The filter's people (reps, managers, superusers), products and offers, for its
    <select>s, read in one statement: read apart, they were three round trips on every page
    for a few dozen rows. Written as SQL: the ORM took longer to compile a union of three
    annotated querysets (3 ms) than the database took to answer it."""
    user, membership = User._meta.db_table, User.groups.through._meta.db_table
    group = User.groups.field.related_model._meta.db_table
    # Each list in its own order: people by username, products by name, offers by name and
    # newest version first; the id only settles ties. The NULL is typed for PostgreSQL, which
    # types a union's columns branch by branch.
    sql = f"""
        SELECT 0, u.id, u.username, CAST(NULL AS integer), '' FROM {user} u
        WHERE u.is_superuser OR EXISTS (
            SELECT 1 FROM {membership} m JOIN {group} g ON g.id = m.group_id
            WHERE m.user_id = u.id AND g.name IN (%s, %s))
        UNION ALL SELECT 1, id, name, CAST(NULL AS integer), '' FROM {Product._meta.db_table}
        UNION ALL SELECT 2, id, name, version, currency FROM {Offer._meta.db_table}
        ORDER BY 1, 3, 4 DESC, 2
    """
    found: dict[str, list[tuple[int, str]]] = {"rep": [], "product": [], "offer": []}
    with connection.cursor() as cursor:
        cursor.execute(sql, [REP, MANAGER])
        for which, pk, label, version, currency in cursor.fetchall():
            if which == 2:
                found["offer"].append((pk, f"{label} (v{version}, {currency})"))
            else:
                found["rep" if which == 0 else "product"].append((pk, label))
    return found


class HistoryFilter(BoundedForm, forms.Form):
    """The filter of the history page, read from its query string (bookmarkable)."""

    start = DayField(required=False, label="From")
    end = DayField(required=False, label="To")
    kind = forms.ChoiceField(
        required=False,
        choices=[
            ("", "All kinds"),
            *((k, v[0]) for k, v in KINDS.items()),
            (DECLINED, "Declined charges"),
        ],
        widget=QuickSelect,
        help_text="Declined charges moved no money: they are listed only under their own "
        "kind, and their amounts, only attempted, count in no money total.",
    )
    status = forms.ChoiceField(
        required=False,
        label="Invoice status",
        choices=[("", "Any status"), *Invoice.Status.choices],
        widget=QuickSelect,
    )
    currency = forms.ChoiceField(required=False, widget=QuickSelect)
    # Rep, product and offer are checked against the choices already read for their
    # <select>s, not fetched again: the filters only need the ids.
    rep = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Rep", widget=QuickSelect
    )
    product = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    offer = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
        help_text="Sales from this version of a stored offer, their orders' later periods, "
        "and what happened to them.",
    )
    source = forms.ChoiceField(
        required=False,
        label="Sold by",
        choices=[("", "Any source"), *Invoice.Source.choices],
        widget=QuickSelect,
    )
    method = forms.ChoiceField(
        required=False,
        label="Paid by",
        choices=[("", "Any method"), *Payment.Method.choices],
        widget=QuickSelect,
        help_text="Invoices with a payment made this way, and what happened to them.",
    )
    contact = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=INT_MAX,
        help_text="The contact's number, as in the address of their record.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "Any currency")] + [
            (c, c) for c in settings.CURRENCIES
        ]
        choices = _choices()
        self.fields["rep"].choices = [("", "Anyone"), *choices["rep"]]
        self.fields["product"].choices = [("", "Any product"), *choices["product"]]
        self.fields["offer"].choices = [("", "Any offer"), *choices["offer"]]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "Enter a day on or after the first day.")
        return cleaned
