from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_check, manifest_read


class Command(BaseCommand):
    help = ("Compare the ledger (per-customer balances, a sha256 over the ledger rows) and "
            "MEDIA_ROOT with a backup's manifest; fails naming every difference.")

    def add_arguments(self, parser):
        parser.add_argument("--manifest", required=True,
                            help="manifest.json of a backup (or its folder)")

    def handle(self, *args, manifest, **options):
        try:
            expected = manifest_read(Path(manifest))
            differences = backup_check(manifest=expected)
        except BackupError as e:
            raise CommandError(str(e)) from None
        if differences:
            raise CommandError("The ledger or media differ from the backup:\n"
                               + "\n".join(differences))
        ledger = expected["ledger"]
        customers = sum(len(t["customers"]) for t in ledger["tenants"].values())
        rows = sum(t["row_count"] for t in ledger["tenants"].values())
        self.stdout.write(f"Identical to the backup of {expected['created_at']}: "
                          f"{len(ledger['tenants'])} tenants, {customers} customers, {rows} "
                          f"ledger rows, {len(expected['media']['files'])} media files; "
                          f"ledger sha256 {ledger['sha256']}")
