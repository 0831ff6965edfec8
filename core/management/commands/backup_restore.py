import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.backup import MANIFEST, BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup_create folder into an empty database (createdb first) and an "
            "empty media folder; --check then compares the ledger with the manifest.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", required=True, help="the backup folder")
        parser.add_argument("--database-url", required=True,
                            help="the new, empty database, e.g. postgres://…/abonent_restored")
        parser.add_argument("--media-root", required=True, help="a new or empty folder")
        parser.add_argument("--no-owner", action="store_true",
                            help="the restoring role owns everything; no grants restored "
                                 "(a server without the original roles)")
        parser.add_argument("--check", action="store_true",
                            help="then run backup_check against the restored copy")

    def handle(self, *args, source, database_url, media_root, no_owner, check, **options):
        try:
            backup_restore(source=Path(source), database_url=database_url,
                           media_root=Path(media_root), owners=not no_owner)
        except BackupError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"Restored {source} into the database and {media_root}.")
        if check:
            # The check reads the restored copy as the application would: a process whose
            # DATABASE_URL and MEDIA_ROOT are the restored ones.
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_MIGRATE_URL"}
            env.update(DATABASE_URL=database_url, MEDIA_ROOT=str(media_root))
            result = subprocess.run(  # noqa: S603
                [sys.executable, str(settings.BASE_DIR / "manage.py"), "backup_check",
                 "--manifest", str(Path(source) / MANIFEST)], env=env, capture_output=True,
                text=True)
            self.stdout.write(result.stdout, ending="")
            if result.returncode != 0:
                raise CommandError(result.stderr.strip())
