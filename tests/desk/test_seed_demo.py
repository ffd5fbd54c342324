from django.contrib.auth.models import User
from django.core.management import call_command

from billing.invariants import breaches
from billing.models import Invoice, Journal, Payment, PaymentMethod, Refund
from contacts.models import Contact
from core import roles
from core.models import AuditEvent
from offers.models import Offer


def counts() -> dict[str, int]:
    models = (Contact, Invoice, Payment, Refund, PaymentMethod, Journal, AuditEvent, User, Offer)
    return {m.__name__: m.objects.count() for m in models}


def test_it_seeds_the_demo_once_and_leaves_the_books_balanced(db, capsys):
    call_command("seed_demo")
    first = counts()
    out = capsys.readouterr().out
    assert "ledger verified" in out and "rep1" in out

    call_command("seed_demo")
    assert counts() == first
    assert "nothing to do" in capsys.readouterr().out

    groups = {u.username: set(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert groups == {
        "rep1": {roles.REP},
        "rep2": {roles.REP},
        "manager1": {roles.MANAGER},
        "admin": {roles.BILLING_ADMIN},
    }
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password("paydesk-demo")

    assert Contact.objects.count() >= 6
    assert set(Contact.objects.values_list("currency", flat=True)) == {"USD", "EUR", "JPY"}
    assert Contact.objects.exclude(referred_by=None).exists()
    statuses = set(Invoice.objects.values_list("status", flat=True))
    assert {"paid", "open", "written_off"} <= statuses
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    assert Payment.objects.filter(method="other_system").exclude(reference="").exists()
    assert breaches() == []
