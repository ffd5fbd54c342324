"""A line of a sale as the rep enters it (or an offer stores it), before billing makes it an
invoice line or an order. Billing checks a sale's lines (billing.lines.validate_lines)."""

from dataclasses import dataclass, field

from djmoney.money import Money

from offers.models import Offer, Product
from offers.terms import PaymentTerms


@dataclass(frozen=True)
class SaleLine:
    product: Product
    quantity: int = 1
    unit_price: Money | None = None
    discount: Money | None = None
    terms: PaymentTerms | None = field(default=None)
    # The dunning policy (by name) for the order this line opens; blank means the default.
    dunning_policy: str = ""
    # The stored offer this line comes from (Offer.lines_for_sale), recorded on what it bills.
    offer: Offer | None = None

    @property
    def price(self) -> Money:
        return self.unit_price if self.unit_price is not None else self.product.price

    @property
    def payment_terms(self) -> PaymentTerms:
        return self.terms or PaymentTerms.one_time()

    @property
    def subtotal(self) -> Money:
        return self.price * self.quantity

    @property
    def total(self) -> Money:
        return self.subtotal - self.discount if self.discount else self.subtotal

    def fingerprint(self) -> list:
        found = [
            self.product.pk,
            self.quantity,
            str(self.price),
            str(self.discount),
            self.payment_terms.to_json(),
        ]
        # Only when set, so a line typed into the grid keeps the fingerprint it always had.
        return [*found, self.offer.pk] if self.offer is not None else found
