"""``manage.py voip_cdr_import [--tenant <slug>]``"""

from django.core.management.base import BaseCommand, CommandError

from core.tenancy import tenant_context
from voip import asterisk, cdr
from voip.management.tenants import tenants_chosen


class Command(BaseCommand):
    help = ("Rate the new CDRs of Asterisk's cdr table (each tenant's own, from where its "
            "last import stopped); a call already rated is skipped.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant's CDRs (its slug)")

    def handle(self, *args, tenant=None, **options):
        if not asterisk.enabled():
            raise CommandError("ASTERISK_DATABASE_URL is not set: there is no cdr table.")
        tenants = tenants_chosen(tenant)
        for each in tenants:
            with tenant_context(each):
                result = cdr.cdr_import_asterisk(tenant=each)
            self.stdout.write(
                f"[{each.slug}] read {result.read}, rated {result.rated}, already rated "
                f"{result.already}, no price rule {result.no_rule}, no known phone "
                f"{len(result.unknown_phone)}, dates out of range {len(result.out_of_range)}, "
                f"amount {result.amount:.2f}, blocked over the limit {len(result.blocked)}, "
                f"prepaid balance used up {len(result.exhausted)}")
