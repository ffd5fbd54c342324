"""Two PostgreSQL roles: the owner runs migrations, and the app connects as a role that owns nothing.

The ledger's guards are triggers, and whoever owns a table can drop or disable its triggers. A
superuser can also turn all triggers off with `session_replication_role`. So the web server and
the job cluster connect as DATABASE_URL's role. That role may read and write rows but owns no
table, cannot set that parameter, and cannot update or delete append-only rows. `migrate` and
`create_app_role` connect as MIGRATION_DATABASE_URL's role instead, which owns the schema.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dj_database_url
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# What a role is, for a connection: the database itself stays the one configured (in tests,
# the test database).
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")

# Rows here are never updated or deleted (billing 0002); the app role gets no UPDATE or DELETE.
# Default privileges grant both on tables that later migrations create: a new append-only table
# goes here, and create_app_role runs again after its migration.
APPEND_ONLY_TABLES = ("billing_journal", "billing_ledgerentry", "core_auditevent")


def credentials_of(url: str) -> dict[str, str]:
    parsed = dj_database_url.parse(url)
    return {key: parsed.get(key, "") for key in CREDENTIALS}


def owner_credentials() -> dict[str, str]:
    return credentials_of(settings.MIGRATION_DATABASE_URL or settings.DATABASE_URL)


def app_credentials() -> dict[str, str]:
    return credentials_of(settings.DATABASE_URL)


@contextmanager
def connected_as(credentials: dict[str, str], alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block on `alias` as another role, then reconnect as before."""
    connection = connections[alias]
    saved = {key: connection.settings_dict.get(key, "") for key in CREDENTIALS}
    if saved == credentials:
        yield
        return
    connection.close()
    connection.settings_dict.update(credentials)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def as_owner(alias: str = DEFAULT_DB_ALIAS):
    return connected_as(owner_credentials(), alias)
