"""Sessions that end after SESSION_COOKIE_AGE without a request (SESSION_IDLE_MINUTES).

Django's SESSION_SAVE_EVERY_REQUEST pushes the expiry on by writing the session row on every
request, reads included: a transaction of three statements and a new cookie per page, the
largest fixed cost of the contact record after its own panels. Here an unchanged session is
written again only once its last write is a 30th of the idle age old, so a session ends between
29 and 30 minutes after its last request at the default 30 (and never later than the setting
says). A session a request changed is written as before, and carries the time of that write;
so does the one a login writes, so the requests right after it write nothing.
"""

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse

REFRESHED = "_refreshed"  # when the session was last written, in epoch seconds


def refresh_step() -> int:
    """The least time between two writes of an unchanged session, in seconds."""
    return settings.SESSION_COOKIE_AGE // 30


def stamp_login(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_in: the login writes the session anyway; it carries the time it was written."""
    request.session[REFRESHED] = int(time.time())


class IdleSessionMiddleware(SessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        # An emptied session (logged out) stays empty: the parent deletes its cookie.
        if session is not None and not session.is_empty():
            now = int(time.time())
            if session.modified or now - session.get(REFRESHED, 0) >= refresh_step():
                session[REFRESHED] = now  # marks it modified: the parent writes it
        return super().process_response(request, response)
