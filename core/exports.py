"""CSV exports of any filtered view: streamed while small, written by a task when large.

An app registers an `Exporter` (its header, its rows for a filter, an estimate of how many)
once, from its AppConfig.ready, so the web process and the django-q2 workers both know it.
`export_response` answers an export request: under `PAYDESK_EXPORT_STREAM_MAX_ROWS` estimated
rows it streams the CSV in the request itself; above, it queues `core.tasks.run_export`, which
writes the file under `PAYDESK_EXPORT_DIR` while the page polls its progress.

Memory stays flat either way: rows come from a server-side cursor (`QuerySet.iterator` with a
chunk size) and leave as CSV text a batch at a time, never as a list. An exporter that can say
its whole file as one SELECT (`copy`) has PostgreSQL write the CSV itself (`COPY ... TO
STDOUT`), streamed a block at a time: no row passes through Python, which at a million rows was
most of the export's time.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django_q.tasks import async_task

from core import clock
from core.models import Export

CHUNK = 5000  # rows per server-side cursor fetch and per CSV batch
COPY_BLOCK = 256 * 1024  # bytes of COPY output per block of a streamed or written file
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
    # The same rows as one SELECT (SQL and its parameters) whose columns are the file's text,
    # in the file's order; on PostgreSQL the export is written from it by COPY.
    copy: Callable[[QueryDict], tuple[str, Sequence]] | None = None


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


class Copied:
    """The CSV text of a SELECT, written by PostgreSQL (COPY ... TO STDOUT) and read a block
    at a time; `rows` counts what has been written once the copy is done. Lines end in "\n",
    the header's too; an empty field is NULL in the SELECT, so it is written as csv.writer
    writes it (nothing), not as \"\"."""

    def __init__(self, header: Sequence[str], sql: str, params: Sequence) -> None:
        self.header, self.sql, self.params = header, sql, params
        self.rows = 0

    def __iter__(self) -> Iterator[str]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(self.header)
        yield buffer.getvalue()
        # A transaction for SET LOCAL: JIT compiling a query that streams every row it reads
        # costs seconds and saves nothing.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            raw = cursor.cursor
            with raw.copy(f"COPY ({self.sql}) TO STDOUT WITH (FORMAT csv)", self.params) as copy:
                # PostgreSQL sends a message per row: gathered into blocks, the response
                # writes (and the task's file) see a few hundred, not a million, pieces.
                block = bytearray()
                for row in copy:
                    block += row
                    if len(block) >= COPY_BLOCK:
                        yield block.decode()
                        block.clear()
                yield block.decode()
            self.rows = max(raw.rowcount, 0)


def export_text(exporter: Exporter, query: QueryDict) -> Iterable[str]:
    """The CSV text of `exporter` for the filter `query`: by COPY where it can, else written
    row by row from its rows."""
    if exporter.copy is not None and connection.vendor == "postgresql":
        sql, params = exporter.copy(query)
        return Copied(exporter.header, sql, params)
    return csv_chunks(exporter.header, exporter.rows(query))


def stream_csv(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    return stream_text(filename, csv_chunks(header, rows))


def stream_text(filename: str, text: Iterable[str]) -> HttpResponse:
    response = StreamingHttpResponse(text, content_type="text/csv")
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
        return stream_text(filename_for(exporter), export_text(exporter, query))
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
    query = query_of(export.params)
    done = 0

    def counted(rows: Iterable[Sequence]) -> Iterator[Sequence]:
        nonlocal done
        for row in rows:
            yield row
            done += 1
            if done % PROGRESS_EVERY == 0:
                Export.objects.filter(pk=export.pk).update(rows_done=done)

    if exporter.copy is not None and connection.vendor == "postgresql":
        text = Copied(exporter.header, *exporter.copy(query))
        with path.open("w", newline="", encoding="utf-8") as out, _side() as side:
            _write_copied(text, out, export.pk, side)
        done = text.rows
    else:
        with path.open("w", newline="", encoding="utf-8") as out:
            for chunk in csv_chunks(exporter.header, counted(exporter.rows(query))):
                out.write(chunk)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE, rows_done=done, finished_at=clock.now()
    )


@contextmanager
def _side() -> Iterator:
    """A second connection for the progress of a COPY: the export's own connection is busy
    streaming the file and takes no other statement until the copy ends."""
    side = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield side
    finally:
        side.close()


def _write_copied(text: Copied, out, pk: int, side) -> None:
    """Write the copied CSV, saving progress by lines as they pass (a memo may hold a line
    break, so close enough while running; the final count is the rows COPY reports)."""
    lines, reported = -1, 0
    table = Export._meta.db_table
    for chunk in text:
        out.write(chunk)
        lines += chunk.count("\n")
        if lines - reported >= PROGRESS_EVERY:
            reported = lines
            with side.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET rows_done = %s WHERE id = %s", [lines, pk])
