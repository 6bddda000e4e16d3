"""``scorehub import enrolments FILE --programme ID [--user USERNAME] [--dry-run]``: all rows or none."""

from __future__ import annotations

from scorehub.core.importing import ImportCommand
from scorehub.training.importers import EnrolmentImporter


class Command(ImportCommand):
    help = (
        "Enrol enterprises in a programme from a CSV (UTF-8 or GB18030) or XLSX file with Chinese or English "
        "headers. Every row is checked first; if any row has an error, the errors are listed, nothing is saved "
        "and the command exits with status 1."
    )
    importer_class = EnrolmentImporter
