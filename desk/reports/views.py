"""The manager's report pages and their CSVs: plain GET views, managers and superusers only
(billing.read_reports). A report's page, chart and CSV come from the same Table."""

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from djmoney.money import Money

from core.locales import request_locale
from core.roles import required
from desk.reports.collections import closed_cases, collection_tables
from desk.reports.ledger import money_table, rep_table
from desk.reports.orders import subscription_tables, upcoming_table
from desk.reports.period import Period, PeriodForm
from desk.reports.tables import Table, plain
from dunning.models import DunningAttempt

PERM = "billing.read_reports"


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
        "Sales, discounts, refunds and write-offs each person made, per currency.",
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


def report_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    tables = {t.slug: t for t in REPORTS[slug].build(PeriodForm(request.GET).period())}
    wanted = request.GET.get("table") or next(iter(tables))
    if wanted not in tables:
        raise Http404("No such table in this report.")
    return _stream_csv(f"{wanted}.csv", tables[wanted].csv_rows())


def report_views(slug: str) -> tuple[Callable, Callable]:
    """The page and CSV views of one report, each under its own URL name."""

    @required(PERM)
    def page(request: HttpRequest) -> HttpResponse:
        return report_page(request, slug)

    @required(PERM)
    def download(request: HttpRequest) -> StreamingHttpResponse:
        return report_csv(request, slug)

    return page, download


@required(PERM)
def closed_case_list(request: HttpRequest) -> HttpResponse:
    cases, cursor = closed_cases(request.GET.get("after"))
    next_url = f"?{urlencode({'after': cursor})}" if cursor else None
    context = {
        "cases": cases,
        "next_url": next_url,
        "csv_url": reverse("desk:report-closed-cases-csv"),
    }
    return render(request, "desk/reports/closed_cases.html", context)


CLOSED_HEADER = [
    "Case",
    "Contact",
    "Invoice",
    "Policy",
    "Status",
    "Failed at",
    "Ended at",
    "Amount",
    "Currency",
    "Attempt",
    "Attempted at",
    "Outcome",
    "Decline code",
]


@required(PERM)
def closed_case_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every attempt of every closed case, one row each, streamed from a server-side cursor."""
    attempts = (
        DunningAttempt.objects.filter(case__status__in=("recovered", "exhausted", "stopped"))
        .order_by("-case__failed_at", "-case_id", "number", "pk")
        .values_list(
            "case_id",
            "case__contact__first_name",
            "case__contact__last_name",
            "case__invoice_id",
            "case__policy__name",
            "case__status",
            "case__failed_at",
            "case__ended_at",
            "case__amount",
            "case__amount_currency",
            "number",
            "at",
            "outcome",
            "decline_code",
        )
    )

    def rows() -> Iterator[list]:
        yield CLOSED_HEADER
        for row in attempts.iterator(chunk_size=2000):
            case, first, last, invoice, policy, status, failed, ended, amount, currency = row[:10]
            yield [
                case,
                f"{first} {last}".strip(),
                f"INV-{invoice:06d}",
                policy,
                status,
                plain(failed),
                plain(ended),
                plain(Money(amount, currency)),
                currency,
                *(plain(value) for value in row[10:]),
            ]

    return _stream_csv("closed-cases.csv", rows())


class _Echo:
    """csv.writer writes into this and gets the line back, so nothing accumulates."""

    def write(self, value: str) -> str:
        return value


def _stream_csv(filename: str, rows: Iterable[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
