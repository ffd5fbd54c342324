"""Every refusal (403) is logged with who was refused; Django's own log line names only the path."""

import logging

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)


class LogForbiddenMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            who = (
                f"{user.get_username()} (id {user.pk})"
                if user and user.is_authenticated
                else "anonymous"
            )
            logger.warning("Forbidden: %s %s by %s", request.method, request.path, who)
        return response
