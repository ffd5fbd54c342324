"""`make serve`: gunicorn serves the app and whitenoise its collected static files, with the
production settings (HTTPS behind a proxy here, as the test speaks plain HTTP)."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers={"Host": "paydesk.example.com", **headers})
    try:
        return urllib.request.urlopen(request, timeout=5)
    except urllib.error.HTTPError as error:  # urllib raises on 3xx it will not follow, 4xx, 5xx
        return error


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "paydesk.example.com",
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "DATABASE_URL": settings.DATABASE_URL.rsplit("/", 1)[0]
        + "/"
        + settings.DATABASES["default"]["NAME"],
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "collectstatic", "--no-input", "-v", "0"], env=env, cwd=ROOT, check=True
    )
    server = subprocess.Popen(
        [*manage, "serve", "--gunicorn", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1)
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)  # serve stops gunicorn and the job cluster
        server.wait(timeout=30)


def test_gunicorn_serves_the_login_page_and_whitenoise_its_static_files(served):
    page = _get(served + "/login/", **{"X-Forwarded-Proto": "https"})
    assert page.status == 200
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Secure" in page.headers["Set-Cookie"]  # the CSRF cookie

    body = page.read().decode()
    script = re.search(r'src="(/static/paydesk\.[0-9a-f]+\.js)"', body).group(1)
    static = _get(served + script, **{"X-Forwarded-Proto": "https"})
    assert static.status == 200
    assert "immutable" in static.headers["Cache-Control"]


def test_plain_http_is_redirected_to_https(served):
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(served + "/login/", headers={"Host": "paydesk.example.com"})
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(request, timeout=5)
    assert answer.value.code == 301
    assert answer.value.headers["Location"] == "https://paydesk.example.com/login/"
