"""Billing's admin: money records (view-only) and what follows from them."""

from billing.admin import money, orders  # noqa: F401
