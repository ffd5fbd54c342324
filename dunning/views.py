"""The collections page (cases being chased, and the rep's ways to end or hold them) and the
policy settings page. Money changes only through billing's and dunning's actions."""

from urllib.parse import parse_qs, urlencode, urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import reswap, retarget
from djmoney.money import Money

from billing import declines
from billing.actions import ask_manager, retry_invoice, write_off_invoice
from billing.forms import RetryForm
from billing.models import Invoice
from billing.selectors import with_amounts
from core.action_views import require_perm, run_action
from core.forms import ReasonForm, form_changes
from core.htmx import announce_change, form_data, render_screen
from core.locales import money_text
from core.params import object_id
from core.roles import required
from dunning import notice_templates
from dunning.actions import pause_collection, save_policy, stop_collection
from dunning.forms import (
    DunningPolicyForm,
    PauseCollectionForm,
    StopCollectionForm,
    notice_forms,
)
from dunning.models import DunningCase, DunningPolicy
from dunning.selectors import OPEN, attempt_dates, collections_queue, policies, queue_counts

COLLECTIONS = "dunning/collections.html"


def _queue_context(status: str, cursor: str | None) -> dict:
    cases, next_cursor = collections_queue(status, cursor)
    next_url = None
    if next_cursor:
        next_url = "?" + urlencode({"status": status, "after": next_cursor})
    return {
        "cases": cases,
        "status": status if status in OPEN else "",
        "counts": queue_counts(),
        "next_url": next_url,
    }


@required("dunning.view_dunningcase")
def collections(request: HttpRequest) -> HttpResponse:
    context = _queue_context(request.GET.get("status", ""), request.GET.get("after"))
    return render_screen(request, COLLECTIONS, "cases", context)


def _case_for(request: HttpRequest, pk: int, perm: str) -> DunningCase:
    require_perm(request, "dunning.view_dunningcase")
    require_perm(request, perm)
    invoices = with_amounts(Invoice.objects.all())
    case = get_object_or_404(
        DunningCase.objects.select_related("contact").prefetch_related(
            Prefetch("invoice", invoices)
        ),
        pk=pk,
    )
    case.invoice.due = Money(case.invoice.due_amount, case.invoice.currency)
    return case


def _done(request: HttpRequest):
    """After an action: the queue again (the page the rep was on), and the news."""

    def done(message: str) -> HttpResponse:
        if not request.htmx:
            messages.success(request, message)
            return redirect("dunning:collections")
        query = parse_qs(urlsplit(request.htmx.current_url or "").query)
        status = query.get("status", [""])[0]
        response = render(request, f"{COLLECTIONS}#cases", _queue_context(status, None))
        return announce_change(reswap(retarget(response, "#cases"), "outerHTML"), "cases", message)

    return done


def _case_action(
    request,
    case: DunningCase,
    form,
    call,
    *,
    name,
    title,
    submit,
    message,
    danger=False,
    extra: dict | None = None,
):
    return run_action(
        request,
        form,
        call,
        contact=case.contact,
        title=f"{title} {case.invoice.number}",
        submit=submit,
        action_url=reverse(f"dunning:{name}", args=[case.pk]),
        message=message,
        facts=[("Due", case.invoice.due), ("Attempts made", case.attempts_made)],
        danger=danger,
        extra={
            "back_url": reverse("dunning:collections"),
            "back_label": "Collections",
            **(extra or {}),
        },
        done=_done(request),
    )


