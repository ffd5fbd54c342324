"""A contact's credit moves into the ledger; an order remembers what its period was billed at.

`Order.credit` is dropped without moving its values: a net credit kept there was never posted
(no journal balanced it), so there is nothing in the books to carry over. Existing orders get a
`period_price` from their terms: the trial price while on trial, otherwise their price.
"""

from decimal import Decimal

import djmoney.models.fields
from django.db import migrations, models

CURRENCIES = [
    ("AUD", "Australian Dollar"),
    ("BHD", "Bahraini Dinar"),
    ("GBP", "British Pound"),
    ("CAD", "Canadian Dollar"),
    ("EUR", "Euro"),
    ("JPY", "Japanese Yen"),
    ("JOD", "Jordanian Dinar"),
    ("KWD", "Kuwaiti Dinar"),
    ("NZD", "New Zealand Dollar"),
    ("OMR", "Omani Rial"),
    ("SEK", "Swedish Krona"),
    ("CHF", "Swiss Franc"),
    ("USD", "US Dollar"),
]


def fill_period_price(apps, schema_editor):
    Order = apps.get_model("billing", "Order")
    for order in Order.objects.all().iterator():
        price = order.unit_price.amount * order.quantity
        if order.kind == "subscription" and order.periods_billed == 0:
            trial = (order.terms or {}).get("trial_price")
            price = Decimal(trial[0]) if trial else Decimal(0)
        order.period_price = price
        order.period_price_currency = order.currency
        order.save(update_fields=["period_price", "period_price_currency"])


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_ledger_truncate_and_closed_journals")]

    operations = [
        migrations.RemoveField(model_name="order", name="credit"),
        migrations.RemoveField(model_name="order", name="credit_currency"),
        migrations.AddField(
            model_name="order",
            name="period_price_currency",
            field=djmoney.models.fields.CurrencyField(
                choices=CURRENCIES, default="USD", editable=False, max_length=3
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="period_price",
            field=djmoney.models.fields.MoneyField(
                decimal_places=3, default=0, default_currency="USD", max_digits=19
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_period_price, migrations.RunPython.noop),
        migrations.AddField(
            model_name="refund",
            name="from_credit",
            field=models.BooleanField(default=False),
        ),
        migrations.AlterField(
            model_name="ledgerentry",
            name="account",
            field=models.CharField(
                choices=[
                    ("receivable", "Accounts receivable"),
                    ("revenue", "Revenue"),
                    ("discounts", "Discounts"),
                    ("refunds", "Refunds"),
                    ("cash", "Gateway clearing"),
                    ("external", "External payments"),
                    ("bad_debt", "Bad debt"),
                    ("commission_expense", "Commission expense"),
                    ("commission_payable", "Commissions payable"),
                    ("credit", "Customer credit"),
                ],
                max_length=20,
            ),
        ),
    ]
