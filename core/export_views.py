"""The export pages: start an export of a registered view, follow a queued one, download it."""

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from core import exports
from core.htmx import render_screen
from core.models import Export
from core.roles import refusal, required


@require_GET
def export_start(request: HttpRequest, name: str) -> HttpResponse:
    """The CSV of the view `name` under the filter in the query string."""
    exporter = exports.exporter_named(name)
    if exporter is None:
        raise Http404("No such export.")
    if not request.user.has_perm(exporter.perm):
        raise PermissionDenied(refusal(exporter.perm))
    return exports.export_response(request, exporter, request.GET)


def _own_export(request: HttpRequest, pk: int) -> Export:
    # An export holds what its author could see under their filter: only they fetch it.
    return get_object_or_404(Export, pk=pk, created_by=request.user)


@require_GET
@required("core.see_manager_pages")
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export(request, pk)
    exporter = exports.exporter_named(export.exporter)
    context = {"export": export, "title": exporter.title if exporter else export.exporter}
    return render_screen(request, "core/export_status.html", "progress", context)


@require_GET
@required("core.see_manager_pages")
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    export = _own_export(request, pk)
    path = exports.export_path(export)
    if export.status != Export.Status.DONE or not path.is_file():
        raise Http404("This export is not ready.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=export.filename)
