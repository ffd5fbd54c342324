"""The permission backend: Django's ModelBackend, reading a user's permissions in one statement.

Every page checks permissions (its view, the navigation's links), and ModelBackend reads a
user's own permissions and their groups' in two statements, once per request; this reads both
in one. Login, superusers, inactive users and the per-request cache are ModelBackend's.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class PermissionBackend(ModelBackend):
    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = _held(user_obj)
        return user_obj._perm_cache


def _held(user) -> set[str]:
    perms = Permission.objects.all()
    if not user.is_superuser:
        # IN, not EXISTS: PostgreSQL reads each list once into a hash, where it probed the
        # user's own permissions once per permission row.
        own = user.user_permissions.through.objects.filter(user=user).values("permission")
        grouped = Permission.group_set.through.objects.filter(group__user=user)
        perms = perms.filter(Q(pk__in=own) | Q(pk__in=grouped.values("permission")))
    found = perms.values_list("content_type__app_label", "codename").order_by()
    return {f"{app}.{codename}" for app, codename in found}
