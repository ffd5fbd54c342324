from django import forms

from contacts.models import Contact
from core.forms import BoundedForm


class ContactForm(BoundedForm, forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "currency",
            "locale",
            "referred_by",
        ]
        help_texts = {"locale": "How money and dates are written for this contact, e.g. en_US."}

    def clean_locale(self) -> str:
        from babel import Locale, UnknownLocaleError

        value = self.cleaned_data["locale"].strip()
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError):
            raise forms.ValidationError("Enter a locale like en_US, de_DE or ja_JP.") from None
        return value
