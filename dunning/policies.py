"""The default policy (Ontraport's: every 3 days for 90 days, then write off) and the policy
an order's case follows."""

from dunning.models import DunningPolicy, NoticeTemplate

DEFAULT_NAME = "Default: every 3 days for 90 days"

# Every notice states the amount owed and the next step (`next_step`: a retry date only when
# one is scheduled on a card that can be charged, else what the customer should do).
DEFAULT_NOTICES = {
    NoticeTemplate.Kind.FIRST: (
        "Your payment for {{ invoice.number }} did not go through",
        "Hello {{ contact.first_name }},\n\nWe could not charge your card for invoice "
        "{{ invoice.number }}. The amount owed is {{ amount_due }}. {{ next_step }}\n",
    ),
    NoticeTemplate.Kind.FURTHER: (
        "We still could not collect {{ invoice.number }}",
        "Hello {{ contact.first_name }},\n\nAttempt {{ attempt }} to charge your card for "
        "invoice {{ invoice.number }} was declined. The amount owed is {{ amount_due }}. "
        "{{ next_step }}\n",
    ),
    NoticeTemplate.Kind.FINAL: (
        "Final notice for {{ invoice.number }}",
        "Hello {{ contact.first_name }},\n\nWe could not collect invoice {{ invoice.number }}. "
        "The amount owed is {{ amount_due }}. {{ next_step }}\n",
    ),
}


def add_default_notices(policy: DunningPolicy) -> None:
    for kind, (subject, body) in DEFAULT_NOTICES.items():
        NoticeTemplate.objects.get_or_create(
            policy=policy, kind=kind, defaults={"subject": subject, "body_text": body}
        )


def default_policy() -> DunningPolicy:
    policy = DunningPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy, _ = DunningPolicy.objects.get_or_create(
            name=DEFAULT_NAME, defaults={"is_default": True}
        )
        add_default_notices(policy)
    return policy


def policy_for(order) -> DunningPolicy:
    named = DunningPolicy.objects.filter(name=order.dunning_policy_name).first()
    return named if order.dunning_policy_name and named else default_policy()
