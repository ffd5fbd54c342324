import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "env, message",
    [
        ({"DEBUG": "maybe"}, "DEBUG must be true or false"),
        ({"PAYDESK_GATEWAY": "paypal"}, "PAYDESK_GATEWAY must be one of sandbox, stripe"),
        ({"PAYDESK_REP_MAX_REFUND": "USD lots"}, "PAYDESK_REP_MAX_REFUND: 'lots' is not an amount"),
        ({"DEBUG": "false", "SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"EMAIL_PORT": "x"}, "EMAIL_PORT must be a whole number"),
    ],
)
def test_a_bad_setting_stops_the_start_with_a_clear_message(env, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_setup_schedules_is_idempotent(db):
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("setup_schedules")
    call_command("setup_schedules")
    assert set(Schedule.objects.values_list("func", flat=True)) == {
        "billing.tasks.charge_due_orders",
        "billing.tasks.reconcile_pending",
        "dunning.tasks.run_dunning",
    }
