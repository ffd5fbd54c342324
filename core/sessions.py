"""Sessions in the database, an existing one saved by one statement.

Django's database store saves inside `transaction.atomic`: three round trips (BEGIN, UPDATE,
COMMIT) for one UPDATE that is atomic on its own. A request saves its session when it changed
it, or when core.idle_sessions pushes the idle expiry on; on a page that reads in a handful of
statements, those three were a fifth of them.
"""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import router


class SessionStore(DatabaseStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None:
            return super().save(must_create)
        obj = self.create_model_instance(self._get_session())
        using = router.db_for_write(self.model, instance=obj)
        updated = self.model._default_manager.using(using).filter(pk=obj.pk)
        # No row: the session ended (logged out elsewhere, or cleared) during this request,
        # which Django's store reports the same way.
        if not updated.update(session_data=obj.session_data, expire_date=obj.expire_date):
            raise UpdateError
