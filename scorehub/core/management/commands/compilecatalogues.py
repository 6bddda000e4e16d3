"""Compile every app's zh_Hans catalogue (.po) to the binary form Django reads (.mo).

Django's own ``compilemessages`` needs GNU gettext on the machine; polib does the same in Python, so
``make run`` works on a machine without gettext.  ``.mo`` files are build output and not committed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.core.management.base import BaseCommand

PACKAGE_DIR = Path(__file__).resolve().parents[3]


def catalogue_paths() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*/locale/*/LC_MESSAGES/django.po"))


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po -> .mo) of every SCORE Hub app."

    def handle(self, *args: Any, **options: Any) -> None:
        for po_path in catalogue_paths():
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            if options["verbosity"] > 1:
                self.stdout.write(f"compiled {po_path.relative_to(PACKAGE_DIR)}")
