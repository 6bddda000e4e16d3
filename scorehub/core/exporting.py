"""List exports (``?export=csv`` / ``?export=xlsx``) that open cleanly in Excel and WPS.

django-tables2 collects the rows (exactly what the list shows, in the user's scope); the files are
written by :mod:`scorehub.core.spreadsheets`, so user data stays text:

* CSV starts with a UTF-8 byte-order mark (Excel on Chinese Windows reads it as UTF-8 then), and a
  cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return)
  gets a leading apostrophe;
* XLSX writes every text as a text cell, exactly as it is, and numbers and dates with their types.
"""

from __future__ import annotations

from typing import Any

from django_tables2.export import TableExport

from . import spreadsheets


class SpreadsheetExport(TableExport):
    def export(self) -> Any:
        headers = self.dataset.headers or []
        if self.format == self.CSV:
            return spreadsheets.csv_bytes([headers, *self.dataset])
        if self.format == self.XLSX:
            return spreadsheets.xlsx_bytes(self.dataset.title or "Export", headers, list(self.dataset))
        return super().export()
