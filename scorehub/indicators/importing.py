"""Checking a spreadsheet of monthly KPI records before anything is saved.

A small, self-contained importer (XLSX or CSV in UTF-8 / GB18030; Chinese or English headers): every
row is checked and every problem reported with its row number; only a file without problems is saved,
all rows together (``services.kpi_records_import``).  It will move onto the shared import framework
(``scorehub.core.importing``) once that exists.

Columns: the credit code, the month, one column per KPI (its code, Chinese or English name; a unit in
brackets is ignored) and an optional note.  A blank KPI cell leaves that KPI out of the record.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from scorehub.core import spreadsheets
from scorehub.core.importing import ImportFileError, read_text

from .models import Kpi
from .services import ImportRow, recordable_enterprises

MAX_ROWS = 10_000

CODE_HEADERS = {"统一社会信用代码", "信用代码", "credit code", "credit_code", "unified social credit code"}
MONTH_HEADERS = {"月份", "月", "month"}
NOTE_HEADERS = {"备注", "note", "notes"}

_BRACKETS = re.compile(r"[（(].*?[)）]")
_MONTH_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})?\s*日?)?\s*月?$")


@dataclass
class RowError:
    line: int  # the spreadsheet row (the header is row 1); 0 for the file as a whole
    column: str
    message: str


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _header_key(text: Any) -> str:
    return _BRACKETS.sub("", str(text or "")).strip().lower()


def _read_rows(upload: Any) -> list[list[Any]]:
    """The file's rows as lists of cell values (XLSX by content, otherwise CSV)."""
    data = upload.read()
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ValueError(_("The file is not a readable Excel workbook.")) from exc
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    try:
        # The imports' one reader of CSV text: UTF-8 or GB18030, anything else refused rather than garbled.
        text = read_text(data).text
    except ImportFileError as exc:
        raise ValueError(exc.message) from exc
    if "\x00" in text:
        raise ValueError(_("The file is neither an Excel workbook nor a CSV file in UTF-8 or GB18030."))
    return [list(row) for row in csv.reader(io.StringIO(text))]


