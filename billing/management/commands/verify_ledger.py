import time

from django.core.management.base import BaseCommand, CommandError

from billing.invariants import CHECKS


class Command(BaseCommand):
    help = (
        "Check every money invariant of DESIGN.md; exit non-zero naming the rows on a breach. "
        "Each check is a few set-based queries; each prints its time as it finishes."
    )

    def handle(self, *args, **options) -> None:
        failed = 0
        started = time.monotonic()
        for number, (name, check) in enumerate(CHECKS.items(), 1):
            self.stdout.write(f"[{number}/{len(CHECKS)}] {name} ...", ending="")
            self.stdout.flush()
            begun = time.monotonic()
            found = list(check())
            failed += len(found)
            status = self.style.SUCCESS("ok") if not found else self.style.ERROR("BREACH")
            self.stdout.write(f" {status} ({time.monotonic() - begun:.1f} s)")
            for breach in found:
                self.stdout.write(f"      {breach}")
        self.stdout.write(f"checked in {time.monotonic() - started:.0f} s")
        if failed:
            raise CommandError(f"{failed} breach(es) of the ledger invariants")
