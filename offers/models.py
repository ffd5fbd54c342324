from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from djmoney.models.fields import MoneyField

from offers.terms import PaymentTerms

_PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Product(models.Model):
    """Something sold, and what happens once it is paid for (delivery email, membership)."""

    class Access(models.TextChoices):
        NONE = "none", "No membership access"
        TERM = "term", "For the order's paid term"
        DAYS = "days", "For a number of days"
        LIFETIME = "lifetime", "For life"

    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    price = MoneyField(max_digits=19, decimal_places=3, default_currency="USD")
    active = models.BooleanField(default=True)
    delivery_email = models.BooleanField(
        default=False, help_text="Email the customer a download link once paid"
    )
    download_url = models.URLField(blank=True)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.NONE)
    access_days = models.PositiveIntegerField(default=0)
    revoke_on_refund = models.BooleanField(default=True)
    commission_rate = models.DecimalField(
        "commission % override",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_PERCENT,
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    """A stored, reusable bundle of sale lines in one currency.

    Editing an offer that has been sold creates a new version (same `family`, version + 1) and
    archives the old one, so every sale keeps the lines it was sold with.
    """

    family = models.UUIDField(db_index=True)
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD")
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    dunning_policy_name = models.CharField(
        max_length=100, blank=True, help_text="Dunning policy for orders sold from this offer"
    )

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="offer_family_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def lines_for_sale(self) -> list:
        return [
            line.as_sale_line(dunning_policy=self.dunning_policy_name)
            for line in self.lines.select_related("product")
        ]


class OfferLine(models.Model):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(default=1)
    unit_price = MoneyField(max_digits=19, decimal_places=3, default_currency="USD")
    discount = MoneyField(
        max_digits=19, decimal_places=3, default_currency="USD", null=True, blank=True
    )
    terms = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def as_sale_line(self, dunning_policy: str = ""):
        from offers.lines import SaleLine  # offers.lines imports this module

        return SaleLine(
            self.product,
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount=self.discount,
            terms=PaymentTerms.from_json(self.terms),
            dunning_policy=dunning_policy,
            offer=self.offer,
        )
