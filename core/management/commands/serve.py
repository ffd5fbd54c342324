import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the django-q2 cluster together; Ctrl-C stops both."

    def add_arguments(self, parser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--gunicorn", action="store_true", help="serve with gunicorn (production)"
        )

    def handle(self, *args, addrport: str, gunicorn: bool, **options) -> None:
        manage = [sys.executable, "manage.py"]
        if gunicorn:
            # Workers: WEB_CONCURRENCY, which gunicorn reads itself.
            web = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", addrport]
            web += ["--access-logfile", "-"]
        else:
            web = [*manage, "runserver", addrport]
        children = [subprocess.Popen([*manage, "qcluster"]), subprocess.Popen(web)]

        def stop(*_) -> None:
            raise KeyboardInterrupt

        # A supervisor (systemd, a container) stops us with TERM; treat it like Ctrl-C.
        signal.signal(signal.SIGTERM, stop)
        try:
            # If either one dies, the demo is broken: stop the other too.
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
