from django.core.management.base import BaseCommand
from django.utils import timezone
from django_q.models import Schedule

# name -> (function, minutes between runs). Each function is an idempotent sweep. The command
# lives in the workspace app, above every other, because it names every app's sweeps.
SCHEDULES = {
    "charge due orders": ("billing.tasks.charge_due_orders_chunk", 15),
    "reconcile pending gateway calls": ("billing.tasks.reconcile_pending_chunk", 5),
    "run dunning": ("dunning.tasks.run_dunning_chunk", 1),
    # Recovers lost webhooks (does nothing unless PAYDESK_GATEWAY is stripe).
    "sync gateway events": ("billing.tasks.sync_gateway_events", 10),
    "sum closed ledger months for the reports": ("desk.tasks.roll_up_ledger_months", 60),
}


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of Paydesk's sweeps (idempotent)."

    def handle(self, *args, **options) -> None:
        for name, (func, minutes) in SCHEDULES.items():
            _, created = Schedule.objects.update_or_create(
                name=name,
                defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                },
                create_defaults={
                    "func": func,
                    "schedule_type": Schedule.MINUTES,
                    "minutes": minutes,
                    "repeats": -1,
                    "next_run": timezone.now(),
                },
            )
            self.stdout.write(f"{'created' if created else 'kept'}: {name} every {minutes} min")
