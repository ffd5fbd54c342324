"""localstripe, a fake Stripe API on loopback, and what the tests do as the browser would.

The `localstripe` fixture (a plugin of tests/conftest.py) starts one server per test module
that asks for it, so one module's objects and events never show in another's lists (the event
sync test reads every event the server has)."""

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

SHIM = Path(__file__).with_name("localstripe_shim.py")
SECRET = "sk_test_" + "0" * 24
PUBLIC = "pk_test_" + "0" * 24
# Stripe's test card whose bank asks for 3-D Secure when it is set up.
AUTHENTICATION_REQUIRED = "4000002500003155"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_stripe(base: str, path: str) -> dict:
    """Read localstripe directly, to check what the gateway told it."""
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {SECRET}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def confirm_in_browser(base: str, setup, **card) -> tuple[int, dict]:
    """What Stripe.js's confirmCardSetup sends: the client secret and the publishable key, with
    the card Elements collected (`payment_method_data`) or a test PaymentMethod."""
    data = {"key": PUBLIC, "client_secret": setup.client_secret, **card}
    request = urllib.request.Request(
        f"{base}/v1/setup_intents/{setup.id}/confirm",
        data=urllib.parse.urlencode(data).encode(),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def typed_card(number: str) -> dict:
    return {
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": number,
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2031",
        "payment_method_data[card][cvc]": "123",
    }


@pytest.fixture(scope="module")
def localstripe():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, str(SHIM), str(port)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                read_stripe(base, "/v1/account")
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-500:]
                    # A failure, not a skip: localstripe is a dev requirement, and a skipped
                    # Stripe suite would let CI pass with none of the Stripe path tested.
                    pytest.fail(f"localstripe did not start on {base}: {output}")
                time.sleep(0.2)
        yield base
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
