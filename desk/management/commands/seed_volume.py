import datetime as dt
import time

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from djmoney.money import Money

from billing.models import Invoice, Payment, Refund
from core import clock
from desk import volume
from offers.models import Product

SPAN = dt.timedelta(days=730)


class Command(BaseCommand):
    help = (
        "BENCHMARK VOLUME, not demo data: add --invoices invoices (with their lines, payments "
        "received outside the gateway, refunds, voids, write-offs, journals, about 5 ledger "
        "entries each, and audit events) over two years, spread over one contact per "
        "--per-contact invoices, plus one contact holding --contact-invoices invoices. Written "
        "set-based in PostgreSQL (INSERT ... SELECT), not through the rep actions, so it takes "
        "minutes; the journals are those the actions post and `verify_ledger` passes on them. "
        "Each run adds to what is there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--invoices", type=int, required=True)
        parser.add_argument("--per-contact", type=int, default=100)
        parser.add_argument("--contact-invoices", type=int, default=10_000)
        parser.add_argument("--batch", type=int, default=50_000)

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_volume writes set-based SQL for PostgreSQL only.")
        total, batch = options["invoices"], options["batch"]
        if total < 1 or batch < 1 or options["per_contact"] < 1:
            raise CommandError("--invoices, --batch and --per-contact must be at least 1.")
        started = time.monotonic()
        newest = clock.now() - dt.timedelta(hours=3)
        shared = {
            "actors": list(
                User.objects.filter(username__in=["rep1", "rep2", "manager1"]).values_list(
                    "pk", flat=True
                )
            ),
            "products": _products(),
            "types": {
                f"{m._meta.model_name}_type": ContentType.objects.get_for_model(m).pk
                for m in (Invoice, Payment, Refund)
            },
            "newest": newest,
        }
        contacts = _contacts(max(1, total // options["per_contact"]), "volume")
        self.stdout.write(f"{len(contacts)} contacts; writing {total:,} invoices")
        self._fill(total, batch, contacts, shared, started)
        heavy = options["contact_invoices"]
        if heavy > 0:
            (one,) = _contacts(1, "volume-heavy")
            self.stdout.write(f"contact {one[0]}: writing {heavy:,} invoices")
            self._fill(heavy, batch, [one], shared, started)
        self.stdout.write("ANALYZE (planner statistics and estimated counts)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"done in {time.monotonic() - started:.0f} s"))

    def _fill(self, total: int, batch: int, contacts, shared: dict, started: float) -> None:
        for first in range(1, total + 1, batch):
            last = min(first + batch - 1, total)
            volume.insert_batch(
                first=first,
                last=last,
                total_last=total,
                step=SPAN / total,
                contacts=contacts,
                **shared,
            )
            elapsed = time.monotonic() - started
            self.stdout.write(f"  {last:>10,} / {total:,} invoices  {elapsed:6.0f} s", ending="\n")
            self.stdout.flush()


def _products() -> dict[str, int]:
    ids = {}
    for key, name, price in (
        ("course", "Volume course", "120.00"),
        ("membership", "Volume membership", "20.00"),
    ):
        product, _ = Product.objects.get_or_create(
            sku=f"volume-{key}", defaults={"name": name, "price": Money(price, "USD")}
        )
        ids[key] = product.pk
    return ids


def _contacts(count: int, tag: str) -> list[tuple[int, str]]:
    """`count` new contacts, in each currency in turn; their emails name this run.

    The run is named in hex: a long run of digits in an email would read as a card number to
    the PCI scan (verify_ledger)."""
    run = f"{int(time.time()):x}"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO contacts_contact (first_name, last_name, email, phone, company, currency,
                                          locale, gateway_customer, created_at)
            SELECT 'Vol', 'Contact ' || g, %(tag)s || '-' || %(run)s || '-' || g || '@example.test',
                   '', '', (%(currencies)s::text[])[1 + g %% cardinality(%(currencies)s::text[])],
                   'en_US', '', now()
            FROM generate_series(1, %(count)s) AS g
            RETURNING id, currency
            """,
            {"tag": tag, "run": run, "count": count, "currencies": volume.CURRENCIES},
        )
        return [(pk, currency) for pk, currency in cursor.fetchall()]
