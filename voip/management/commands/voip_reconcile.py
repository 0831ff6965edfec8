"""``manage.py voip_reconcile [--tenant <slug>] [--dry-run]``"""

from django.core.management.base import BaseCommand, CommandError

from voip import asterisk
from voip.management.tenants import tenants_chosen


class Command(BaseCommand):
    help = ("Compare Asterisk's realtime tables with the phones in Abonent and repair the "
            "drift; prints what differed and what was done.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant's phones (its slug)")
        parser.add_argument("--dry-run", action="store_true", help="report, change nothing")

    def handle(self, *args, tenant=None, dry_run=False, **options):
        if not asterisk.enabled():
            raise CommandError("ASTERISK_DATABASE_URL is not set: provisioning is off.")
        tenants = tenants_chosen(tenant)
        verb = "would write" if dry_run else "written"
        for each in tenants:
            result = asterisk.phones_reconcile(each, dry_run=dry_run)
            self.stdout.write(f"[{each.slug}] unchanged {result.unchanged}, "
                              f"{verb} {len(result.written)}, "
                              f"{'would remove' if dry_run else 'removed'} "
                              f"{len(result.removed)}")
            for endpoint_id, differs in result.written:
                self.stdout.write(f"  {verb} +{endpoint_id}: {', '.join(differs)}")
            for endpoint_id, holder in result.conflicts:
                self.stdout.write(f"  not written +{endpoint_id}: the endpoint belongs to "
                                  f"{holder}")
            for endpoint_id in result.removed:
                self.stdout.write(f"  {'would remove' if dry_run else 'removed'} "
                                  f"+{endpoint_id}")
