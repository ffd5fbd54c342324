"""How hard the property tests try. `make test` runs 200 examples of random action sequences
(EXAMPLES) and 25 of random order lives (ORDER_EXAMPLES: each of their steps may let 45 days of
renewal, dunning and reconcile sweeps pass, about a second); `make proof` runs 1,000 of each
(PAYDESK_PROOF_EXAMPLES, PAYDESK_PROOF_ORDER_EXAMPLES).

Each example starts from the same empty books: it runs inside a savepoint that is rolled back
when it ends (`ResetPerExample`), so the invariant checks after every step look at that
example's rows only and the cost of an example does not grow with the examples before it
(without the reset, 1,000 examples did not finish in 41 minutes).
"""

import os

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("PAYDESK_PROOF_EXAMPLES", "200"))
ORDER_EXAMPLES = int(os.environ.get("PAYDESK_PROOF_ORDER_EXAMPLES", "25"))
STEPS = int(os.environ.get("PAYDESK_PROOF_STEPS", "0"))  # 0: each machine's own default


class ResetPerExample:
    """Mixin for a RuleBasedStateMachine run inside a django_db test."""

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.savepoint()

    def teardown(self) -> None:
        transaction.savepoint_rollback(self._savepoint)


def proof_settings(*, steps: int, examples: int = EXAMPLES) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=STEPS or steps,
        deadline=None,
        # The examples are independent (reset), but the gateway and clock are real rows and
        # times: generate fresh sequences only; a failure prints its steps.
        phases=[Phase.explicit, Phase.generate],
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
