"""The permission backend: Django's ModelBackend, reading a user's permissions in one statement.

Every page checks permissions (its view, the navigation's links), and ModelBackend reads a
user's own permissions and their groups' in two statements, once per request; this reads both
in one. Login, superusers, inactive users and the per-request cache are ModelBackend's.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


_PERMISSION, _TYPE = Permission._meta.db_table, ContentType._meta.db_table
_TYPE_ID = _column(Permission, "content_type")
_own = User.user_permissions.through
_OWN, _OWN_USER, _OWN_PERMISSION = (
    _own._meta.db_table,
    _column(_own, "user"),
    _column(_own, "permission"),
)
_grants = Group.permissions.through
_GROUPS, _GROUP_GROUP, _GROUP_PERMISSION = (
    _grants._meta.db_table,
    _column(_grants, "group"),
    _column(_grants, "permission"),
)
_members = User.groups.through
_MEMBERS, _MEMBER_USER, _MEMBER_GROUP = (
    _members._meta.db_table,
    _column(_members, "user"),
    _column(_members, "group"),
)


class PermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _held(user_obj)
        return user_obj._perm_cache


def _held(user) -> set[str]:
    """Written as SQL: the ORM took 1.6 ms to build and compile this statement on every
    request, where PostgreSQL plans and runs it in half a millisecond."""
    sql = (
        f"SELECT ct.app_label, p.codename FROM {_PERMISSION} p"
        f" JOIN {_TYPE} ct ON ct.id = p.{_TYPE_ID}"
    )
    params: list[int] = []
    if not user.is_superuser:
        # IN, not EXISTS: PostgreSQL reads each list once into a hash, where it probed the
        # user's own permissions once per permission row.
        sql += (
            f" WHERE p.id IN (SELECT {_OWN_PERMISSION} FROM {_OWN} WHERE {_OWN_USER} = %s)"
            f" OR p.id IN (SELECT gp.{_GROUP_PERMISSION} FROM {_GROUPS} gp"
            f" JOIN {_MEMBERS} m ON m.{_MEMBER_GROUP} = gp.{_GROUP_GROUP}"
            f" WHERE m.{_MEMBER_USER} = %s)"
        )
        params = [user.pk, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {f"{app}.{codename}" for app, codename in cursor.fetchall()}
