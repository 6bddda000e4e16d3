"""``scorehub import checklists FILE [--user USERNAME] [--dry-run]``: all rows or none."""

from __future__ import annotations

from scorehub.core.importing import ImportCommand
from scorehub.safety.importers import ChecklistImporter


class Command(ImportCommand):
    help = (
        "Import checklist items from a CSV (UTF-8 or GB18030) or XLSX file with Chinese or English headers, "
        "one row per item with the code of its checklist. Every checklist named in the file gets exactly the "
        "file's rows as its items (a new version if checks used the current one). Every row is checked first; "
        "if any row has an error, the errors are listed, nothing is saved and the command exits with status 1."
    )
    importer_class = ChecklistImporter
