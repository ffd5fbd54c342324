"""Forms for the collections page (pause, stop) and the policy settings page."""

import datetime as dt
import re

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.template import TemplateSyntaxError
from django.utils import timezone

from core.forms import ActionForm, BoundedForm, DayField, reason_field
from dunning import notice_templates
from dunning.models import DunningPolicy, NoticeTemplate
from dunning.policies import DEFAULT_NOTICES

DAYS_FORMAT = "Enter whole days after the failure, like 1, 3, 7."


class PauseCollectionForm(ActionForm):
    until = DayField(label="Pause until", help_text="Retries start again that day.")
    reason = reason_field()

    def clean_until(self) -> dt.datetime:
        # The start of that day in the rep's own time zone.
        return timezone.make_aware(dt.datetime.combine(self.cleaned_data["until"], dt.time()))


class StopCollectionForm(ActionForm):
    reason = reason_field()


class DaysField(forms.CharField):
    """ "3, 7, 14" as [3, 7, 14]; empty means "use the interval and window"."""

    def to_python(self, value) -> list[int]:
        value = super().to_python(value)
        if isinstance(value, list):
            return value
        parts = [p for p in re.split(r"[\s,;]+", value or "") if p]
        if not all(p.isdigit() and 0 < int(p) <= 3650 for p in parts):
            raise forms.ValidationError(DAYS_FORMAT)
        return sorted({int(p) for p in parts})

    def prepare_value(self, value) -> str:
        return ", ".join(str(d) for d in value) if isinstance(value, list) else value


# Beyond these a schedule is a typo: retries years apart, or a window no case lives to see.
MAX_INTERVAL_DAYS = 365
MAX_WINDOW_DAYS = 3650
MAX_ATTEMPTS = 100


class DunningPolicyForm(BoundedForm, forms.ModelForm):
    days = DaysField(
        required=False,
        label="Or these days after the failure",
        help_text="Empty: every interval up to the window, e.g. days 3, 6, …, 90.",
    )

    class Meta:
        model = DunningPolicy
        fields = [
            "name",
            "is_default",
            "interval_days",
            "window_days",
            "days",
            "max_attempts",
            "try_other_cards",
            "retry_on_card_update",
            "final_action",
        ]
        labels = {
            "is_default": "Default policy (for orders that name none)",
            "interval_days": "Retry every (days)",
            "window_days": "For (days)",
            "try_other_cards": "Try the contact's other cards before giving up",
            "retry_on_card_update": "Retry at once when the card is updated",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        maxima = {
            "interval_days": MAX_INTERVAL_DAYS,
            "window_days": MAX_WINDOW_DAYS,
            "max_attempts": MAX_ATTEMPTS,
        }
        for name, most in maxima.items():
            field = self.fields[name]
            field.min_value, field.max_value = 1, most
            field.validators += [MinValueValidator(1), MaxValueValidator(most)]
            field.widget.attrs.update(min=1, max=most)

    def _get_validation_exclusions(self):
        # "One default policy" is kept by dunning.actions.save_policy, which hands the flag over
        # in the same transaction; checking the constraint here would refuse every change of
        # default.
        return {*super()._get_validation_exclusions(), "is_default"}


class NoticeForm(BoundedForm, forms.ModelForm):
    class Meta:
        model = NoticeTemplate
        fields = ["subject", "body_text", "body_html"]
        labels = {"body_text": "Text body", "body_html": "HTML body (optional)"}
        widgets = {
            "body_text": forms.Textarea(attrs={"rows": 5}),
            "body_html": forms.Textarea(attrs={"rows": 3}),
        }

    def _template(self, name: str) -> str:
        value = self.cleaned_data[name]
        try:
            # A broken template would only fail when the notice is sent.
            unknown = notice_templates.unknown_variables(value)
        except TemplateSyntaxError as exc:
            raise forms.ValidationError(f"Template error: {exc}") from None
        if unknown:
            raise forms.ValidationError(
                f"Unknown variable {{{{ {unknown[0]} }}}}: notices may use only "
                + ", ".join(notice_templates.VARIABLES)
                + "."
            )
        return value

    def clean_subject(self) -> str:
        return self._template("subject")

    def clean_body_text(self) -> str:
        return self._template("body_text")

    def clean_body_html(self) -> str:
        return self._template("body_html")


def notice_forms(data, policy: DunningPolicy | None) -> list[NoticeForm]:
    """One form per notice kind (first, further, final), prefixed by its kind."""
    existing = {n.kind: n for n in policy.notices.all()} if policy and policy.pk else {}
    found = []
    for kind, label in NoticeTemplate.Kind.choices:
        instance = existing.get(kind) or NoticeTemplate(kind=kind)
        subject, body = DEFAULT_NOTICES[kind]
        initial = {} if instance.pk else {"subject": subject, "body_text": body}
        form = NoticeForm(data, instance=instance, prefix=kind, initial=initial)
        form.label = label
        found.append(form)
    return found
