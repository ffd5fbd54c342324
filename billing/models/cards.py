from django.db import models


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
    created_at = models.DateTimeField(auto_now_add=True)

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

    def __str__(self) -> str:
        return f"{self.brand.title()} •••• {self.last4} ({self.exp_month:02d}/{self.exp_year % 100:02d})"
