from billing.models.cards import PaymentMethod
from billing.models.invoices import Invoice, InvoiceLine
from billing.models.ledger import Account, Journal, LedgerEntry
from billing.models.payments import Payment, Refund
from billing.models.sandbox import SandboxCard, SandboxTransaction

__all__ = [
    "Account",
    "Invoice",
    "InvoiceLine",
    "Journal",
    "LedgerEntry",
    "Payment",
    "PaymentMethod",
    "Refund",
    "SandboxCard",
    "SandboxTransaction",
]
