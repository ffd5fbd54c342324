"""core's django-q2 tasks."""

from core.exports import write_export
from core.models import Export


def run_export(export_pk: int) -> None:
    """Write a queued export's CSV. A run that fails says so on the export's page; the broker
    redelivers it, and a rerun rewrites the file from the start."""
    export = Export.objects.filter(pk=export_pk).first()
    if export is None or export.status == Export.Status.DONE:
        return
    try:
        write_export(export)
    except Exception as error:
        Export.objects.filter(pk=export_pk).update(
            status=Export.Status.FAILED, error=str(error)[:300]
        )
        raise
