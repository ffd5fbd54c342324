"""Stripe's webhooks through dj-stripe: the endpoint row, the signature check in front of
dj-stripe's view, and the event sync that recovers a lost delivery.

`receive` answers at dj-stripe's own URL (stripe/webhook/<uuid>/, billing.gateways.stripe_urls)
and checks the Stripe-Signature header first: an HMAC of the timestamp and body with the
endpoint's secret, the timestamp within the endpoint's tolerance (300 s). A request that fails
gets 400 and writes nothing: dj-stripe's view records a WebhookEventTrigger row for every
request before checking it, so forged or replayed posts would fill that table, and in DEBUG it
takes the secret from a request header. Only a signed event reaches dj-stripe's view, which
records the trigger and the Event (unique by Stripe's event id, so a redelivery is applied
once) and sends it to billing.gateways.stripe_events.

Validation is by signature only (`verify_signature` on the endpoint row): no round trip to
Stripe per event. dj-stripe asks Stripe for the account once per API key to file its Event
rows under; `setup_endpoint` does that up front, so a webhook makes no API call.

`sync_events` lists Stripe's events from the last one recorded (same second included: ids
dedupe) and records each through the same dj-stripe path, oldest first, stopping at the first
that fails so the next run starts there.
"""

import datetime as dt
import logging
import uuid

import stripe
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from djstripe.enums import WebhookEndpointStatus, WebhookEndpointValidation
from djstripe.models import Account, Event, WebhookEndpoint
from djstripe.views import ProcessWebhookView

from billing.gateways.stripe import _client, _translated
from billing.gateways.stripe_events import HANDLED
from core.txn import require_no_transaction

log = logging.getLogger(__name__)

TOLERANCE_SECONDS = 300
# With no event recorded yet, how far back the first sync looks.
FIRST_SYNC = dt.timedelta(days=3)
ENDPOINT_ID = "we_paydesk"

NO_SECRET = "STRIPE_WEBHOOK_SECRET is not set: copy the endpoint's signing secret (whsec_...)."
NOT_A_SECRET = "STRIPE_WEBHOOK_SECRET must be a Stripe signing secret (whsec_...)."


@csrf_exempt
@login_not_required
@require_POST
@transaction.non_atomic_requests
def receive(request: HttpRequest, uuid: uuid.UUID) -> HttpResponse:
    endpoint = WebhookEndpoint.objects.filter(djstripe_uuid=uuid).first()
    if endpoint is None:
        raise Http404("no such webhook endpoint")
    if not _signed(request, endpoint):
        return HttpResponseBadRequest("Invalid or stale Stripe-Signature.")
    return ProcessWebhookView.as_view()(request, uuid=uuid)


def _signed(request: HttpRequest, endpoint: WebhookEndpoint) -> bool:
    header = request.headers.get("Stripe-Signature", "")
    if not endpoint.secret or not header:
        return False
    try:
        stripe.WebhookSignature.verify_header(
            request.body.decode("utf-8"), header, endpoint.secret, endpoint.djstripe_tolerance
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
        log.warning("refused a webhook on %s: %s", endpoint.djstripe_uuid, exc)
        return False
    return True


def setup_endpoint(base_url: str, *, endpoint_id: str = ENDPOINT_ID) -> WebhookEndpoint:
    """Create or update the one endpoint row (idempotent: its URL's uuid is kept), with the
    secret from STRIPE_WEBHOOK_SECRET, and file the account dj-stripe needs for its Events."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise ValueError(NO_SECRET)
    if not secret.startswith("whsec_"):
        raise ValueError(NOT_A_SECRET)
    require_no_transaction("the account is asked of Stripe")
    with _translated():
        Account.get_or_retrieve_for_api_key(settings.STRIPE_SECRET_KEY)
    endpoint = WebhookEndpoint.objects.filter(id=endpoint_id).first()
    if endpoint is None:
        endpoint = WebhookEndpoint(id=endpoint_id)
    endpoint.secret = secret
    endpoint.enabled_events = HANDLED
    endpoint.status = WebhookEndpointStatus.enabled
    endpoint.livemode = settings.STRIPE_LIVE_MODE
    endpoint.api_version = settings.STRIPE_API_VERSION
    endpoint.djstripe_tolerance = TOLERANCE_SECONDS
    endpoint.djstripe_validation_method = WebhookEndpointValidation.verify_signature
    endpoint.url = base_url.rstrip("/") + f"/stripe/webhook/{endpoint.djstripe_uuid}/"
    endpoint.save()
    return endpoint


def sync_events() -> int:
    """Record and apply every handled event since the last one recorded; returns how many
    were new."""
    require_no_transaction("never call a gateway inside a transaction")
    last = Event.objects.filter(type__in=HANDLED).order_by("-created").first()
    since = last.created if last else dt.datetime.now(dt.UTC) - FIRST_SYNC
    params = {"created": {"gte": int(since.timestamp())}, "limit": 100}
    with _translated():
        listed = list(_client().v1.events.list(params).auto_paging_iter())
    # Stripe lists newest first; apply in the order they happened.
    wanted = sorted((e for e in listed if e.type in HANDLED), key=lambda e: (e.created, e.id))
    known = set(Event.objects.filter(id__in=[e.id for e in wanted]).values_list("id", flat=True))
    applied = 0
    for event in wanted:
        if event.id in known:
            continue
        try:
            Event.process(event.to_dict())
        except Exception:
            log.exception("event %s (%s) failed; the next sync retries it", event.id, event.type)
            break
        applied += 1
    return applied
