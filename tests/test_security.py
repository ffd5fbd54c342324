import logging
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import idle_sessions

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]


def _log_in(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_the_right_password_logs_in(client, rep):
    rep.set_password("right-password")
    rep.save()
    response = _log_in(client, "rita", "right-password")
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_an_account_and_an_address_are_locked_after_too_many_wrong_passwords(rep, manager):
    for user in (rep, manager):
        user.set_password("right-password")
        user.save()
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(attacker, "rita", "guess").status_code == 200  # the form, with its error

    locked = _log_in(attacker, "rita", "guess")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()

    # Locked means locked: the right password does not get rita in, from anywhere,
    # and the attacker's address gets into no other account.
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert _log_in(elsewhere, "rita", "right-password").status_code == 429
    assert _log_in(attacker, "max", "right-password").status_code == 429
    assert "_auth_user_id" not in elsewhere.session
    assert "_auth_user_id" not in attacker.session
    # Someone else, elsewhere, is not locked out by it.
    assert _log_in(elsewhere, "max", "right-password").status_code == 302


def test_a_session_ends_after_the_idle_timeout_and_requests_extend_it(client, rep):
    client.force_login(rep)
    page = reverse("contacts:contact-list")
    assert client.get(page).status_code == 200
    session = Session.objects.get()
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert session.expire_date > timezone.now() + idle - timedelta(minutes=1)

    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(page)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_unchanged_session_is_written_again_only_after_a_30th_of_the_idle_time(
    client, rep, monkeypatch
):
    client.force_login(rep)
    page = reverse("contacts:contact-list")
    client.get(page)
    written = Session.objects.get().expire_date
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page)
    assert not [q for q in queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert Session.objects.get().expire_date == written

    later = time.time() + idle_sessions.refresh_step()
    monkeypatch.setattr(idle_sessions.time, "time", lambda: later)
    response = client.get(page)
    assert Session.objects.get().expire_date > written
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_logging_out_ends_the_session_and_its_cookie(client, rep):
    client.force_login(rep)
    client.get(reverse("contacts:contact-list"))
    response = client.post(reverse("logout"))
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""
    assert not Session.objects.exists()


def test_a_refusal_is_logged_with_the_user(client, outsider, caplog):
    client.force_login(outsider)
    with caplog.at_level(logging.WARNING, logger="core.forbidden"):
        response = client.get(reverse("contacts:contact-list"))
    assert response.status_code == 403
    assert f"by otto (id {outsider.pk})" in caplog.text


def test_pages_carry_a_content_security_policy_without_inline_script(client, rep):
    client.force_login(rep)
    policy = client.get(reverse("contacts:contact-list"))["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in policy


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_script_the_policy_would_block(template):
    """Inline <script>, on* handlers and hx-on run code from the page; hx-trigger filters
    ([...]) need eval. The CSP blocks all of them, so none may be written."""
    source = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source)
    assert not re.search(r"\son[a-z]+\s*=", source)
    assert "hx-on" not in source
    assert not re.search(r'hx-trigger="[^"]*\[', source)
