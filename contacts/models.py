from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

_RATE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Partner(models.Model):
    """An affiliate who earns commission on the paid invoices of the contacts it referred.

    `parent` is the partner who referred this partner: it earns the second-tier rate.
    """

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    default_rate = models.DecimalField(
        "commission %", max_digits=5, decimal_places=2, default=Decimal("10"), validators=_RATE
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    second_tier_rate = models.DecimalField(
        "second-tier %", max_digits=5, decimal_places=2, default=Decimal("0"), validators=_RATE
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    currency = models.CharField(
        "preferred currency",
        max_length=3,
        default=settings.DEFAULT_CURRENCY,
        choices=[(c, c) for c in settings.CURRENCIES],
    )
    locale = models.CharField(max_length=16, default="en_US")
    referred_by = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    gateway_customer = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(Lower("email"), name="contact_email_lower"),
            models.Index(Lower("last_name"), Lower("first_name"), name="contact_name_lower"),
            models.Index(fields=["-created_at", "-id"], name="contact_created_keyset"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("desk:contact-detail", args=[self.pk])
