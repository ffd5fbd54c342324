"""The demo clock: a superuser moves "now" a day, a week or a month, and the sweeps run at once.

Only while PAYDESK_ALLOW_TEST_CLOCK is on (it follows DEBUG, so never in production). Time moves
a day at a time and every sweep runs after each day, as the job cluster would have run them had
the days really passed: a month is thirty renewal, reconcile and dunning rounds, not one.
"""

import datetime as dt

from dateutil.relativedelta import relativedelta
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from billing.tasks import charge_due_orders, reconcile_pending
from core import audit, clock
from core.forms import BoundedForm
from core.models import ClockOffset
from dunning.tasks import run_dunning

STEPS = {
    "day": relativedelta(days=1),
    "week": relativedelta(weeks=1),
    "month": relativedelta(months=1),
}


class AdvanceForm(BoundedForm, forms.Form):
    step = forms.ChoiceField(choices=[(s, f"1 {s}") for s in STEPS])


def advance(step: str, *, actor) -> dict[str, int]:
    """Move the clock by `step`, one day at a time, running every sweep after each day."""
    start = clock.now()
    days = ((start + STEPS[step]) - start).days
    totals: dict[str, int] = {"days": days}
    for _ in range(days):
        with transaction.atomic():
            clock.set_offset(ClockOffset.current() + dt.timedelta(days=1))
        for counts in (reconcile_pending(), charge_due_orders(), run_dunning()):
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
    with transaction.atomic():
        audit.record(
            "clock.advanced",
            ClockOffset.objects.order_by("pk").first(),
            actor=actor,
            reason=f"Demo clock moved 1 {step}",
            before={"now": start.isoformat()},
            after={"now": clock.now().isoformat(), **totals},
        )
    return totals


@login_required
def demo_clock(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Only a superuser may move the demo clock.")
    if not settings.PAYDESK_ALLOW_TEST_CLOCK:
        raise Http404("The demo clock is off (PAYDESK_ALLOW_TEST_CLOCK).")
    form = AdvanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = form.cleaned_data["step"]
        done = advance(step, actor=request.user)
        summary = ", ".join(f"{value} {key}" for key, value in done.items() if key != "days")
        messages.success(request, f"Moved 1 {step} ({done['days']} days): {summary}.")
        return redirect("desk:demo-clock")
    return render(
        request,
        "desk/demo_clock.html",
        {"form": form, "now": clock.now(), "offset": ClockOffset.current(), "steps": STEPS},
    )
