from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # dj-stripe's webhook URL, behind a signature check that writes nothing for a bad post.
    path("stripe/", include("billing.gateways.stripe_urls", namespace="djstripe")),
    # The sandbox gateway's stand-in for the processor's domain (card capture); 404 with Stripe.
    path("sandbox-gateway/", include("billing.gateways.sandbox_processor")),
    path("billing/", include("billing.urls")),
    path("pay/", include("billing.customer_urls")),
    path("offers/", include("offers.urls")),
    path("collections/", include("dunning.urls")),
    path("core/", include("core.urls")),
    path("", include("desk.urls")),
    path("", include("contacts.urls")),
]
