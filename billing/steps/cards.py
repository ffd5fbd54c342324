"""What a charge's outcome teaches us about the card that made it."""

from billing.models import Payment, PaymentMethod
from core import audit


def retire_after_hard_decline(payment: Payment, decline_code: str) -> None:
    """Inside the settling transaction: a hard decline (stolen, lost, fraudulent, ...) means
    the card will never work again, so no renewal or retry may charge it. Compare-and-set,
    so a second hard decline on the same card writes no second audit row."""
    changed = PaymentMethod.objects.filter(pk=payment.payment_method_id, unusable_reason="").update(
        unusable_reason=decline_code, is_default=False
    )
    if changed:
        audit.record(
            "card.unusable",
            PaymentMethod.objects.get(pk=payment.payment_method_id),
            actor=None,
            contact_id=payment.contact_id,
            reason=decline_code,
            after={"unusable_reason": decline_code},
        )
