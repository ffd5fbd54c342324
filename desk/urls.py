from django.urls import path

from desk import demo_clock, views
from desk.manager import views as manager
from desk.reports import views as reports

app_name = "desk"
urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("manager/history/", manager.history_page, name="history"),
    path("manager/history/totals/", manager.history_totals, name="history-totals"),
    path("manager/audit/", manager.audit_page, name="audit"),
    path("manager/reports/", reports.report_index, name="reports"),
    path(
        "manager/reports/collections/closed/",
        reports.closed_case_list,
        name="report-closed-cases",
    ),
    path("demo-clock/", demo_clock.demo_clock, name="demo-clock"),
]
for _slug in reports.REPORTS:
    _page, _csv = reports.report_views(_slug)
    urlpatterns += [
        path(f"manager/reports/{_slug}/", _page, name=f"report-{_slug}"),
        path(f"manager/reports/{_slug}.csv", _csv, name=f"report-{_slug}-csv"),
    ]
