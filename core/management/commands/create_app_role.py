from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql

from core import db_roles

# Attributes that would let the app step around the guards (or create a role or database that can).
_POWERS = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


class Command(BaseCommand):
    help = (
        "Create or update DATABASE_URL's role as an ordinary role with row privileges only. "
        "Connects as MIGRATION_DATABASE_URL's role (the owner); run it after migrate."
    )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("create_app_role is for PostgreSQL; SQLite has no roles")
        app = db_roles.app_credentials()
        if app == db_roles.owner_credentials():
            raise CommandError(
                "DATABASE_URL and MIGRATION_DATABASE_URL name the same role: give the app its own"
            )
        with db_roles.as_owner(), connection.cursor() as cursor:
            self._create_or_update(cursor, app["USER"], app["PASSWORD"])
            self._grant(cursor, app["USER"])
        self.stdout.write(f"Role {app['USER']} can read and write rows, and owns nothing.")

    def _create_or_update(self, cursor, name: str, password: str) -> None:
        role = sql.Identifier(name)
        cursor.execute(
            f"SELECT {', '.join(_POWERS)}, pg_has_role(rolname, current_user, 'MEMBER')"
            " FROM pg_roles WHERE rolname = %s",
            [name],
        )
        found = cursor.fetchone()
        if found is None:
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        elif any(found):
            raise CommandError(
                f"Role {name} is a superuser, can create roles or databases, bypasses row "
                "security, or is a member of the owner: the app must not run as it"
            )
        else:
            cursor.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
        if password:
            cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(role, sql.Literal(password)))
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = %s)",
            [name],
        )
        if cursor.fetchone()[0]:
            raise CommandError(f"Role {name} owns tables; REASSIGN OWNED BY it to the owner first")

    def _grant(self, cursor, name: str) -> None:
        role = sql.Identifier(name)
        database = sql.Identifier(connection.settings_dict["NAME"])
        statements = [
            "GRANT CONNECT ON DATABASE {db} TO {role}",
            "GRANT USAGE ON SCHEMA public TO {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            "REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            # Tables later migrations create are usable at once, without running this again.
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
            " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ]
        append_only = sql.SQL(", ").join(map(sql.Identifier, db_roles.APPEND_ONLY_TABLES))
        for statement in statements:
            cursor.execute(
                sql.SQL(statement).format(db=database, role=role, append_only=append_only)
            )
