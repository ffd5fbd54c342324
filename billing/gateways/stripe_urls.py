"""dj-stripe's webhook URL, answered by our signature check first (billing.gateways.stripe_webhooks).

Mounted under dj-stripe's namespace and URL name, so its admin and anything that reverses
`djstripe:djstripe_webhook_by_uuid` get this same address."""

from django.urls import path

from billing.gateways.stripe_webhooks import receive

app_name = "djstripe"

urlpatterns = [path("webhook/<uuid:uuid>/", receive, name="djstripe_webhook_by_uuid")]
