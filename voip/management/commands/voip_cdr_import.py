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
        failed = []
        for each in tenants:
            try:
                with tenant_context(each):
                    result = cdr.cdr_import_asterisk(tenant=each)
            except Exception as exc:  # one tenant's failure never stops the others
                failed.append(each.slug)
                self.stderr.write(f"[{each.slug}] failed: {exc.__class__.__name__}: {exc}")
                continue
            self.stdout.write(
                f"[{each.slug}] read {result.read}, rated {result.rated}, already rated "
                f"{result.already}, no price rule {result.no_rule}, short or internal "
                f"{result.internal}, no known phone "
                f"{len(result.unknown_phone)}, impossible CDRs {len(result.out_of_range)}, "
                f"amount {result.amount:.2f}, blocked over the limit {len(result.blocked)}, "
                f"prepaid balance used up {len(result.exhausted)}")
        if failed:
            raise CommandError(f"the import failed for: {', '.join(failed)}")
