"""core.txn.unflushed_commits: relaxed inside its block only, whatever the block does."""

import pytest
from django.db import connection

from core.txn import unflushed_commits

pytestmark = pytest.mark.django_db


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('synchronous_commit')")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("before", ["on", "local", "off"])
def test_the_setting_is_off_inside_and_as_it_was_after(before):
    with connection.cursor() as cursor:
        cursor.execute(f"SET synchronous_commit = {before}")
    with unflushed_commits():
        assert synchronous_commit() == "off"
    assert synchronous_commit() == before


def test_the_setting_comes_back_when_the_block_raises():
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = on")
    with pytest.raises(RuntimeError), unflushed_commits():
        raise RuntimeError("the block failed")
    assert synchronous_commit() == "on"
