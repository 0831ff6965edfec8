import json

from django.core.management.base import BaseCommand

from core.backup import snapshot
from finance.fingerprint import ledger_fingerprint


class Command(BaseCommand):
    help = ("Print every tenant's per-customer balances and a sha256 over the ordered ledger "
            "rows (what backup_check compares).")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json",
                            help="the whole fingerprint as JSON, digests of each row included")

    def handle(self, *args, as_json: bool, **options):
        with snapshot():
            fingerprint = ledger_fingerprint()
        if as_json:
            self.stdout.write(json.dumps(fingerprint, ensure_ascii=False, indent=1))
            return
        for slug, tenant in fingerprint["tenants"].items():
            self.stdout.write(f"tenant {slug}: {len(tenant['customers'])} customers, "
                              f"{tenant['row_count']} ledger rows, sha256 {tenant['sha256']}")
            for number, customer in tenant["customers"].items():
                self.stdout.write(f"  customer {number}: balance {customer['balance']}, "
                                  f"ledger {customer['ledger']}, {len(customer['rows'])} rows, "
                                  f"sha256 {customer['sha256']}")
        self.stdout.write(f"ledger sha256 {fingerprint['sha256']}")

