"""The session store: an existing session is saved by one UPDATE, and a session that ended
during the request is reported as Django's own store reports it."""

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_saving_an_existing_session_is_one_update():
    store = SessionStore()
    store["tz"] = "Europe/Paris"
    store.create()
    again = SessionStore(store.session_key)
    again["tz"] = "Asia/Tokyo"
    with CaptureQueriesContext(connection) as saved:
        again.save()
    assert [q["sql"].split()[0] for q in saved.captured_queries] == ["UPDATE"]
    assert SessionStore(store.session_key)["tz"] == "Asia/Tokyo"


def test_a_session_deleted_meanwhile_is_not_written_back():
    store = SessionStore()
    store["tz"] = "Europe/Paris"
    store.create()
    Session.objects.filter(pk=store.session_key).delete()
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.exists()


def test_a_logged_in_page_keeps_its_session(client, rep):
    client.force_login(rep)
    assert client.get("/").status_code in (200, 302)
    assert client.session["_auth_user_id"] == str(rep.pk)
