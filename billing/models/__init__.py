from billing.models.cards import PaymentMethod
from billing.models.invoices import Invoice, InvoiceLine
from billing.models.ledger import Account, Journal, LedgerEntry
from billing.models.orders import Order, OrderChange
from billing.models.payments import Payment, Refund
from billing.models.sandbox import SandboxCard, SandboxTransaction

__all__ = [
    "Account",
    "Invoice",
    "InvoiceLine",
    "Journal",
    "LedgerEntry",
    "Order",
    "OrderChange",
    "Payment",
    "PaymentMethod",
    "Refund",
    "SandboxCard",
    "SandboxTransaction",
]
from billing.models.commissions import Commission  # noqa: E402
from billing.models.disputes import Dispute  # noqa: E402
from billing.models.fulfilment import AccessGrant, Delivery  # noqa: E402

__all__ += ["AccessGrant", "Commission", "Delivery", "Dispute"]
from billing.models.approvals import ApprovalRequest  # noqa: E402

__all__ += ["ApprovalRequest"]
from billing.models.customer_emails import CustomerEmail  # noqa: E402

__all__ += ["CustomerEmail"]
