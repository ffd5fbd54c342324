"""Benchmark (`make bench`): the admin's money changelists at a million invoices (issue 13).

Goal: every changelist <= 200 ms with about 1,000,000 invoices and 5,000,000 ledger entries.
These run against their own database (PAYDESK_VOLUME_DB, default `paydesk_volume`), not the
test database: the first run creates it, migrates it and fills it with `seed_volume` (about a
quarter of an hour on a 2-CPU box), and later runs reuse it."""

import os
import statistics
import time

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from billing.models import Invoice
from core import db_roles

pytestmark = [pytest.mark.bench]
VOLUME_DB = os.environ.get("PAYDESK_VOLUME_DB", "paydesk_volume")
INVOICES = int(os.environ.get("PAYDESK_VOLUME_INVOICES", "1000000"))
APPS = ("billing", "core")
# A filter or two on the biggest lists, as staff would click them.
FILTERED = {
    "billing_invoice": "?status__exact=paid&currency=EUR",
    "billing_ledgerentry": "?account__exact=receivable",
    "billing_journal": "?kind__exact=payment_recorded",
    "core_auditevent": "?created_at__gte=2026-01-01T00:00%2B00:00&created_at__lt=2026-02-01T00:00%2B00:00",
}


def report(name: str, value: str) -> None:
    print(f"  {name:<58} {value}")


@pytest.fixture(scope="module")
def volume_db(django_db_blocker):
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        connection.settings_dict.update(NAME="postgres", **db_roles.owner_credentials())
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [VOLUME_DB])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{VOLUME_DB}"')
        connection.close()
        connection.settings_dict["NAME"] = VOLUME_DB
        try:
            call_command("migrate", verbosity=0)
            have = Invoice.objects.count()
            if have < INVOICES:
                call_command("seed_volume", invoices=INVOICES - have)
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


def _timed(client: Client, url: str, runs: int = 10) -> tuple[float, float]:
    assert client.get(url).status_code == 200
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[-1]


def test_money_changelists_at_a_million_invoices(volume_db):
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    slow = []
    print(f"\nadmin changelists on {VOLUME_DB}: {Invoice.objects.count():,} invoices")
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label not in APPS:
            continue
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for suffix in ("", FILTERED.get(opts.db_table)):
            if suffix is None:
                continue
            p50, worst = _timed(client, url + suffix)
            report(f"{opts.db_table}{suffix[:30]} (p50 / max of 10)", f"{p50:.0f} / {worst:.0f} ms")
            if p50 > 200:
                slow.append(f"{opts.db_table}{suffix}")
    assert not slow, f"over 200 ms: {slow}"
