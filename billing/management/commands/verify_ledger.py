from django.core.management.base import BaseCommand, CommandError

from billing.invariants import CHECKS


class Command(BaseCommand):
    help = "Check every money invariant of DESIGN.md; exit non-zero naming the rows on a breach."

    def handle(self, *args, **options) -> None:
        failed = 0
        for name, check in CHECKS.items():
            found = list(check())
            failed += len(found)
            status = self.style.SUCCESS("ok") if not found else self.style.ERROR("BREACH")
            self.stdout.write(f"{status}  {name}")
            for breach in found:
                self.stdout.write(f"      {breach}")
        if failed:
            raise CommandError(f"{failed} breach(es) of the ledger invariants")
