"""``manage.py load_demo``: two demo ISPs with customers, once; prints the logins.

It takes minutes with the default 200 customers per ISP: each step and how far it is goes to
stderr as it works (``--quiet`` silences it); the logins and the address go to stdout.
"""

import time

from django.core.management.base import BaseCommand

from customers.demo import DEMO_PANEL_PASSWORD, demo_load, demo_loaded

DEFAULT_ADDRESS = "127.0.0.1:8000"


class ProgressPrinter:
    """``progress(step, done, total)`` → a line per step at its start, every quarter of it
    and its end, with the time since the load began: ``[ 0:42] Sieć Alfa: customers:
    50/200 (25%)``."""

    def __init__(self, write, *, clock=time.monotonic):
        self.write = write
        self.clock = clock
        self.started = clock()
        self.shown: dict[str, int] = {}

    def __call__(self, step: str, done: int, total: int) -> None:
        quarter = 4 if total <= 0 else done * 4 // total
        if self.shown.get(step) == quarter:
            return
        self.shown[step] = quarter
        percent = 100 if total <= 0 else done * 100 // total
        minutes, seconds = divmod(int(self.clock() - self.started), 60)
        self.write(f"[{minutes:2d}:{seconds:02d}] {step}: {done}/{total} ({percent}%)")


class Command(BaseCommand):
    help = "Load two demo ISPs with Polish customers (does nothing if they exist)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200,
                            help="customers per ISP (default 200)")
        parser.add_argument("--seed", type=int, default=2025,
                            help="random seed; the same seed gives the same data")
        parser.add_argument("--address", default=DEFAULT_ADDRESS,
                            help="host:port the server will be reached at, printed with the "
                                 f"logins (default {DEFAULT_ADDRESS}, as `make run` serves)")
        parser.add_argument("--quiet", action="store_true",
                            help="no progress lines while loading")

    def handle(self, *args, customers, seed, address, quiet, **options):
        def write(line):
            self.stderr.write(line, style_func=str)
            self.stderr.flush()

        progress = (lambda step, done, total: None) if quiet else ProgressPrinter(write)
        if not quiet and not demo_loaded():
            write(f"Loading the demo: 2 ISPs with {customers} customers each "
                  "(a few minutes with 200)…")
        result = demo_load(customers_per_tenant=customers, seed=seed, progress=progress)
        counts = ", ".join(f"{slug}: {n}" for slug, n in result.customers.items())
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({counts} customers)."))
        else:
            self.stdout.write(f"Demo data already loaded ({counts} customers); nothing changed.")
        url = f"http://{address}/"
        self.stdout.write(f"\nStaff logins ({url}):")
        for login in result.logins:
            roles = ", ".join(f"{slug}: {role}" for slug, role in login.roles)
            self.stdout.write(f"  {login.username:<15} {login.password:<18} ({roles})")
        self.stdout.write(f"\nCustomer panel logins (at {url}panel/login/?isp=<ISP>):")
        for slug, panel_login in result.panel_logins:
            self.stdout.write(f"  {panel_login:<15} {DEMO_PANEL_PASSWORD:<18} "
                              f"{url}panel/login/?isp={slug}")
