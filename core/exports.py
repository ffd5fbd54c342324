"""CSV exports of any filtered view: streamed while small, written by a task when large.

An app registers an `Exporter` (its header, its rows for a filter, an estimate of how many)
once, from its AppConfig.ready, so the web process and the django-q2 workers both know it.
`export_response` answers an export request: under `PAYDESK_EXPORT_STREAM_MAX_ROWS` estimated
rows it streams the CSV in the request itself; above, it queues `core.tasks.run_export`, which
writes the file under `PAYDESK_EXPORT_DIR` while the page polls its progress.

Memory stays flat either way: rows come from a server-side cursor (`QuerySet.iterator` with a
chunk size) and leave as CSV text a batch at a time, never as a list.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django_q.tasks import async_task

from core import clock
from core.models import Export

CHUNK = 5000  # rows per server-side cursor fetch and per CSV batch
PROGRESS_EVERY = 20_000  # rows between progress updates of a running export
MAX_PARAMS = 2000  # characters of a stored filter: a query string, not a document


@dataclass(frozen=True)
class Exporter:
    """One exportable view. `rows` and `estimate` take the view's filter as a QueryDict."""

    name: str
    perm: str
    title: str
    header: Sequence[str]
    rows: Callable[[QueryDict], Iterable[Sequence]]
    estimate: Callable[[QueryDict], int]


_REGISTRY: dict[str, Exporter] = {}


def register(exporter: Exporter) -> Exporter:
    _REGISTRY[exporter.name] = exporter
    return exporter


def exporter_named(name: str) -> Exporter | None:
    return _REGISTRY.get(name)


def planner_rows(qs: QuerySet) -> int:
    """How many rows `qs` returns, as PostgreSQL's planner estimates it: a count(*) over a
    million rows costs the very seconds the choice between streaming and a task is to save."""
    if connection.vendor != "postgresql":
        return qs.count()
    try:
        sql, params = qs.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[str]:
    """The CSV text of `header` and `rows`, CHUNK rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for count, row in enumerate(rows, 1):
        writer.writerow(row)
        if count % CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def stream_csv(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    response = StreamingHttpResponse(csv_chunks(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def filename_for(exporter: Exporter) -> str:
    # The "T" keeps date and time apart: a run of 14 digits can pass the Luhn check, and the
    # card-number scan (rightly) cannot tell it from a card.
    return f"{slugify(exporter.name)}-{clock.now():%Y-%m-%dT%H%M%S}.csv"


def _params(query: QueryDict) -> dict[str, list[str]]:
    return {key: values for key, values in query.lists() if key != "csrfmiddlewaretoken"}


def query_of(params: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, [str(v) for v in values])
    return query


def export_response(request: HttpRequest, exporter: Exporter, query: QueryDict) -> HttpResponse:
    """Stream the CSV of `exporter` for the filter `query`, or queue it and show its progress."""
    estimate = exporter.estimate(query)
    if estimate <= settings.PAYDESK_EXPORT_STREAM_MAX_ROWS:
        return stream_csv(filename_for(exporter), exporter.header, exporter.rows(query))
    params = _params(query)
    if len(json.dumps(params)) > MAX_PARAMS:
        return HttpResponse("This filter is too long to export.", status=400)
    export = queue_export(request.user, exporter, params, estimate)
    return redirect("core:export-status", pk=export.pk)


def queue_export(user, exporter: Exporter, params: dict[str, list[str]], estimate: int) -> Export:
    """An Export row for `user`, and its task once the row is committed."""
    with transaction.atomic():
        export = Export.objects.create(
            created_by=user,
            exporter=exporter.name,
            params=params,
            rows_total=estimate,
            created_at=clock.now(),
        )
        transaction.on_commit(lambda: async_task("core.tasks.run_export", export.pk))
    return export


def export_path(export: Export) -> Path:
    return Path(settings.PAYDESK_EXPORT_DIR) / export.filename


def write_export(export: Export) -> None:
    """Write `export`'s CSV to its file, saving progress as it goes (the task's body)."""
    exporter = exporter_named(export.exporter)
    if exporter is None:
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error="This kind of export no longer exists."
        )
        return
    export.filename = f"{export.pk}-{filename_for(exporter)}"
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.RUNNING, filename=export.filename, rows_done=0
    )
    path = export_path(export)
    path.parent.mkdir(parents=True, exist_ok=True)
    done = 0

    def counted(rows: Iterable[Sequence]) -> Iterator[Sequence]:
        nonlocal done
        for row in rows:
            yield row
            done += 1
            if done % PROGRESS_EVERY == 0:
                Export.objects.filter(pk=export.pk).update(rows_done=done)

    with path.open("w", newline="", encoding="utf-8") as out:
        for text in csv_chunks(exporter.header, counted(exporter.rows(query_of(export.params)))):
            out.write(text)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE, rows_done=done, finished_at=clock.now()
    )