def case_retry(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk, "billing.retry_charge")
    form = RetryForm(form_data(request), contact=case.contact)

    def call(data: dict):
        return retry_invoice(
            case.invoice,
            payment_method=data["payment_method"],
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    def message(payment) -> str:
        if payment.status == "succeeded":
            return f"Charged {money_text(request, payment.amount)}: {case.invoice.number} is collected."
        why = declines.what_now(payment.decline_code)
        return f"The charge on {case.invoice.number} did not go through: {payment.message} {why}"

    return _case_action(
        request,
        case,
        form,
        call,
        name="case-retry",
        title="Charge",
        submit="Charge now",
        message=message,
    )


def case_pause(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk, "dunning.work_collections")
    form = PauseCollectionForm(form_data(request))

    def call(data: dict):
        return pause_collection(
            case.invoice, until=data["until"], actor=request.user, reason=data["reason"]
        )

    return _case_action(
        request,
        case,
        form,
        call,
        name="case-pause",
        title="Pause collecting",
        submit="Pause",
        message=f"Collection of {case.invoice.number} paused.",
    )


def case_stop(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk, "dunning.work_collections")
    form = StopCollectionForm(form_data(request))

    def call(data: dict):
        return stop_collection(case.invoice, actor=request.user, reason=data["reason"])

    return _case_action(
        request,
        case,
        form,
        call,
        name="case-stop",
        title="Stop collecting",
        submit="Stop collection",
        message=f"Collection of {case.invoice.number} stopped.",
        danger=True,
    )


ONLY_A_MANAGER = (
    'Only a manager may write off an invoice. "Ask a manager" sends your reason and what '
    "would be written off to the approvals queue; the answer shows on the contact record."
)


def case_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("billing.write_off"):
        return _case_ask_write_off(request, pk)
    case = _case_for(request, pk, "billing.write_off")
    form = ReasonForm(form_data(request))

    def call(data: dict):
        return write_off_invoice(
            case.invoice, actor=request.user, reason=data["reason"], idempotency_key=data["key"]
        )

    return _case_action(
        request,
        case,
        form,
        call,
        name="case-write-off",
        title="Write off",
        submit="Write off",
        message=f"{case.invoice.number} written off.",
        danger=True,
    )


def _case_ask_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    """A rep's write-off, as on the contact record: the form's one button asks a manager, and
    the case goes on being collected until one decides."""
    case = _case_for(request, pk, "billing.ask_write_off")
    form = ReasonForm(form_data(request))

    def call(data: dict):
        return ask_manager(
            case.invoice,
            kind="write_off_invoice",
            params={},
            actor=request.user,
            reason=data["reason"],
            idempotency_key=data["key"],
        )

    return _case_action(
        request,
        case,
        form,
        call,
        name="case-write-off",
        title="Ask to write off",
        submit="Ask a manager",
        message=lambda approval: f"Asked a manager: {approval.summary}.",
        extra={"ask_only": ONLY_A_MANAGER},
    )


# Policy settings ---------------------------------------------------------------------------


@required("dunning.change_dunningpolicy")
def policy_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dunning/policy_list.html", {"policies": policies()})


def policy_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, "dunning.add_dunningpolicy")
    return _policy_form(request, DunningPolicy())


def policy_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_perm(request, "dunning.change_dunningpolicy")
    return _policy_form(request, get_object_or_404(DunningPolicy, pk=pk))


def _policy_form(request: HttpRequest, policy: DunningPolicy) -> HttpResponse:
    form = DunningPolicyForm(form_data(request), instance=policy)
    notices = notice_forms(form_data(request), policy)
    # "Update dates" without JavaScript posts here with intent=preview: show, never save.
    if request.method == "POST" and request.POST.get("intent") != "preview":
        valid = all([form.is_valid(), *(n.is_valid() for n in notices)])
        if valid:
            saved = save_policy(
                form.save(commit=False),
                changes=form_changes(form),
                notices=[n.save(commit=False) for n in notices],
                actor=request.user,
            )
            messages.success(request, f"Policy “{saved}” saved.")
            return redirect("dunning:policy-list")
    bad = form.is_bound and not (form.is_valid() and all(n.is_valid() for n in notices))
    bad = bad and request.POST.get("intent") != "preview"
    context = {
        "form": form,
        "notices": notices,
        "policy": policy,
        "notice_variables": notice_templates.VARIABLES,
        **_preview(form),
    }
    return render(request, "dunning/policy_form.html", context, status=422 if bad else 200)


def _preview(form: DunningPolicyForm) -> dict:
    """The retry dates an (unsaved) policy would produce, as if a charge failed today."""
    # The dates depend on the schedule fields only: a missing name does not stop the preview.
    if form.is_bound and not form.is_valid() and set(form.errors) - {"name", "__all__"}:
        return {"preview_error": "Fix the highlighted fields to see the dates."}
    data = form.cleaned_data if form.is_bound else {}
    fields = ("interval_days", "window_days", "days", "max_attempts", "final_action")
    draft = DunningPolicy(**{f: data[f] for f in fields if f in data}) if data else form.instance
    return {"attempts": attempt_dates(draft), "draft": draft}


def policy_preview(request: HttpRequest) -> HttpResponse:
    if not (
        request.user.has_perm("dunning.change_dunningpolicy")
        or request.user.has_perm("dunning.add_dunningpolicy")
    ):
        raise PermissionDenied
    pk = request.POST.get("policy")
    policy = get_object_or_404(DunningPolicy, pk=object_id(pk)) if pk else DunningPolicy()
    form = DunningPolicyForm(form_data(request), instance=policy)
    return render(request, "dunning/policy_form.html#attempt-preview", _preview(form))
