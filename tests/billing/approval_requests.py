"""What a rep asks a manager for, as the approval tests ask it."""

from billing.actions import ask_manager
from billing.models import ApprovalRequest


def ask_refund(payment, rep, amount=None, **kw) -> ApprovalRequest:
    params = {"amount": amount, "settle": "gateway"}
    return ask_manager(
        payment, kind="refund_payment", params=params, actor=rep, reason="never arrived", **kw
    )


def ask_write_off(invoice, rep, **kw) -> ApprovalRequest:
    return ask_manager(
        invoice, kind="write_off_invoice", params={}, actor=rep, reason="moved abroad", **kw
    )
