"""Every model change has its migration: CI builds its databases from the migrations, so a
model changed without one would be tested against a schema production never gets."""

import io

from django.core.management import call_command


def test_the_models_need_no_new_migration(db):
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
