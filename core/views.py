import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST


@require_POST
def timezone_set(request: HttpRequest) -> HttpResponse:
    """Remember the browser's time zone (sent once by paydesk.js) for showing times."""
    name = request.POST.get("tz", "")
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return HttpResponse("Unknown time zone.", status=422)
    request.session["tz"] = name
    return HttpResponse(status=204)
