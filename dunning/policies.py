"""The default policy (Ontraport's: every 3 days for 90 days, then write off) and the policy
an order's case follows."""

from dunning.models import DunningPolicy, NoticeTemplate

DEFAULT_NAME = "Default: every 3 days for 90 days"

DEFAULT_NOTICES = {
    NoticeTemplate.Kind.FIRST: (
        "Your payment for {{ invoice.number }} did not go through",
        "Hello {{ contact.first_name }},\n\nWe could not charge your card for invoice "
        "{{ invoice.number }} ({{ amount_due }}). We will try again on {{ next_attempt_on }}. "
        "If your card has changed, reply to this email and we will update it.\n",
    ),
    NoticeTemplate.Kind.FURTHER: (
        "We still could not collect {{ invoice.number }}",
        "Hello {{ contact.first_name }},\n\nAttempt {{ attempt }} to charge {{ amount_due }} "
        "for invoice {{ invoice.number }} was declined. Next try: {{ next_attempt_on }}.\n",
    ),
    NoticeTemplate.Kind.FINAL: (
        "Final notice for {{ invoice.number }}",
        "Hello {{ contact.first_name }},\n\nWe could not collect {{ amount_due }} for invoice "
        "{{ invoice.number }} and have stopped trying. Please contact us to settle it.\n",
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