def parse_month(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        # A date cell without a date format: Excel's serial day number (1954–2119).
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date().replace(day=1)
    text = str(value or "").strip()
    match = _MONTH_TEXT.match(text)
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def parse_value(value: Any) -> Decimal | None:
    """A KPI value; raises ``ValueError`` for text that is not a number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    text = str(value).strip().replace(",", "").replace("，", "")
    if text.endswith("%"):
        text = text[:-1]
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError from exc
    if not number.is_finite():
        raise ValueError
    return number


def check_kpi_file(upload: Any, *, user: Any) -> ImportReport:
    report = ImportReport()
    try:
        raw = _read_rows(upload)
    except ValueError as exc:
        report.errors.append(RowError(0, "", str(exc)))
        return report
    raw = [row for row in raw if any(cell not in (None, "") for cell in row)]
    if not raw:
        report.errors.append(RowError(0, "", _("The file has no rows.")))
        return report
    header, body = raw[0], raw[1:]
    if len(body) > MAX_ROWS:
        report.errors.append(RowError(0, "", _("A file holds at most %(max)s rows.") % {"max": f"{MAX_ROWS:,}"}))
        return report

    kpis = list(Kpi.objects.filter(is_active=True))
    names: dict[str, Kpi] = {}
    for kpi in kpis:
        for text in (kpi.code, kpi.name_zh, kpi.name_en):
            names[_header_key(text)] = kpi
    code_col = month_col = note_col = None
    kpi_cols: dict[int, Kpi] = {}
    for index, title in enumerate(header):
        key = _header_key(title)
        if not key:
            continue
        if key in CODE_HEADERS:
            code_col = index
        elif key in MONTH_HEADERS:
            month_col = index
        elif key in NOTE_HEADERS:
            note_col = index
        elif key in names:
            kpi_cols[index] = names[key]
        else:
            report.errors.append(RowError(1, str(title), _("Unknown column: it is neither a KPI nor a known column.")))
    if code_col is None:
        report.errors.append(RowError(1, "", _("The column of credit codes (统一社会信用代码) is missing.")))
    if month_col is None:
        report.errors.append(RowError(1, "", _("The column of months (月份) is missing.")))
    if not kpi_cols:
        report.errors.append(RowError(1, "", _("No column names a KPI of the catalogue.")))
    if report.errors:
        return report
    assert code_col is not None
    assert month_col is not None

    def cell(row: list[Any], index: int) -> Any:
        return row[index] if index < len(row) else None

    codes = {str(cell(row, code_col) or "").strip().upper() for row in body}
    enterprises = {e.credit_code: e for e in recordable_enterprises(user).filter(credit_code__in=codes)}
    this_month = timezone.localdate().replace(day=1)
    seen: dict[tuple[int, dt.date], int] = {}
    report.total = len(body)
    for offset, row in enumerate(body):
        line = offset + 2
        errors_before = len(report.errors)
        code = str(cell(row, code_col) or "").strip().upper()
        enterprise = enterprises.get(code)
        if enterprise is None:
            report.errors.append(
                RowError(line, str(header[code_col]), _("No enterprise you record KPIs for has this credit code."))
            )
        month = parse_month(cell(row, month_col))
        if month is None:
            report.errors.append(RowError(line, str(header[month_col]), _("Write the month as 2024-03.")))
        elif month > this_month:
            report.errors.append(RowError(line, str(header[month_col]), _("This month has not begun yet.")))
        values: dict[Kpi, Decimal | None] = {}
        for index, kpi in kpi_cols.items():
            try:
                value = parse_value(cell(row, index))
            except ValueError:
                report.errors.append(RowError(line, str(header[index]), _("Not a number.")))
                continue
            if value is not None and value < 0:
                report.errors.append(RowError(line, str(header[index]), _("A KPI value cannot be negative.")))
                continue
            if value is not None and (value.as_tuple().exponent < -4 or abs(value) >= Decimal(10) ** 12):  # type: ignore[operator]
                report.errors.append(
                    RowError(line, str(header[index]), _("Use at most 12 digits before and 4 after the point."))
                )
                continue
            values[kpi] = value
        if len(report.errors) == errors_before and all(v is None for v in values.values()):
            report.errors.append(RowError(line, "", _("The row has no KPI value.")))
        if enterprise is not None and month is not None:
            first = seen.setdefault((enterprise.pk, month), line)
            if first != line:
                report.errors.append(
                    RowError(line, "", _("Same enterprise and month as row %(line)s.") % {"line": first})
                )
        if len(report.errors) == errors_before and enterprise is not None and month is not None:
            note = str(cell(row, note_col) or "").strip()[:300] if note_col is not None else ""
            report.rows.append(ImportRow(line=line, enterprise=enterprise, month=month, values=values, note=note))
    if report.errors:
        report.rows = []
    return report


def template_workbook() -> bytes:
    """An empty import workbook: the columns in Chinese, with an English explanation sheet."""
    output = io.BytesIO()
    # KPI names are entered by programme admins: written as text cells, never as formulas.
    workbook = spreadsheets.xlsxwriter_workbook(output)
    sheet = workbook.add_worksheet("KPI")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    kpis = list(Kpi.objects.filter(is_active=True).order_by("order", "code"))
    headers = ["统一社会信用代码", "月份"] + [f"{k.name_zh}（{k.unit_zh}）" for k in kpis] + ["备注"]
    for col, text in enumerate(headers):
        sheet.write(0, col, text, bold)
        sheet.set_column(col, col, 22 if col == 0 else 14)
    sheet.freeze_panes(1, 2)
    help_sheet = workbook.add_worksheet("说明 Notes")
    lines = [
        "每行一个企业一个月：统一社会信用代码、月份（如 2024-03）、各项 KPI 数值；空格表示该月未报该项。",
        "One row per enterprise and month: credit code, month (e.g. 2024-03), the KPI values; leave a cell empty "
        "when the KPI was not measured.",
        "列名可以用中文名、英文名或代码；括号中的单位可省略。Headers may be the Chinese or English name or the code.",
        "",
    ] + [f"{k.code}: {k.name_zh} / {k.name_en} ({k.unit_zh} / {k.unit_en})" for k in kpis]
    for row, text in enumerate(lines):
        help_sheet.write(row, 0, text)
    help_sheet.set_column(0, 0, 120)
    workbook.close()
    return output.getvalue()
