"""Every workbook and CSV file the project writes goes through here, so user data always stays text.

A spreadsheet runs a cell as a formula when its text starts with ``=`` (and, when it opens a CSV file,
also ``+``, ``-``, ``@``, a tab or a carriage return).  An enterprise named
``=HYPERLINK("http://evil.example/x","点此查看")`` would otherwise become a live link in the bureau's
workbook (formula or "CSV" injection).  The rule, in one place:

* **XLSX** cells are typed.  Text is written as a text cell, never as a formula, an error code or a
  hyperlink: xlsxwriter workbooks are made with :func:`xlsxwriter_workbook` (``strings_to_formulas``
  and ``strings_to_urls`` off, so ``write()`` writes every ``str`` with ``write_string``), openpyxl
  cells are set with :func:`set_cell` (the cell keeps the text type ``"s"``).  The text is kept exactly
  as it is; numbers and dates keep their types.
* **CSV** has no types, so :func:`csv_cell` puts an apostrophe before text that would start a formula
  (OWASP's advice for CSV injection); Excel and WPS hide it and show the text.  Numbers are left alone:
  a number such as ``-3`` (or the text ``"-3.5"``) is not a formula.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

#: What makes a spreadsheet program read a CSV cell as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that is just a number ("-12", "+3.5", "-1,200.00"): harmless, and left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?")

#: xlsxwriter options for every workbook: a ``str`` is always written as text.
XLSXWRITER_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

_NUMBERS = (int, float, Decimal)


def csv_cell(value: Any) -> str:
    """The text of one CSV cell; text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, _NUMBERS):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_bytes(rows: Iterable[Iterable[Any]]) -> bytes:
    """A CSV file for Excel and WPS: UTF-8 with a byte-order mark, CRLF line ends, every cell safe.

    Without the byte-order mark, Excel on Chinese Windows reads the file as GB18030 and every Chinese
    character comes out garbled.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def xlsxwriter_workbook(output: io.BytesIO, **options: Any) -> Any:
    """An in-memory xlsxwriter workbook whose ``write()`` writes every ``str`` as a text cell."""
    import xlsxwriter

    return xlsxwriter.Workbook(output, {"in_memory": True, **options, **XLSXWRITER_OPTIONS})


def cell_value(value: Any) -> Any:
    """A value openpyxl can store: numbers, dates and booleans as they are, anything else as text."""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        # Excel has no time zones: the local time is what the pages show.
        return timezone.make_naive(value)
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time):
        return value
    return str(value)  # str subclasses (safe strings) and lazy translations become plain text


def set_cell(cell: Any, value: Any) -> Any:
    """Put ``value`` into an openpyxl cell; text stays text (openpyxl would make ``"=..."`` a formula)."""
    value = cell_value(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def write_row(sheet: Any, row: int, values: Sequence[Any], *, font: Any = None, fill: Any = None) -> None:
    """Write one row of an openpyxl worksheet (``row`` counts from 1), every text as text."""
    for column, value in enumerate(values, start=1):
        cell = set_cell(sheet.cell(row=row, column=column), value)
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill


def xlsx_bytes(title: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a bold, frozen header row, then the rows, every text a text cell."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    data = [[cell_value(v) for v in row] for row in rows]
    header = [cell_value(h) for h in headers]
    workbook = Workbook(write_only=True)
    sheet: Any = workbook.create_sheet(_sheet_title(title))
    sheet.freeze_panes = "A2"
    for index in range(len(header)):
        longest = max((len(str(row[index])) for row in [header, *data] if index < len(row)), default=8)
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(60, max(8, longest + 2))
    bold = Font(bold=True)

    def cells(values: Sequence[Any], font: Any = None) -> list[Any]:
        written = []
        for value in values:
            cell = set_cell(WriteOnlyCell(sheet), value)
            if font is not None:
                cell.font = font
            written.append(cell)
        return written

    if header:
        sheet.append(cells(header, bold))
    for row in data:
        sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(text: str) -> str:
    # Excel refuses these characters in a sheet's name and names longer than 31 characters.
    return re.sub(r"[\[\]:*?/\\]", " ", str(text)).strip()[:31] or "Sheet"
