"""``scorehub restore``: a backup made by ``scorehub backup``, checked, onto an empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from scorehub.core.backups import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup (directory or archive) into the configured database and media storage. Every file is "
        "checked against the manifest first; the database and the media storage must be empty unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path, help="The backup directory or archive.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace what the database holds (PostgreSQL: pg_restore --clean) and overwrite media files.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(options["backup"].resolve(), force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {result.engine} database and {result.media_files} media files "
                f"in {result.seconds:.1f} s. Run `scorehub migrate` if this release is newer than the backup."
            )
        )
