"""Who gets what at every URL: anonymous, a user with no role, a rep, a manager, and staff with
no group. The URLs come from the resolver, so a URL added without an entry here fails."""

import pytest
from django.test import Client

from tests import factories
from tests.input.world import app_routes, build_world, url_for

ROLES = ("anonymous", "no_role", "rep", "manager", "staff")

# GET status per role, in ROLES order. 405: the URL only takes POST, whoever asks; 404: the
# sale preview names no contact. Staff without a group can use the admin, not the desk.
EXPECTED = {
    "login": (200, 200, 200, 200, 200),
    "billing:invoice-document": (302, 403, 200, 200, 403),
    "billing:invoice-discount": (302, 403, 200, 200, 403),
    "billing:invoice-mark-paid": (302, 403, 200, 200, 403),
    "billing:invoice-retry": (302, 403, 200, 200, 403),
    "billing:invoice-void": (302, 403, 200, 200, 403),
    # A rep's write-off form only asks a manager (billing.approvable).
    "billing:invoice-write-off": (302, 403, 200, 200, 403),
    "billing:invoice-reverse-write-off": (302, 403, 403, 200, 403),
    "billing:invoice-send": (302, 403, 200, 200, 403),
    "billing:invoice-replace": (302, 403, 403, 200, 403),
    "billing:payment-refund": (302, 403, 200, 200, 403),
    "billing:credit-refund": (302, 403, 200, 200, 403),
    "billing:card-add": (302, 403, 200, 200, 403),
    "billing:card-set-default": (302, 403, 200, 200, 403),
    "billing:card-remove": (302, 403, 200, 200, 403),
    "billing:order-change-terms": (302, 403, 200, 200, 403),
    "billing:order-reschedule": (302, 403, 200, 200, 403),
    "billing:order-pause": (302, 403, 200, 200, 403),
    "billing:order-resume": (302, 403, 200, 200, 403),
    "billing:order-cancel": (302, 403, 200, 200, 403),
    "billing:order-discount": (302, 403, 200, 200, 403),
    "billing:order-set-card": (302, 403, 200, 200, 403),
    "billing:commission-rerun": (302, 403, 403, 200, 403),
    "billing:commission-approve": (302, 403, 403, 200, 403),
    "billing:commission-pay": (302, 403, 403, 200, 403),
    "billing:approval-list": (302, 403, 403, 200, 403),
    "billing:approval-approve": (302, 403, 403, 200, 403),
    "billing:approval-decline": (302, 403, 403, 200, 403),
    "billing:sale-new": (302, 403, 200, 200, 403),
    "billing:sale-preview": (302, 403, 404, 404, 403),
    "offers:offer-list": (302, 403, 200, 200, 403),
    "offers:offer-create": (302, 403, 403, 200, 403),
    "offers:offer-edit": (302, 403, 403, 200, 403),
    "offers:offer-archive": (302, 405, 405, 405, 405),
    "offers:product-list": (302, 403, 200, 200, 403),
    "offers:product-create": (302, 403, 403, 200, 403),
    "offers:product-edit": (302, 403, 403, 200, 403),
    "offers:product-archive": (302, 405, 405, 405, 405),
    "dunning:collections": (302, 403, 200, 200, 403),
    "dunning:case-retry": (302, 403, 200, 200, 403),
    "dunning:case-pause": (302, 403, 200, 200, 403),
    "dunning:case-stop": (302, 403, 200, 200, 403),
    "dunning:case-write-off": (302, 403, 200, 200, 403),
    "dunning:policy-list": (302, 403, 403, 200, 403),
    "dunning:policy-create": (302, 403, 403, 200, 403),
    "dunning:policy-edit": (302, 403, 403, 200, 403),
    "dunning:policy-preview": (302, 403, 403, 200, 403),
    "core:timezone-set": (302, 405, 405, 405, 405),
    "core:export-start": (302, 403, 403, 200, 403),
    "core:export-status": (302, 403, 403, 200, 403),
    "core:export-download": (302, 403, 403, 200, 403),
    "desk:history": (302, 403, 403, 200, 403),
    "desk:history-totals": (302, 403, 403, 200, 403),
    "desk:audit": (302, 403, 403, 200, 403),
    "desk:contact-detail": (302, 403, 200, 200, 403),
    "desk:reports": (302, 403, 403, 200, 403),
    "desk:report-closed-cases": (302, 403, 403, 200, 403),
    "desk:report-money": (302, 403, 403, 200, 403),
    "desk:report-money-csv": (302, 403, 403, 200, 403),
    "desk:report-subscriptions": (302, 403, 403, 200, 403),
    "desk:report-subscriptions-csv": (302, 403, 403, 200, 403),
    "desk:report-collections": (302, 403, 403, 200, 403),
    "desk:report-collections-csv": (302, 403, 403, 200, 403),
    "desk:report-upcoming": (302, 403, 403, 200, 403),
    "desk:report-upcoming-csv": (302, 403, 403, 200, 403),
    "desk:report-reps": (302, 403, 403, 200, 403),
    "desk:report-reps-csv": (302, 403, 403, 200, 403),
    "desk:demo-clock": (302, 403, 403, 403, 403),
    "contacts:contact-list": (302, 403, 200, 200, 403),
    "contacts:contact-create": (302, 403, 200, 200, 403),
    "contacts:contact-edit": (302, 403, 200, 200, 403),
    # The sandbox's stand-in processor: anonymous by design (the processor's domain), POST only.
    "sandbox_gateway:setup-confirm": (405, 405, 405, 405, 405),
    "sandbox_gateway:setup-authenticate": (405, 405, 405, 405, 405),
    # The customer's pages: open to anyone holding a valid signed link, logged in or not.
    "customer:invoice": (200, 200, 200, 200, 200),
    "customer:invoice-pdf": (200, 200, 200, 200, 200),
    "customer:card": (200, 200, 200, 200, 200),
}


@pytest.fixture
def clients(rep, manager, outsider) -> dict[str, Client]:
    staff = factories.UserFactory(username="stan", is_staff=True)
    found = {"anonymous": Client()}
    for role, user in (("no_role", outsider), ("rep", rep), ("manager", manager), ("staff", staff)):
        user.save()
        client = Client()
        client.force_login(user)
        found[role] = client
    return found


def test_every_url_answers_each_role_as_expected(
    clients, manager, rep, django_capture_on_commit_callbacks
):
    world = build_world(manager, rep, django_capture_on_commit_callbacks)
    got = {}
    for name in app_routes():
        if name == "logout":
            continue  # a GET is refused (405) for everyone, and a POST would end the session
        url = url_for(world, name)
        got[name] = tuple(clients[role].get(url).status_code for role in ROLES)
    assert got == EXPECTED
