"""Each billing status table, walked: every listed change is made, every other one refused."""

import pytest

from billing import errors, transitions
from billing.models import ApprovalRequest, Commission, Dispute, Invoice, Order, Payment, Refund

MODELS = [Invoice, Payment, Refund, Order, Commission, Dispute, ApprovalRequest]


def _pairs(model):
    return [(old, new) for old in model.Status.values for new in model.Status.values]


def test_every_status_of_every_stateful_model_has_a_row():
    for model, table in transitions.TABLES.items():
        assert set(table) == set(model.Status.values), model.__name__
        assert all(to <= set(model.Status.values) for to in table.values()), model.__name__
    assert set(transitions.TABLES) == set(MODELS)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_it_makes_every_listed_change_and_refuses_every_other(model):
    table = transitions.TABLES[model]
    for old, new in _pairs(model):
        record = model(status=old)
        if new in table[old]:
            assert transitions.move(record, new, what="change it") == old
            assert record.status == new
        else:
            with pytest.raises(errors.InvalidTransition) as refused:
                transitions.move(record, new, what="change it")
            assert record.status == old
            label = model.Status(old).label.lower()
            assert (
                refused.value.message
                == f"Cannot change it: the {model.__name__.lower()} is {label}."
            )
