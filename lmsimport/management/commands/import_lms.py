"""``manage.py import_lms --dsn postgres://… --tenant <slug> [--dry-run]``"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from core.models import Tenant
from lmsimport.report import report_text
from lmsimport.runner import import_run


class Command(BaseCommand):
    help = "Import an LMS database into one tenant (repeatable) and print the report."

    def add_arguments(self, parser):
        parser.add_argument("--dsn", required=True, help="postgres://user@host/lms")
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        parser.add_argument("--dry-run", action="store_true",
                            help="do everything, report, then roll back")
        parser.add_argument("--since", type=date.fromisoformat, default=None,
                            help="YYYY-MM-DD: documents and payments before it come as "
                                 "each customer's opening balance, not one by one")

    def handle(self, *args, dsn, tenant, dry_run, since, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with the slug {tenant!r}.")
        run = import_run(tenant=found, dsn=dsn, dry_run=dry_run, since=since)
        self.stdout.write(report_text(run.report))
