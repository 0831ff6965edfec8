from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Back up the PostgreSQL database (pg_dump -Fc) and MEDIA_ROOT into a new folder, "
            "with a manifest holding the ledger's fingerprint (README: Backup and restore).")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="a new or empty folder")
        parser.add_argument("--database-url", default="",
                            help="dump this database instead (default: DATABASE_MIGRATE_URL, "
                                 "else DATABASE_URL)")

    def handle(self, *args, out, database_url, **options):
        try:
            manifest = backup_create(out=Path(out), database_url=database_url)
        except BackupError as e:
            raise CommandError(str(e)) from None
        ledger = manifest["ledger"]
        rows = sum(t["row_count"] for t in ledger["tenants"].values())
        self.stdout.write(f"Backup in {out}: {len(ledger['tenants'])} tenants, {rows} ledger "
                          f"rows, {len(manifest['media']['files'])} media files; ledger "
                          f"sha256 {ledger['sha256']}")
