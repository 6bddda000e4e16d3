"""``scorehub import suggestions FILE --user USERNAME [--dry-run]``: all rows or none."""

from __future__ import annotations

from typing import Any

from scorehub.core.importing import ImportCommand
from scorehub.suggestions.importers import SuggestionImporter


class Command(ImportCommand):
    help = (
        "Import historical suggestions from a CSV (UTF-8 or GB18030) or XLSX file with Chinese or English "
        "headers, one row per suggestion with its enterprise's credit code. Only enterprises whose suggestions "
        "the --user looks after are accepted. Every row is checked first; if any row has an error, the errors "
        "are listed, nothing is saved and the command exits with status 1."
    )
    importer_class = SuggestionImporter

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # Suggestions are the enterprise's own work: they are entered in someone's name, within that
        # person's enterprises, never by "the system" for any enterprise at all.
        for action in parser._actions:
            if "--user" in action.option_strings:
                action.required = True
                action.help = "import as this user: only enterprises whose suggestions they look after are accepted"
