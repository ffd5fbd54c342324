"""Demo data for `make run`: staff logins, contacts in USD, EUR, JPY and GBP, a catalogue, and a
year of history (desk.demo_year): sales, subscriptions with trials, a payment plan, renewals,
declines, collections recovered and written off, refunds, discounts, commissions, a paused and a
cancelled order, all made through billing.actions and the real sweeps under a moving clock, so
the ledger and audit trail are exactly what real use would leave.

Running it again changes nothing. The user `rep1` is the marker and is created last: a run that
stopped halfway (a crash, Ctrl-C) is finished by the next one instead of being skipped, because
every earlier step is keyed: rows by a natural key (username, email, SKU, offer
name) and every money action by an idempotency key, which returns the first result on a replay.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from djmoney.money import Money

from billing.actions import (
    add_card,
)
from billing.invariants import breaches
from contacts.models import Contact, Partner
from core import clock, roles
from desk import demo_story, demo_year
from offers.models import Offer, OfferLine, Product
from offers.terms import PaymentTerms

PASSWORD = "paydesk-demo"
MARKER = "rep1"


@dataclass(frozen=True)
class Login:
    username: str
    first_name: str
    last_name: str
    role: str
    superuser: bool = False


# The marker (rep1) comes last; see the module docstring.
LOGINS = [
    Login("manager1", "Maya", "Moreau", roles.MANAGER),
    Login("rep2", "Ravi", "Rao", roles.REP),
    Login("admin", "Alex", "Admin", roles.BILLING_ADMIN, superuser=True),
    Login(MARKER, "Rita", "Ramos", roles.REP),
]

# email -> fields, and the test card on file (None: no card).
CONTACTS = {
    "ada.lovelace@example.com": (
        dict(first_name="Ada", last_name="Lovelace", phone="+1 415 555 0101", currency="USD"),
        "pm_card_visa",
    ),
    "grace.hopper@example.com": (
        dict(
            first_name="Grace",
            last_name="Hopper",
            phone="+1 212 555 0102",
            currency="USD",
            company="Hopper Consulting",
        ),
        "pm_card_mastercard",
    ),
    "alan.turing@example.com": (
        dict(first_name="Alan", last_name="Turing", phone="+1 617 555 0103", currency="USD"),
        None,
    ),
    "katherine.johnson@example.com": (
        dict(first_name="Katherine", last_name="Johnson", phone="+1 757 555 0104", currency="USD"),
        "pm_card_chargeDeclinedInsufficientFunds",
    ),
    "emilie.chatelet@example.com": (
        dict(
            first_name="Émilie",
            last_name="du Châtelet",
            phone="+33 1 55 55 01 05",
            currency="EUR",
            locale="fr_FR",
        ),
        "pm_card_visa",
    ),
    "lise.meitner@example.com": (
        dict(
            first_name="Lise",
            last_name="Meitner",
            phone="+49 30 5555 0106",
            currency="EUR",
            locale="de_DE",
        ),
        None,
    ),
    "hiroshi.tanaka@example.com": (
        dict(
            first_name="Hiroshi",
            last_name="Tanaka",
            phone="+81 3 5555 0107",
            currency="JPY",
            locale="ja_JP",
        ),
        "pm_card_visa",
    ),
    "yuki.sato@example.com": (
        dict(
            first_name="Yuki",
            last_name="Sato",
            phone="+81 6 5555 0108",
            currency="JPY",
            locale="ja_JP",
        ),
        "pm_card_chargeDeclined",
    ),
    "olivia.wren@example.com": (
        dict(
            first_name="Olivia",
            last_name="Wren",
            phone="+44 20 5555 0109",
            currency="GBP",
            locale="en_GB",
        ),
        "pm_card_chargeDeclinedInsufficientFunds",
    ),
}
REFERRED = "grace.hopper@example.com"

PRODUCTS = {
    "COURSE-COPY": dict(
        name="Copywriting Fundamentals (online course)",
        price=Money("297.00", "USD"),
        delivery_email=True,
        download_url="https://example.com/downloads/copywriting",
        description="Twelve video lessons and workbooks, emailed once paid.",
    ),
    "MEMBER-YEAR": dict(
        name="Inner Circle membership (1 year)",
        price=Money("499.00", "USD"),
        access=Product.Access.DAYS,
        access_days=365,
        description="Members' area, monthly live calls and the template library.",
    ),
    "COACH-60": dict(
        name="1:1 coaching session (60 min)",
        price=Money("150.00", "USD"),
        description="A private call with a senior coach.",
    ),
    "EVENT-TICKET": dict(
        name="Growth Summit workshop ticket",
        price=Money("99.00", "USD"),
    ),
}

ONE_TIME = PaymentTerms.one_time().to_json()
# name -> currency, [(sku, unit price, discount)]
OFFERS = {
    "Starter bundle": (
        "USD",
        [
            ("COURSE-COPY", Money("297.00", "USD"), None),
            ("COACH-60", Money("150.00", "USD"), Money("50.00", "USD")),
        ],
    ),
    "Inner Circle (EU)": ("EUR", [("MEMBER-YEAR", Money("459.00", "EUR"), None)]),
    "Copywriting course (Japan)": ("JPY", [("COURSE-COPY", Money("39800", "JPY"), None)]),
}


class Command(BaseCommand):
    help = "Load demo users, contacts, offers and sales (idempotent). Never on a live system."

    def handle(self, *args, **options) -> None:
        live = settings.STRIPE_LIVE_MODE or (
            not settings.DEBUG and settings.PAYDESK_GATEWAY != "sandbox"
        )
        if live:
            # It creates a superuser with a published password.
            raise CommandError("seed_demo is for demo and development databases only.")
        if User.objects.filter(username=MARKER).exists():
            self.stdout.write(f"Demo data already loaded (user {MARKER} exists); nothing to do.")
            return

        roles.ensure_roles()
        with transaction.atomic():
            users = {login.username: self._user(login) for login in LOGINS[:-1]}
            contacts = self._contacts()
            products = self._products()
            offers = self._offers(products)
        start = (clock.now() - dt.timedelta(days=demo_year.DAYS)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        with clock.frozen_at(start):
            self._cards(contacts, actor=users["manager1"])
        # rep1 is the marker and does not exist yet, so rep2 makes the reps' sales.
        cast = demo_story.Cast(contacts, products, offers, users["manager1"], users["rep2"])
        self.stdout.write(f"A year of history from {start:%d %b %Y}, a day at a time:")
        demo_year.live(cast, start=start, report=self.stdout.write)

        found = breaches()
        if found:
            raise CommandError("Ledger invariants broken:\n" + "\n".join(found))
        self._user(LOGINS[-1])
        self.stdout.write(self.style.SUCCESS("ledger verified"))
        self._print_logins()

    def _user(self, login: Login) -> User:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@paydesk.example",
                "is_staff": login.superuser,
                "is_superuser": login.superuser,
            },
        )
        if created:
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=login.role))
        return user

    def _contacts(self) -> dict[str, Contact]:
        partner, _ = Partner.objects.get_or_create(
            name="Bright Path Affiliates",
            defaults={"email": "partners@brightpath.example", "default_rate": Decimal("20")},
        )
        contacts = {}
        for email, (fields, _card) in CONTACTS.items():
            contact = Contact.objects.filter(email=email).order_by("pk").first()
            if contact is None:
                referred = partner if email == REFERRED else None
                contact = Contact.objects.create(email=email, referred_by=referred, **fields)
            contacts[email] = contact
        return contacts

    def _products(self) -> dict[str, Product]:
        return {
            sku: Product.objects.get_or_create(sku=sku, defaults=fields)[0]
            for sku, fields in PRODUCTS.items()
        }

    def _offers(self, products: dict[str, Product]) -> dict[str, Offer]:
        offers = {}
        for name, (currency, lines) in OFFERS.items():
            offer = Offer.objects.filter(name=name, archived=False).order_by("-version").first()
            if offer is None:
                offer = Offer.objects.create(family=uuid4(), name=name, currency=currency)
                OfferLine.objects.bulk_create(
                    OfferLine(
                        offer=offer,
                        product=products[sku],
                        unit_price=price,
                        discount=discount,
                        terms=ONE_TIME,
                        position=position,
                    )
                    for position, (sku, price, discount) in enumerate(lines)
                )
            offers[name] = offer
        return offers

    def _cards(self, contacts: dict[str, Contact], *, actor: User) -> None:
        for email, (_fields, token) in CONTACTS.items():
            contact = contacts[email]
            # add_card has no idempotency key: a contact with a card was done by an earlier run.
            if token and not contact.payment_methods.filter(active=True).exists():
                add_card(contact, token=token, actor=actor)

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDemo logins, password {PASSWORD!r} for all:")
        for login in LOGINS:
            who = f"{login.first_name} {login.last_name}"
            extra = ", superuser (/admin/)" if login.superuser else ""
            self.stdout.write(f"  {login.username:<9} {who:<12} {login.role}{extra}")
