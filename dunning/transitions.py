"""The allowed status changes of a DunningCase; every status write goes through `move`.

A case opens active; a rep may pause it (until a date, when the sweep resumes it); it ends
recovered (invoice paid), stopped (by a rep, or the invoice voided or written off) or
exhausted (retries spent). An ended case never changes again.
"""

from billing.transitions import Table, move_in
from dunning.models import DunningCase

S = DunningCase.Status

DUNNING_CASE: Table = {
    S.ACTIVE: {S.PAUSED, S.RECOVERED, S.STOPPED, S.EXHAUSTED},
    S.PAUSED: {S.ACTIVE, S.RECOVERED, S.STOPPED, S.EXHAUSTED},
    S.RECOVERED: set(),
    S.STOPPED: set(),
    S.EXHAUSTED: set(),
}
# The statuses a case is still collecting in (or held, and will collect again).
OPEN = (S.ACTIVE, S.PAUSED)


def move(case: DunningCase, new: str, *, what: str) -> str:
    """Check and apply a transition in memory; returns the old status for the audit event."""
    return move_in(DUNNING_CASE, case, new, what=what, noun="collection")
