"""The permission backend reads what Django's ModelBackend reads (a user's own permissions and
their groups'), in one statement."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.permissions import PermissionBackend

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache


def test_a_user_holds_their_own_and_their_groups_permissions_read_in_one_statement(manager):
    own = Permission.objects.get(codename="add_logentry")
    manager.user_permissions.add(own)
    with CaptureQueriesContext(connection) as read:
        held = PermissionBackend().get_all_permissions(_fresh(manager))
    assert len(read.captured_queries) == 2  # the user, then their permissions
    assert "admin.add_logentry" in held
    assert "core.see_manager_pages" in held
    assert held == ModelBackend().get_all_permissions(_fresh(manager))


@pytest.mark.parametrize("superuser", [False, True])
def test_superusers_hold_every_permission_and_inactive_users_none(rep, superuser):
    rep.is_superuser = superuser
    rep.save()
    assert PermissionBackend().get_all_permissions(
        _fresh(rep)
    ) == ModelBackend().get_all_permissions(_fresh(rep))
    rep.is_active = False
    rep.save()
    assert PermissionBackend().get_all_permissions(_fresh(rep)) == set()


def test_a_rep_is_refused_the_manager_pages_and_a_manager_is_not(rep, manager):
    assert not _fresh(rep).has_perm("core.see_manager_pages")
    assert _fresh(manager).has_perm("core.see_manager_pages")
