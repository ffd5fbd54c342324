import json
import secrets
import subprocess
import sys

import pytest

# What an operator sets in production; everything else keeps its default.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "paydesk.example.com",
}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )


def _settings(env: dict[str, str], *names: str) -> dict:
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    result = _run(["-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"PAYDESK_GATEWAY": "paypal"}, "PAYDESK_GATEWAY must be one of sandbox, stripe"),
        ({"PAYDESK_REP_MAX_REFUND": "USD lots"}, "PAYDESK_REP_MAX_REFUND: 'lots' is not an amount"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"EMAIL_PORT": "x"}, "EMAIL_PORT must be a whole number"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES must be at least 1"),
        ({"PAYDESK_GATEWAY_LANES": "0"}, "PAYDESK_GATEWAY_LANES must be at least 1"),
        ({"PAYDESK_GATEWAY_LANES": "500"}, "PAYDESK_GATEWAY_LANES must be at most 32"),
    ],
)
def test_a_bad_setting_stops_the_start_with_a_clear_message(env, message):
    result = _run(["manage.py", "check"], {"SECRET_KEY": "k" * 50, **env})
    assert result.returncode != 0
    assert message in result.stderr


def test_a_sweep_sends_over_eight_lanes_with_stripe_and_one_with_the_sandbox():
    stripe = {"SECRET_KEY": "k" * 50, "PAYDESK_GATEWAY": "stripe"}
    assert _settings(stripe, "PAYDESK_GATEWAY_LANES") == {"PAYDESK_GATEWAY_LANES": 8}
    sandbox = {"SECRET_KEY": "k" * 50}
    assert _settings(sandbox, "PAYDESK_GATEWAY_LANES") == {"PAYDESK_GATEWAY_LANES": 1}
    chosen = {**stripe, "PAYDESK_GATEWAY_LANES": "3"}
    assert _settings(chosen, "PAYDESK_GATEWAY_LANES") == {"PAYDESK_GATEWAY_LANES": 3}


def test_unset_debug_means_production():
    values = _settings(
        {"SECRET_KEY": "k" * 50},
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "PAYDESK_ALLOW_TEST_CLOCK",
    )
    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
        "PAYDESK_ALLOW_TEST_CLOCK": False,
    }


def test_unset_debug_needs_a_secret_key():
    result = _run(["manage.py", "check"], {})
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_behind_a_tls_proxy_the_https_settings_are_switchable():
    env = {**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    env["SECURE_SSL_REDIRECT"] = "false"  # the proxy redirects
    values = _settings(env, "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT")
    assert values == {
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_SSL_REDIRECT": False,
    }


def test_setup_schedules_is_idempotent(db):
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("setup_schedules")
    call_command("setup_schedules")
    assert set(Schedule.objects.values_list("func", flat=True)) == {
        "billing.tasks.charge_due_orders_chunk",
        "desk.tasks.roll_up_ledger_months",
        "billing.tasks.reconcile_pending_chunk",
        "dunning.tasks.run_dunning_chunk",
        "billing.tasks.sync_gateway_events",
    }


LIVE = {"STRIPE_SECRET_KEY": "sk_live_" + "1" * 24, "STRIPE_PUBLIC_KEY": "pk_live_" + "1" * 24}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            {**LIVE, "STRIPE_LIVE_MODE": "true"},
            "Live Stripe keys (sk_live_/pk_live_) are refused while DEBUG is on",
        ),
        # A live publishable key with a test secret key would send real cards to a test account.
        ({"STRIPE_PUBLIC_KEY": LIVE["STRIPE_PUBLIC_KEY"]}, "STRIPE_PUBLIC_KEY's mode"),
    ],
)
def test_live_stripe_keys_are_refused_while_debug_is_on(keys, message):
    result = _run(["manage.py", "check"], {"DEBUG": "true", **keys})
    assert result.returncode != 0
    assert message in result.stderr


def test_live_stripe_keys_start_with_debug_off():
    env = {**PRODUCTION, **LIVE, "STRIPE_LIVE_MODE": "true", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
    values = _settings(env, "STRIPE_LIVE_MODE", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_VERSION")
    assert values == {
        "STRIPE_LIVE_MODE": True,
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "STRIPE_API_VERSION": "2026-05-27.dahlia",
    }


def test_a_webhook_secret_must_be_a_signing_secret():
    result = _run(["manage.py", "check"], {**PRODUCTION, "STRIPE_WEBHOOK_SECRET": "sk_test_x"})
    assert "STRIPE_WEBHOOK_SECRET must start with whsec_" in result.stderr


def test_stripe_js_is_allowed_by_the_csp_in_stripe_mode_only():
    policy = "CONTENT_SECURITY_POLICY"
    sandbox = _settings(PRODUCTION, policy)[policy]["DIRECTIVES"]
    stripe = _settings({**PRODUCTION, "PAYDESK_GATEWAY": "stripe"}, policy)[policy]["DIRECTIVES"]
    assert sandbox["script-src"] == ["'self'"] and "frame-src" not in sandbox
    assert "https://js.stripe.com" in stripe["script-src"]
    assert "https://js.stripe.com" in stripe["frame-src"]
    assert stripe["connect-src"] == ["'self'", "https://api.stripe.com"]
