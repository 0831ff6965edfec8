"""``manage.py voip_recordings_scan [--tenant <slug>] [--min-age <seconds>]``"""

from django.core.management.base import BaseCommand, CommandError

from core.tenancy import tenant_context
from voip import recordings
from voip.management.tenants import tenants_chosen


class Command(BaseCommand):
    help = ("Register the call recordings the exchange left under VOIP_RECORDINGS_ROOT, "
            "named abonent-<tenant id>/<YYYY>/<MM>/<DD>/<uniqueid>.<wav|mp3|ogg|opus>; "
            "a file registered before is left alone, so a second run registers nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="only this tenant's directory (its slug)")
        parser.add_argument("--min-age", type=int, default=60,
                            help="leave files written less than this many seconds ago "
                                 "(still being recorded) for the next run; default 60")

    def handle(self, *args, tenant=None, min_age=60, **options):
        if min_age < 0:
            raise CommandError("--min-age is a number of seconds, 0 or more.")
        tenants = tenants_chosen(tenant)
        for each in tenants:
            with tenant_context(each):
                result = recordings.recordings_scan(min_age_seconds=min_age)
            self.stdout.write(f"[{each.slug}] {recordings.tenant_directory(each)}/: "
                              f"registered {len(result.registered)}, known {result.known}, "
                              f"waiting {result.waiting}, refused {len(result.refused)}")
            for path, why in result.refused:
                self.stdout.write(f"  refused {path}: {why}")
