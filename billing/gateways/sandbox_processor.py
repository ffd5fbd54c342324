"""The sandbox's stand-in for the processor's own domain (Stripe's api.stripe.com and Elements).

The card capture widget (static/card_capture.js) posts the typed test card here, never to a
Paydesk form, and gets back the setup's state; the Paydesk form then sends only the setup id.
Mounted under /sandbox-gateway/ and answering only while the sandbox is the gateway.

Like a processor's API it takes no session and no CSRF token: the setup's signed, expiring
client secret is the credential. Its input is bounded: a small body, short fields, and a card
number the test-card table must know, so the endpoint stores nothing but test cards.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.gateways import sandbox_cards

# A confirm carries a secret (~150 bytes) and four short fields: anything larger is not one.
MAX_BODY_BYTES = 2048


class ConfirmForm(forms.Form):
    client_secret = forms.CharField(max_length=400)
    number = forms.CharField(max_length=40)
    exp_month = forms.IntegerField(min_value=1, max_value=12)
    exp_year = forms.IntegerField(min_value=0, max_value=9999)
    cvc = forms.CharField(max_length=4)


class AuthenticateForm(forms.Form):
    client_secret = forms.CharField(max_length=400)
    outcome = forms.ChoiceField(choices=[("complete", "complete"), ("fail", "fail")])


def _error(message: str, code: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"message": message, "code": code}}, status=status)


def _form(request: HttpRequest, form_class: type[forms.Form]) -> forms.Form | JsonResponse:
    if settings.PAYDESK_GATEWAY != "sandbox":
        raise Http404("The sandbox gateway is not in use")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = MAX_BODY_BYTES + 1
    if length > MAX_BODY_BYTES:
        return _error("Request too large.", "request_too_large", 413)
    form = form_class(request.POST)
    if not form.is_valid():
        field = next(iter(form.errors))
        return _error(f"Invalid {field}.", "parameter_invalid", 400)
    return form


def _answer(call) -> JsonResponse:
    try:
        return JsonResponse(call())
    except sandbox_cards.SetupRefused as exc:
        return _error(str(exc), exc.code, exc.status)


@login_not_required
@csrf_exempt
@require_POST
def confirm(request: HttpRequest, setup_id: str) -> JsonResponse:
    form = _form(request, ConfirmForm)
    if isinstance(form, JsonResponse):
        return form
    data = form.cleaned_data
    return _answer(
        lambda: sandbox_cards.confirm_setup(
            setup_id,
            client_secret=data["client_secret"],
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
        )
    )


@login_not_required
@csrf_exempt
@require_POST
def authenticate(request: HttpRequest, setup_id: str) -> JsonResponse:
    form = _form(request, AuthenticateForm)
    if isinstance(form, JsonResponse):
        return form
    data = form.cleaned_data
    return _answer(
        lambda: sandbox_cards.authenticate_setup(
            setup_id,
            client_secret=data["client_secret"],
            complete=data["outcome"] == "complete",
        )
    )


app_name = "sandbox_gateway"
urlpatterns = [
    path("v1/setup_intents/<slug:setup_id>/confirm", confirm, name="setup-confirm"),
    path("v1/setup_intents/<slug:setup_id>/authenticate", authenticate, name="setup-authenticate"),
]
