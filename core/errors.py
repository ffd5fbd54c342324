"""The error every app's actions raise to refuse a request: a stable code for tests and logs,
a message for the rep, and the form field it belongs to. The shared action pages (core.forms,
core.action_views) know this base only, so they serve billing's and dunning's actions alike."""

REASON_REQUIRED = "Give a reason: it is kept in the record's history."


class ActionError(Exception):
    code = "action_error"
    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field:
            self.field = field


class NotAllowed(ActionError):
    """For apps below billing (offers); billing's actions raise billing.errors.NotAllowed."""

    code = "not_allowed"
