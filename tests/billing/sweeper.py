"""A sweep run in a real child process, for the tests that stop and kill one by its PID.

    python -m tests.billing.sweeper <sweep> <now-iso> [--delay-ms N] [--stall-at N --marker F]
    python -m tests.billing.sweeper refund <payment-pk> --stall-at 1 --marker F
    python -m tests.billing.sweeper <sweep> <now-iso> --start-after F --production   (benchmarks)

<sweep> is charge_due_orders or run_dunning (called with `now`). --delay-ms makes every
sandbox call that long (a real network's latency), so a kill lands mid-batch. --stall-at N:
the Nth gateway call first touches the marker file, then waits a moment inside the call
(outside any transaction, where a slow gateway keeps a real sender), so the parent can SIGSTOP
the process right there. --start-after F: wait, set up, until the file F exists, so a
benchmark times the sweep and not Python's start. --production: the sweep runs as in production,
its follow-up tasks queued for the cluster instead of run inline (the suite's setting), and its
clock standing at <now-iso>, so what it stamps and what it compares are on one clock (the fault
tests leave the clock running: their parent outruns a lease by passing a later `now`). `child()` starts it against the test's own database, as the app role.
"""

import argparse
import contextlib
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]


def child(*args: str) -> subprocess.Popen:
    """Start this module in a child process on the test database (settings.DATABASES, which
    inside a test names the test database), connected as the same app role as the test."""
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    owner = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x"))
    # The child is no xdist worker: the database name it is given already carries the worker's.
    env = {
        **{key: value for key, value in os.environ.items() if key != "PYTEST_XDIST_WORKER"},
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": owner._replace(path=f"/{name}").geturl(),
        "PAYDESK_TEST_DB": name,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.billing.sweeper", *args], cwd=ROOT, env=env
    )


def wait_for(condition, *, timeout: float = 180, what: str = "the child") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout} s for {what}")
        time.sleep(0.01)


def _stall_at(n: int, marker: Path) -> None:
    """Wrap the sandbox's charge and refund: the nth call marks the file, then lingers."""
    from billing.gateways.sandbox import SandboxGateway

    calls = {"n": 0}

    def stalling(real):
        def call(self, **kwargs):
            calls["n"] += 1
            if calls["n"] == n:
                marker.touch()
                time.sleep(0.5)
            return real(self, **kwargs)

        return call

    SandboxGateway.charge = stalling(SandboxGateway.charge)
    SandboxGateway.refund = stalling(SandboxGateway.refund)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sweep", choices=["charge_due_orders", "run_dunning", "refund"])
    parser.add_argument("subject")
    parser.add_argument("--delay-ms", type=float, default=0)
    parser.add_argument("--stall-at", type=int, default=0)
    parser.add_argument("--marker", type=Path)
    parser.add_argument("--start-after", type=Path)
    parser.add_argument("--production", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from billing.gateways import sandbox

    sandbox.slow_down(args.delay_ms)
    if args.stall_at:
        _stall_at(args.stall_at, args.marker)
    if args.sweep == "refund":
        from billing.actions import refund_payment
        from billing.models import Payment
        from core.roles import system_user

        payment = Payment.objects.get(pk=int(args.subject))
        refund_payment(payment, actor=system_user(), reason="returned")
        return
    now = dt.datetime.fromisoformat(args.subject)
    from billing.tasks import charge_due_orders
    from core import clock
    from dunning.tasks import run_dunning

    if args.start_after:
        wait_for(args.start_after.exists, what="the start signal")
    if args.production:
        from django_q.conf import Conf

        Conf.SYNC = False
    with clock.frozen_at(now) if args.production else contextlib.nullcontext():
        if args.sweep == "charge_due_orders":
            charge_due_orders(now=now)
        else:
            run_dunning(now=now)


if __name__ == "__main__":
    main()
