"""The rules a sale's lines must meet before billing acts on them (offers.lines holds the line)."""

from django.conf import settings

from billing import errors
from core import money
from offers.lines import SaleLine
from offers.models import OfferLine

NOT_FROM_OFFER = "A line sold from an offer must be one of that offer's products."


def validate_lines(lines: list[SaleLine]) -> str:
    """Check a sale's lines and return their currency; raises BillingError on bad input."""
    if not lines:
        raise errors.InvalidRequest(errors.NO_LINES, field="lines")
    currencies = {str(line.price.currency) for line in lines}
    if len(currencies) > 1:
        raise errors.CurrencyMismatch(errors.MIXED_CURRENCIES, field="lines")
    (currency,) = currencies
    for line in lines:
        if line.quantity < 1:
            raise errors.InvalidRequest("Quantity must be at least 1.", field="quantity")
        if line.quantity > settings.PAYDESK_MAX_QUANTITY:
            raise errors.InvalidRequest(
                f"Sell at most {settings.PAYDESK_MAX_QUANTITY} on one line.", field="quantity"
            )
        terms = line.payment_terms
        amounts = (
            ("unit_price", line.price),
            ("discount", line.discount),
            ("initial", terms.initial),
            ("trial_price", terms.trial_price),
        )
        for name, value in amounts:
            if value is None:
                continue
            if str(value.currency) != currency:
                raise errors.CurrencyMismatch(errors.MIXED_CURRENCIES, field=name)
            try:
                money.within_ceiling(value)
            except money.MoneyError as exc:
                raise errors.InvalidAmount(str(exc), field=name) from None
            if value.amount < 0:
                raise errors.InvalidAmount("Amounts cannot be negative.", field=name)
        try:
            money.within_ceiling(line.total)
        except money.MoneyError as exc:
            raise errors.InvalidAmount(
                f"The line's total is too large. {exc}", field="quantity"
            ) from None
        if line.discount and line.discount > line.subtotal:
            raise errors.InvalidAmount("A discount cannot exceed its line.", field="discount")
        if terms.kind == "payment_plan" and terms.initial > line.total:
            raise errors.InvalidAmount(
                "The amount paid now cannot exceed the line's total.", field="initial"
            )
    _check_offers(lines)
    return currency


def _check_offers(lines: list[SaleLine]) -> None:
    """A line says which offer it was sold from, and managers filter sales by it: it must be
    true of the line, or the filter would credit an offer with what it never sold."""
    offered = [line for line in lines if line.offer is not None]
    if not offered:
        return
    pairs = set(
        OfferLine.objects.filter(offer__in={line.offer.pk for line in offered}).values_list(
            "offer_id", "product_id"
        )
    )
    if any((line.offer.pk, line.product.pk) not in pairs for line in offered):
        raise errors.InvalidRequest(NOT_FROM_OFFER, field="lines")
