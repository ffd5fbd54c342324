"""Orders remember the unit price they were sold at, for the rep's re-pricing limit.

Orders opened before this migration take their current price: what they were sold at was not
kept, and the current price is the one a rep would lower next.
"""

import djmoney.models.fields
from django.db import migrations
from django.db.models import F

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


def copy_unit_price(apps, schema_editor):
    Order = apps.get_model("billing", "Order")
    Order.objects.update(
        sold_unit_price=F("unit_price"), sold_unit_price_currency=F("unit_price_currency")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_payment_claims_and_overpayments"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="sold_unit_price",
            field=djmoney.models.fields.MoneyField(decimal_places=3, max_digits=19, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="sold_unit_price_currency",
            field=djmoney.models.fields.CurrencyField(
                choices=CURRENCIES, default="USD", editable=False, max_length=3, null=True
            ),
        ),
        migrations.RunPython(copy_unit_price, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="sold_unit_price",
            field=djmoney.models.fields.MoneyField(decimal_places=3, max_digits=19),
        ),
        migrations.AlterField(
            model_name="order",
            name="sold_unit_price_currency",
            field=djmoney.models.fields.CurrencyField(
                choices=CURRENCIES, default="USD", editable=False, max_length=3
            ),
        ),
    ]
