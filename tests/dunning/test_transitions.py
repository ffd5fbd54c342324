"""The dunning case's status table, walked: every listed change is made, every other refused."""

import pytest

from billing import errors
from dunning import transitions
from dunning.models import DunningCase

S = DunningCase.Status


def test_every_case_status_has_a_row():
    assert set(transitions.DUNNING_CASE) == set(S.values)
    assert set(transitions.OPEN) == {old for old, to in transitions.DUNNING_CASE.items() if to}


@pytest.mark.parametrize("old", S.values)
def test_it_makes_every_listed_change_and_refuses_every_other(old):
    for new in S.values:
        case = DunningCase(status=old)
        if new in transitions.DUNNING_CASE[old]:
            assert transitions.move(case, new, what="change it") == old
            assert case.status == new
        else:
            with pytest.raises(errors.InvalidTransition) as refused:
                transitions.move(case, new, what="change it")
            assert case.status == old
            label = S(old).label.lower()
            assert refused.value.message == f"Cannot change it: the collection is {label}."
