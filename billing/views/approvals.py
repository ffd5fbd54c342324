"""The managers' approvals queue: requests above a rep's limit, approved (the action runs as
the manager) or declined with a reason. Reps ask from the action's own form."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from billing.actions import approve_request, decline_request
from billing.models import ApprovalRequest
from billing.selectors import approval_queue
from core.action_views import require_perm, run_action
from core.forms import ActionForm, ReasonForm, reason_field
from core.htmx import announce_change, form_data, render_screen
from core.roles import required

QUEUE = "billing/approvals.html"
PERM = "billing.decide_approvals"


class ApproveForm(ActionForm):
    note = reason_field(required=False)


@required(PERM)
def approval_list(request: HttpRequest) -> HttpResponse:
    return render_screen(request, QUEUE, "approvals", approval_queue())


def _request_for(request: HttpRequest, pk: int) -> ApprovalRequest:
    require_perm(request, PERM)
    related = ("contact", "requested_by", "payment__invoice", "invoice", "order")
    return get_object_or_404(ApprovalRequest.objects.select_related(*related), pk=pk)


def _done(request: HttpRequest):
    """After a decision: the queue again, and the news."""

    def done(message: str) -> HttpResponse:
        queue_url = reverse("billing:approval-list")
        # Inline in the queue, the queue is redrawn in place; on the decision's own page (a
        # link opened in a new tab, say) there is no queue to redraw, so the browser goes there.
        if not request.htmx or urlsplit(request.htmx.current_url or "").path != queue_url:
            messages.success(request, message)
            return HttpResponseClientRedirect(queue_url) if request.htmx else redirect(queue_url)
        response = render(request, f"{QUEUE}#approvals", approval_queue())
        return announce_change(
            reswap(retarget(response, "#approvals"), "outerHTML"), "approvals", message
        )

    return done


def _decision(request, approval: ApprovalRequest, form, call, *, name, title, submit, message):
    rep = approval.requested_by
    return run_action(
        request,
        form,
        call,
        contact=approval.contact,
        title=f"{title}: {approval.summary}",
        submit=submit,
        action_url=reverse(f"billing:{name}", args=[approval.pk]),
        message=message,
        facts=[
            ("Asked by", rep.get_full_name() or rep.username),
            ("Reason", approval.reason),
            *((label, value) for label, value in approval.preview),
        ],
        extra={"back_url": reverse("billing:approval-list"), "back_label": "Approvals"},
        done=_done(request),
    )


def approval_approve(request: HttpRequest, pk: int) -> HttpResponse:
    approval = _request_for(request, pk)
    form = ApproveForm(form_data(request))

    def message(decided: ApprovalRequest) -> str:
        if decided.status == ApprovalRequest.Status.REFUSED:
            return f"Not carried out: {decided.decision_note}"
        return f"Approved: {decided.outcome}"

    return _decision(
        request,
        approval,
        form,
        lambda data: approve_request(approval, actor=request.user, note=data["note"]),
        name="approval-approve",
        title="Approve",
        submit="Approve and carry out",
        message=message,
    )


def approval_decline(request: HttpRequest, pk: int) -> HttpResponse:
    approval = _request_for(request, pk)
    form = ReasonForm(form_data(request))
    return _decision(
        request,
        approval,
        form,
        lambda data: decline_request(approval, actor=request.user, reason=data["reason"]),
        name="approval-decline",
        title="Decline",
        submit="Decline",
        message=f"Declined: {approval.summary}.",
    )
