"""``scorehub backup``: the database and the uploaded files, with a checksum manifest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from scorehub.core.backups import BackupError, back_up


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's online backup) and the media files into a "
        "new directory, or an archive when OUTPUT ends in .tar or .tar.gz, with a SHA-256 manifest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Directory or archive to create (default: DATA_DIR/backups/scorehub-<UTC time>).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"] or (
            Path(settings.DATA_DIR) / "backups" / f"scorehub-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}"
        )
        output.parent.mkdir(parents=True, exist_ok=True)
        try:
            manifest = back_up(output.resolve())
        except BackupError as error:
            raise CommandError(str(error)) from None
        size = sum(entry["bytes"] for entry in manifest["files"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the {manifest['engine']} database and {manifest['media_files']} media files "
                f"({size / 1e6:.1f} MB) to {output}"
            )
        )
