"""``manage.py load_demo``: two demo ISPs with customers, once; prints the logins."""

from django.core.management.base import BaseCommand

from customers.demo import DEMO_PANEL_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load two demo ISPs with Polish customers (does nothing if they exist)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=200,
                            help="customers per ISP (default 200)")
        parser.add_argument("--seed", type=int, default=2025,
                            help="random seed; the same seed gives the same data")

    def handle(self, *args, customers, seed, **options):
        result = demo_load(customers_per_tenant=customers, seed=seed)
        counts = ", ".join(f"{slug}: {n}" for slug, n in result.customers.items())
        if result.created:
            self.stdout.write(self.style.SUCCESS(f"Demo data loaded ({counts} customers)."))
        else:
            self.stdout.write(f"Demo data already loaded ({counts} customers); nothing changed.")
        self.stdout.write("\nStaff logins (http://127.0.0.1:8000/):")
        for login in result.logins:
            roles = ", ".join(f"{slug}: {role}" for slug, role in login.roles)
            self.stdout.write(f"  {login.username:<15} {login.password:<18} ({roles})")
        self.stdout.write("\nCustomer panel logins (at /panel/login/?isp=<ISP>):")
        for slug, panel_login in result.panel_logins:
            self.stdout.write(f"  {panel_login:<15} {DEMO_PANEL_PASSWORD:<18} "
                              f"/panel/login/?isp={slug}")
