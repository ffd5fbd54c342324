"""A hard decline no longer ends a case at once (billing marks the card unusable and the case
waits for another card), so the policy's switch for it goes. Notices that still carry the old
default texts (which promised a retry on "no further date" and no amount after a write-off)
get the new defaults; texts a manager edited are left as they are."""

from django.db import migrations

OLD_BODIES = {
    "first": (
        "Hello {{ contact.first_name }},\n\nWe could not charge your card for invoice "
        "{{ invoice.number }} ({{ amount_due }}). We will try again on {{ next_attempt_on }}. "
        "If your card has changed, reply to this email and we will update it.\n"
    ),
    "further": (
        "Hello {{ contact.first_name }},\n\nAttempt {{ attempt }} to charge {{ amount_due }} "
        "for invoice {{ invoice.number }} was declined. Next try: {{ next_attempt_on }}.\n"
    ),
    "final": (
        "Hello {{ contact.first_name }},\n\nWe could not collect {{ amount_due }} for invoice "
        "{{ invoice.number }} and have stopped trying. Please contact us to settle it.\n"
    ),
}


def new_default_texts(apps, schema_editor):
    from dunning.policies import DEFAULT_NOTICES

    NoticeTemplate = apps.get_model("dunning", "NoticeTemplate")
    for kind, old in OLD_BODIES.items():
        NoticeTemplate.objects.filter(kind=kind, body_text=old).update(
            body_text=DEFAULT_NOTICES[kind][1]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("dunning", "0002_policy_schedule_positive"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="dunningpolicy",
            name="stop_on_hard_decline",
        ),
        migrations.RunPython(new_default_texts, migrations.RunPython.noop),
    ]
