"""The manager's report pages and their CSVs: plain GET views, managers and superusers only
(core.see_manager_pages). A report's page, chart and CSV come from the same Table."""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from core import exports
from core.locales import request_locale
from core.roles import required
from desk.reports.collections import closed_cases, collection_tables
from desk.reports.exports import CLOSED_CASES
from desk.reports.ledger import money_table, rep_table
from desk.reports.orders import subscription_tables, upcoming_table
from desk.reports.period import Period, PeriodForm
from desk.reports.tables import Table

PERM = "core.see_manager_pages"


@dataclass(frozen=True)
class Report:
    title: str
    summary: str
    build: Callable[[Period], list[Table]]
    by_month: bool = True


REPORTS = {
    "money": Report(
        "Money by month",
        "Revenue, discounts, refunds, write-offs and credit granted, per currency, from the ledger.",
        lambda period: [money_table(period)],
    ),
    "subscriptions": Report(
        "Subscriptions and plans",
        "Recurring revenue, subscriptions sold, cancelled and paused, and what plans still owe.",
        subscription_tables,
    ),
    "collections": Report(
        "Collections",
        "Cases opened, recovered and written off by month and policy; recovery by attempt.",
        collection_tables,
    ),
    "upcoming": Report(
        "Upcoming charges",
        "What open orders will charge in the next 7, 30 and 90 days, per currency.",
        lambda period: [upcoming_table()],
        by_month=False,
    ),
    "reps": Report(
        "Per rep",
        "Sales, discounts, refunds and write-offs each person made, and the write-offs each "
        "asked a manager for, per currency.",
        lambda period: [rep_table(period)],
    ),
}


@required(PERM)
def report_index(request: HttpRequest) -> HttpResponse:
    links = [(reverse(f"desk:report-{slug}"), report) for slug, report in REPORTS.items()]
    return render(
        request,
        "desk/reports/index.html",
        {"links": links, "closed_url": reverse("desk:report-closed-cases")},
    )


def report_page(request: HttpRequest, slug: str) -> HttpResponse:
    report = REPORTS[slug]
    form = PeriodForm(request.GET)
    period = form.period()
    tables = report.build(period)
    query = urlencode({k: v for k, v in request.GET.items() if k in ("start", "end")})
    csv_url = reverse(f"desk:report-{slug}-csv")
    shown = [
        {
            "table": table,
            "rows": table.display_rows(request_locale(request)),
            "csv_url": f"{csv_url}?{urlencode({'table': table.slug})}{'&' + query if query else ''}",
        }
        for table in tables
    ]
    context = {"report": report, "form": form, "period": period, "tables": shown}
    return render(request, "desk/reports/report.html", context)


def report_csv(request: HttpRequest, slug: str) -> HttpResponse:
    tables = {t.slug: t for t in REPORTS[slug].build(PeriodForm(request.GET).period())}
    wanted = request.GET.get("table") or next(iter(tables))
    if wanted not in tables:
        raise Http404("No such table in this report.")
    header, *rows = tables[wanted].csv_rows()
    return exports.stream_csv(f"{wanted}.csv", header, rows)


def report_views(slug: str) -> tuple[Callable, Callable]:
    """The page and CSV views of one report, each under its own URL name."""

    @required(PERM)
    def page(request: HttpRequest) -> HttpResponse:
        return report_page(request, slug)

    @required(PERM)
    def download(request: HttpRequest) -> HttpResponse:
        return report_csv(request, slug)

    return page, download


@required(PERM)
def closed_case_list(request: HttpRequest) -> HttpResponse:
    cases, cursor = closed_cases(request.GET.get("after"))
    next_url = f"?{urlencode({'after': cursor})}" if cursor else None
    context = {
        "cases": cases,
        "next_url": next_url,
        "csv_url": reverse("core:export-start", args=[CLOSED_CASES.name]),
    }
    return render(request, "desk/reports/closed_cases.html", context)
