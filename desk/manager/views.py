"""The manager's pages: history across every contact and the audit browser.

Their filters are GET forms, so a filtered view is a URL to bookmark or share. A filter that
does not validate shows its errors and no rows (422), never a guess at what was meant.
"""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.htmx import render_screen
from core.pagination import keyset_page
from core.roles import required
from desk.manager import audit, declines, history, history_filter


def _query(request: HttpRequest, **changes) -> str:
    params = {k: v for k, v in request.GET.items() if k != "after" and v}
    params.update({k: v for k, v in changes.items() if v})
    return urlencode(params)


@require_GET
@required("core.see_manager_pages")
def history_page(request: HttpRequest) -> HttpResponse:
    form = history_filter.HistoryFilter(request.GET)
    rows, cursor = [], None
    declined = form.is_valid() and form.cleaned_data["kind"] == history_filter.DECLINED
    if declined:
        qs = declines.payments(form.cleaned_data)
        rows, cursor = declines.page_rows(qs, request.GET.get("after"))
    elif form.is_valid():
        rows, cursor = history.page_rows(
            history.journals(form.cleaned_data), request.GET.get("after")
        )
    context = {
        "form": form,
        "declined": declined,
        "rows": rows,
        "query": _query(request),
        "next_url": f"?{_query(request, after=cursor)}" if cursor else None,
        "first_page": not request.GET.get("after"),
    }
    status = 200 if form.is_valid() else 422
    return render_screen(request, "desk/manager/history.html", "results", context, status=status)


@require_GET
@required("core.see_manager_pages")
def history_totals(request: HttpRequest) -> HttpResponse:
    """The filter's totals, asked for by the page after it shows: over a year of a large
    ledger they take longer than a page of rows, which should not wait for them."""
    form = history_filter.HistoryFilter(request.GET)
    found, declined = [], form.is_valid() and form.cleaned_data["kind"] == history_filter.DECLINED
    if declined:
        # What declines attempted, apart: no money moved, so it joins no money total.
        found = declines.attempted(declines.payments(form.cleaned_data))
    elif form.is_valid():
        found = history.totals(history.journals(form.cleaned_data))
    context = {"totals": found, "valid": form.is_valid(), "declined": declined}
    return render(request, "desk/manager/_totals.html", context)


@require_GET
@required("core.see_manager_pages")
def audit_page(request: HttpRequest) -> HttpResponse:
    form = audit.AuditFilter(request.GET)
    events, cursor = [], None
    if form.is_valid():
        events, cursor = keyset_page(
            audit.events(form.cleaned_data), "created_at", request.GET.get("after")
        )
    context = {
        "form": form,
        "events": audit.present(events),
        "next_url": f"?{_query(request, after=cursor)}" if cursor else None,
    }
    status = 200 if form.is_valid() else 422
    return render_screen(request, "desk/manager/audit.html", "results", context, status=status)
