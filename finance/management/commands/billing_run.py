"""``manage.py billing_run [--date YYYY-MM-DD] [--dry-run] [--tenant SLUG]``."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.models import Tenant
from core.tenancy import tenant_context


class Command(BaseCommand):
    help = "Issue the invoices due on a date (every tenant, or one): the billing run."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="billing date, YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true",
                            help="only count what would be issued")
        parser.add_argument("--tenant", help="the tenant's short name (default: all)")

    def handle(self, *args, date=None, dry_run=False, tenant=None, **options):
        from finance import billing

        run_date = self._date(date)
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"No tenant with the short name {tenant!r}.")
        refused = []
        for one in tenants:
            with tenant_context(one):
                try:
                    # The tenant's own limits, as for a date typed on the billing page.
                    billing.billing_date_check(run_date)
                    run = billing.billing_run(run_date=run_date, dry_run=dry_run, actor=None)
                except ValidationError as e:
                    refused.append(one.slug)
                    self.stderr.write(f"{one.slug}: {' '.join(e.messages)}")
                    continue
            self.stdout.write(
                f"{one.slug}: {'would issue' if dry_run else 'issued'} {run.invoices} "
                f"invoices ({run.lines} lines) to {run.customers_done} customers, "
                f"{run.net_total} PLN net, {run.gross_total} PLN gross")
        if refused:
            raise CommandError(f"No billing run for: {', '.join(refused)}.")

    @staticmethod
    def _date(text):
        if not text:
            return timezone.localdate()
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {text!r}.") from None
