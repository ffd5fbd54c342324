import calendar
import datetime as dt

from django.db import models

from billing import declines


class PaymentMethodQuerySet(models.QuerySet):
    def usable(self) -> "PaymentMethodQuerySet":
        return self.filter(active=True, unusable_reason="")


class PaymentMethod(models.Model):
    """A card on file: the gateway's token and what a rep needs to recognise it.

    Never a card number or CVC (PCI SAQ A): the gateway holds those.
    """

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.PROTECT, related_name="payment_methods"
    )
    gateway = models.CharField(max_length=20)
    token = models.CharField(max_length=255)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    is_default = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    # The hard decline (stolen_card, fraudulent, ...) that made this card unusable: no charge,
    # renewal or retry uses it again; the rep sees why and takes a new card.
    unusable_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentMethodQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"],
                condition=models.Q(is_default=True),
                name="one_default_card_per_contact",
            ),
            models.UniqueConstraint(fields=["gateway", "token"], name="card_token_unique"),
        ]

    @property
    def usable(self) -> bool:
        return self.active and not self.unusable_reason

    @property
    def expires_on(self) -> dt.date:
        """The last day the card works: the end of its expiry month."""
        last = calendar.monthrange(self.exp_year, self.exp_month)[1]
        return dt.date(self.exp_year, self.exp_month, last)

    @property
    def unusable_label(self) -> str:
        return declines.label(self.unusable_reason)

    def __str__(self) -> str:
        return f"{self.brand.title()} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year % 100:02d})"
