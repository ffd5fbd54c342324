import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

MAX_TZ_NAME = 64


@require_POST
def timezone_set(request: HttpRequest) -> HttpResponse:
    """Remember the browser's time zone (sent once by paydesk.js) for showing times."""
    name = request.POST.get("tz", "")
    # IANA names are short ("America/Argentina/ComodRivadavia" is among the longest); a long one
    # would reach the file system as a path and fail there with OSError.
    if not name or len(name) > MAX_TZ_NAME:
        return HttpResponse("Unknown time zone.", status=422)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return HttpResponse("Unknown time zone.", status=422)
    request.session["tz"] = name
    return HttpResponse(status=204)
