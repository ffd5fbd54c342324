"""`migrate` connects as the owner role (MIGRATION_DATABASE_URL), whatever DATABASE_URL says.

The app's own role may not create, alter or drop anything (core.db_roles), so schema changes
(and the contenttypes and permissions rows that post_migrate writes) go through the owner.
"""

from django.core.management.commands import migrate

from core import db_roles


class Command(migrate.Command):
    def handle(self, *args, **options) -> None:
        with db_roles.as_owner(options["database"]):
            super().handle(*args, **options)
