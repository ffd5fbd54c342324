import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from billing.invariants import breaches
from billing.models import Commission, Invoice, Journal, Order, Payment, PaymentMethod, Refund
from contacts.models import Contact
from core import clock, roles
from core.models import AuditEvent
from dunning.models import DunningCase
from offers.models import Offer


def counts() -> dict[str, int]:
    models = (Contact, Invoice, Payment, Refund, PaymentMethod, Journal, AuditEvent, User, Offer)
    return {m.__name__: m.objects.count() for m in models}


@pytest.mark.long
def test_the_demo_is_a_year_of_real_use_seeded_once_with_balanced_books(db, capsys):
    """The story's turns happened on their days, through the actions and the sweeps; seeding
    again changes nothing. One test, because building the year is most of its cost."""
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    assert "ledger verified" in out and "rep1" in out

    start = Invoice.objects.order_by("issued_at").first().issued_at
    assert clock.now() - start > dt.timedelta(days=350)

    orders = Order.objects.all()
    kinds = set(orders.values_list("kind", flat=True))
    assert {"subscription", "payment_plan"} <= kinds
    statuses = set(orders.values_list("status", flat=True))
    assert {"paused", "cancelled"} <= statuses
    assert orders.filter(status__in=["active", "trialing", "past_due"]).exists()  # open orders
    ada = orders.get(contact__first_name="Ada")
    assert ada.terms["trial_days"] == 14
    assert ada.invoices.filter(status="paid").count() >= 9  # renewed monthly by the sweep
    assert ada.changes.filter(kind="discounted").exists()
    plan = orders.get(kind="payment_plan")
    assert plan.status == "completed"

    cases = DunningCase.objects.all()
    assert cases.filter(status="recovered").exists()
    assert cases.filter(status="exhausted", invoice__status="written_off").exists()
    assert cases.filter(status="active").exists()  # still being collected at the end
    assert Payment.objects.filter(status="failed").count() > 10  # declines and retries
    assert Commission.objects.filter(status="paid").exists()
    assert Invoice.objects.filter(lines__kind="discount").exists()

    call_command("seed_demo")
    assert counts() == first
    assert "nothing to do" in capsys.readouterr().out

    # The sweeps' own actor (dunning's write-offs) is not a login.
    people = User.objects.exclude(username=roles.SYSTEM_USERNAME)
    groups = {u.username: set(u.groups.values_list("name", flat=True)) for u in people}
    assert groups == {
        "rep1": {roles.REP},
        "rep2": {roles.REP},
        "manager1": {roles.MANAGER},
        "admin": {roles.BILLING_ADMIN},
    }
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("paydesk-demo")

    assert Contact.objects.count() >= 6
    currencies = set(Contact.objects.values_list("currency", flat=True))
    assert currencies == {"USD", "EUR", "JPY", "GBP"}
    assert Contact.objects.exclude(referred_by=None).exists()
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"paid", "open", "written_off"} <= statuses
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).exists()
    assert Payment.objects.filter(method="other_system").exclude(reference="").exists()
    assert breaches() == []
