"""The sandbox notice templates render in. Staff write them, so they must not reach what they
could name: a template gets a few plain strings (never a model, whose relations lead to a staff
password hash or a gateway token), and an engine with no tags and a handful of text filters
(the default engine's `{% debug %}` alone would print the whole context)."""

from django import template
from django.template.base import VariableNode

_filters = template.Library()
for _name in ("default", "upper", "lower", "title", "capfirst"):
    _filters.filter(_name, template.defaultfilters.register.filters[_name])


class _NoticeEngine(template.Engine):
    default_builtins: list[str] = []


ENGINE = _NoticeEngine(builtins=[], libraries={}, autoescape=False, string_if_invalid="")
ENGINE.template_builtins = [_filters]

# Every name a notice may use, with what it holds; the policy page lists them.
VARIABLES = {
    "contact.first_name": "the customer's first name",
    "contact.last_name": "the customer's last name",
    "contact.name": "the customer's full name",
    "invoice.number": "the invoice number, e.g. INV-000042",
    "invoice.total": "the invoice total, formatted",
    "invoice.issued_on": "the day the invoice was issued",
    "amount_due": "what is still owed, formatted",
    "next_attempt_on": "the day of the next charge attempt",
    "next_step": "what happens next, or what the customer should do",
    "attempt": "the number of the attempt that failed",
    "pay_link": "the customer's signed link to see and pay the invoice",
    "card_link": "the customer's signed link to put a new card on file",
}


def variables_used(source: str) -> set[str]:
    """The variable names a template refers to; raises TemplateSyntaxError if it cannot parse."""
    compiled = ENGINE.from_string(source)
    found = set()
    for node in compiled.nodelist.get_nodes_by_type(VariableNode):
        var = node.filter_expression.var
        if isinstance(var, template.Variable) and var.literal is None:
            found.add(var.var)
    return found


def unknown_variables(source: str) -> list[str]:
    return sorted(variables_used(source) - set(VARIABLES))


def render(source: str, values: dict[str, str | dict[str, str]]) -> str:
    """Render `source` with `values`, which must hold plain strings (or dicts of them) only."""
    for value in values.values():
        parts = value.values() if isinstance(value, dict) else [value]
        if not all(isinstance(part, str) for part in parts):
            raise TypeError("Notices render plain strings only")
    return ENGINE.from_string(source).render(template.Context(values, autoescape=False))
