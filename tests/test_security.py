
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse


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
