"""One of every record a form can act on, for the tests that post to every URL."""

from dataclasses import dataclass

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from djmoney.money import Money

from billing.actions import SaleLine, add_card, charge_sale
from billing.models import Commission, Invoice, Order, Payment, PaymentMethod
from contacts.models import Contact
from core import clock
from core.exports import exporter_named, queue_export
from core.models import Export
from dunning.models import DunningCase, DunningPolicy
from dunning.policies import default_policy
from offers.models import Offer, Product
from offers.terms import PaymentTerms
from tests.factories import ContactFactory, PartnerFactory, ProductFactory

APP_LABELS = ("contacts", "offers", "billing", "dunning", "core")


@dataclass
class World:
    contact: Contact
    card: PaymentMethod
    product: Product
    paid: Invoice
    payment: Payment
    open_invoice: Invoice
    order: Order
    case: DunningCase
    commission: Commission
    policy: DunningPolicy
    offer: Offer
    export: Export

    def pk_for(self, url_name: str) -> int | None:
        """The record a URL's <pk> names, by the noun its name starts with."""
        if url_name == "billing:card-add":
            return self.contact.pk
        if url_name == "billing:commission-rerun":
            return self.paid.pk
        noun = url_name.split(":")[-1].split("-")[0]
        return {
            "invoice": self.open_invoice.pk,
            "payment": self.payment.pk,
            "contacts": self.contact.pk,
            "contact": self.contact.pk,
            "credit": self.contact.pk,
            "card": self.card.pk,
            "order": self.order.pk,
            "commission": self.commission.pk,
            "cases": self.case.pk,
            "case": self.case.pk,
            "policy": self.policy.pk,
            "offer": self.offer.pk,
            "product": self.product.pk,
            "export": self.export.pk,
        }.get(noun)


def build_world(manager, rep, django_capture_on_commit_callbacks) -> World:
    contact = ContactFactory(first_name="Ada", last_name="Lovelace")
    contact.referred_by = PartnerFactory(name="Bob's Blog")
    contact.save()
    product = ProductFactory(name="Masterclass", price=Money("100.00", "USD"))
    card = add_card(contact, token="pm_card_visa", actor=manager)
    with django_capture_on_commit_callbacks(execute=True):
        paid = charge_sale(contact, lines=[SaleLine(product)], payment_method=card, actor=rep)
    bad = add_card(contact, token="pm_card_chargeDeclined", actor=manager, make_default=False)
    open_invoice = charge_sale(contact, lines=[SaleLine(product)], payment_method=bad, actor=rep)
    sub = SaleLine(product, terms=PaymentTerms.subscription())
    sold = charge_sale(contact, lines=[sub], payment_method=card, actor=rep)
    order = Order.objects.get(source_invoice=sold)
    policy = default_policy()
    case = DunningCase.objects.create(
        invoice=open_invoice,
        order=order,
        contact=contact,
        policy=policy,
        amount=Money("100.00", "USD"),
        failed_at=clock.now(),
        next_attempt_at=clock.now(),
    )
    offer = Offer.objects.create(family="00000000-0000-0000-0000-000000000001", name="Bundle")
    with django_capture_on_commit_callbacks(execute=True):
        export = queue_export(manager, exporter_named("history"), {}, estimate=0)
    return World(
        contact=contact,
        card=card,
        product=product,
        paid=paid,
        payment=paid.payments.get(),
        open_invoice=open_invoice,
        order=order,
        case=case,
        commission=Commission.objects.filter(invoice=paid).first(),
        policy=policy,
        offer=offer,
        export=export,
    )


def row_counts() -> dict[str, int]:
    """Rows in every table of Paydesk's apps."""
    return {
        model._meta.db_table: model.objects.count()
        for label in APP_LABELS
        for model in apps.get_app_config(label).get_models()
    }


def app_routes() -> dict[str, str]:
    """Every named URL of Paydesk's own apps (the admin and dj-stripe's webhooks excluded), as
    name -> route, read from the resolver so a new URL shows up here by itself."""
    found = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin", "djstripe"):
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                found[f"{namespace}{p.name}"] = prefix + str(p.pattern)

    walk(get_resolver(), "", "")
    return found


def route_of(name: str) -> str:
    return app_routes()[name]


def url_for(world: World, name: str) -> str:
    pk = world.pk_for(name)
    route = route_of(name)
    args = [pk] if "<int:pk>" in route else []
    if "<str:currency>" in route:
        args.append("USD")
    if "<slug:name>" in route:
        args.append("history")  # the export of the manager's history (core.exports)
    return reverse(name, args=args)
