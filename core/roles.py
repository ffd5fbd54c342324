"""The three roles as Django groups, and the rule for what a rep may do alone.

Groups are rebuilt after every migrate (idempotently), so a permission added in code reaches
its role without a hand-written data migration.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

REP = "Rep"
MANAGER = "Manager"
BILLING_ADMIN = "Billing admin"

_READ_APPS = ("contacts", "offers", "billing", "dunning", "core")
_REP_PERMS = (
    "contacts.add_contact",
    "contacts.change_contact",
    "billing.sell",
    "billing.discount",
    "billing.mark_paid",
    "billing.retry_charge",
    "billing.refund",
    "billing.void",
    "billing.ask_write_off",
    "billing.send_invoice",
    "billing.manage_cards",
    "billing.change_orders",
    "dunning.work_collections",
)
_MANAGER_PERMS = _REP_PERMS + (
    "billing.write_off",
    "billing.replace_invoice",
    "billing.exceed_rep_limits",
    "billing.decide_approvals",
    "billing.rerun_commissions",
    "billing.manage_commissions",
    "offers.add_offer",
    "offers.change_offer",
    "offers.add_product",
    "offers.change_product",
    "dunning.add_dunningpolicy",
    "dunning.change_dunningpolicy",
    "core.see_manager_pages",
)


def _perms(names: tuple[str, ...]) -> list[Permission]:
    wanted = {tuple(name.split(".")) for name in names}
    found = Permission.objects.select_related("content_type").filter(
        content_type__app_label__in={app for app, _ in wanted},
        codename__in={code for _, code in wanted},
    )
    return [p for p in found if (p.content_type.app_label, p.codename) in wanted]


def role_for(perm: str) -> str:
    """The first role, from the least trusted up, whose members hold `perm`."""
    app, _, codename = perm.partition(".")
    if perm in _REP_PERMS or (app in _READ_APPS and codename.startswith("view_")):
        return REP
    if perm in _MANAGER_PERMS:
        return MANAGER
    return BILLING_ADMIN


def refusal(perm: str) -> str:
    """What the 403 page tells someone refused `perm`: who may do it instead."""
    role = role_for(perm)
    if role == REP:
        return "Your account has not been given this permission: ask an administrator."
    return f"Only a {role.lower()} may do this: ask one to do it or to change your role."


def required(perm: str) -> Callable:
    """A view decorator: refuse (403, saying which role may) unless the user holds `perm`."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied(refusal(perm))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def ensure_roles(**_: Any) -> None:
    viewing = list(
        Permission.objects.filter(
            content_type__app_label__in=_READ_APPS, codename__startswith="view_"
        )
    )
    Group.objects.get_or_create(name=REP)[0].permissions.set(viewing + _perms(_REP_PERMS))
    Group.objects.get_or_create(name=MANAGER)[0].permissions.set(viewing + _perms(_MANAGER_PERMS))
    everything = Permission.objects.filter(content_type__app_label__in=_READ_APPS)
    Group.objects.get_or_create(name=BILLING_ADMIN)[0].permissions.set(everything)


SYSTEM_USERNAME = "paydesk-system"
STRIPE_USERNAME = "stripe"


def system_user():
    """The actor of automatic actions (dunning's final action): a manager nobody can log in as,
    so the audit trail names the automation rather than a person."""
    user, created = _unloggable(SYSTEM_USERNAME, "Paydesk", "(automatic)")
    if created:
        user.groups.add(Group.objects.get_or_create(name=MANAGER)[0])
    return user


def stripe_user():
    """The actor of what Stripe reports on its own (a refund made in its dashboard, a
    dispute): a user with no role nobody can log in as, named "Stripe" in the history."""
    return _unloggable(STRIPE_USERNAME, "Stripe", "")[0]


def _unloggable(username: str, first_name: str, last_name: str):
    from django.contrib.auth.models import User

    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first_name, "last_name": last_name}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user, created


CUSTOMER_USERNAME = "paydesk-customer"
# What a customer may do through a signed link: pay an invoice with a card and put a card on
# file. Held by the customer actor alone, so its audit events can never be anything else.
_CUSTOMER_PERMS = ("billing.retry_charge", "billing.manage_cards")


def customer_user():
    """The actor of what a customer does on their own pages (a signed link, no login): a user
    nobody can log in as, holding only the permissions those pages need, so the audit trail says
    "customer" and the actions' permission checks still apply."""
    user, created = _unloggable(CUSTOMER_USERNAME, "Customer", "(signed link)")
    if created:
        user.user_permissions.set(_perms(_CUSTOMER_PERMS))
    return user
