from django.db import models


class SandboxCard(models.Model):
    """A card the sandbox gateway holds, as Stripe would: token in, behaviour by test card."""

    token = models.CharField(max_length=64, unique=True)
    customer = models.CharField(max_length=64)
    behaviour = models.CharField(max_length=64)
    brand = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    # The setup (SetupIntent) the browser confirmed it on; none for cards attached by token.
    setup = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # A 3-D Secure challenge is open: the setup is not complete until the cardholder passes it.
    awaiting_authentication = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.token


class SandboxTransaction(models.Model):
    """The sandbox gateway's own record of a charge or refund, keyed like Stripe's.

    Kept in the database (not process memory) so the web server, the job cluster and the
    reconcile task all see the same gateway.
    """

    kind = models.CharField(max_length=8)
    ref = models.CharField(max_length=64, unique=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10)
    card = models.CharField(max_length=64, blank=True)
    charge_ref = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.ref
