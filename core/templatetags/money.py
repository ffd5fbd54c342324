from django import template
from djmoney.money import Money

from core.money import format_money

register = template.Library()


@register.filter
def money(value: Money | None, locale: str = "en_US") -> str:
    """Format an amount with its currency's own decimals, for the given locale."""
    if value is None or value == "":
        return ""
    return format_money(value, locale or "en_US")
