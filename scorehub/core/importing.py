"""Spreadsheet imports: one framework for every app that takes records from CSV or Excel files.

An app describes its file in an :class:`Importer` subclass (the model, the columns with their Chinese
and English headers, how a row becomes an unsaved record) and gets, for free:

* reading CSV (UTF-8 with or without BOM, GB18030, UTF-16 as Excel writes "Unicode text"; any other
  encoding is recognised with charset-normalizer and refused) and XLSX;
* headers matched in either language (or as the bilingual header of the downloadable template);
* a dry run that validates every row (``full_clean``, duplicates in the file and in the database) and
  collects a per-row error list with the row number the user sees in the spreadsheet;
* an import that saves **all rows or none** in one transaction, with bulk inserts, change-log entries
  written in bulk, and the whole batch re-checked against the actor's scope before it commits;
* background jobs (:class:`~scorehub.core.models.ImportJob`, run by django-q2) with progress kept in the
  cache, readable by the web process while the import's transaction is still open;
* the upload form, the pages (``scorehub.core.import_views``) and a management command base class.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_q.exceptions import TimeoutException

from . import spreadsheets
from .forms import BootstrapFormMixin
from .i18n import pick
from .scoping import Action, OutOfScope, ensure_visible

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from .models import ImportJob

logger = logging.getLogger(__name__)

#: Most data rows one file may hold (memory and time stay bounded).
MAX_ROWS = getattr(settings, "SCOREHUB_IMPORT_MAX_ROWS", 50_000)
#: Rows shown in the dry run's preview.
PREVIEW_ROWS = 10
#: Errors kept on a job (the count is always exact).
MAX_STORED_ERRORS = 1000
#: Rows between two progress reports.
PROGRESS_EVERY = 250
#: Rows per INSERT and per scope re-check query (well under SQLite's parameter limit).
BATCH_SIZE = 500
#: How long a failed job keeps its file for a retry (the periodic sweep drops it then).
RETRY_WINDOW = timedelta(days=7)

FORMATS = {"csv": "CSV", "xlsx": "Excel (.xlsx)"}
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other old Office files


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, encoding, too large, no header...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------------------------------
# Reading files


@dataclass
class Sheet:
    """The cells of a file as text: its header row and its non-blank data rows with their row numbers."""

    headers: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]]
    #: The encoding a CSV file was read in (``UTF8``, ``GB18030``...); "" for an Excel workbook.
    encoding: str = ""


def max_bytes() -> int:
    return int(settings.SCOREHUB_IMPORT_MAX_BYTES)


def detect_format(data: bytes, file_name: str) -> str:
    """``"csv"`` or ``"xlsx"`` from the file's name *and* content; anything else is refused."""
    name = (file_name or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if data.startswith(_OLE_MAGIC) or extension == "xls":
        raise ImportFileError(
            _("Old Excel files (.xls) cannot be read. In Excel, use “Save as” and choose .xlsx or CSV (UTF-8).")
        )
    if extension == "xlsx":
        if not data.startswith(_XLSX_MAGIC):
            raise ImportFileError(_("This file is named .xlsx but is not an Excel workbook."))
        return "xlsx"
    if extension in ("csv", "txt"):
        if data.startswith(_XLSX_MAGIC):
            raise ImportFileError(_("This file is named .csv but is an Excel workbook: rename it to .xlsx."))
        if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(_("This file is named .csv but does not contain text."))
        return "csv"
    raise ImportFileError(
        _("Files of this type cannot be imported. Upload a CSV file (.csv) or an Excel workbook (.xlsx).")
    )


#: What the dry run's preview calls the encodings a CSV file may be in.
UTF8, UTF8_BOM, UTF16, GB18030 = "UTF-8", "UTF-8 (BOM)", "UTF-16", "GB18030"
#: charset-normalizer's names of GB18030 and the older encodings it contains (GBK, GB2312).
_GB_FAMILY = frozenset({"gb18030", "gbk", "gb2312", "cp936", "hz"})
#: Common names of what a refused file may be in (charset-normalizer answers with Python codec names).
_ENCODING_NAMES = {
    "cp932": "Shift_JIS",
    "shift_jis": "Shift_JIS",
    "shift_jis_2004": "Shift_JIS",
    "shift_jisx0213": "Shift_JIS",
    "euc_jp": "EUC-JP",
    "euc_jis_2004": "EUC-JP",
    "euc_jisx0213": "EUC-JP",
    "iso2022_jp": "ISO-2022-JP",
    "big5": "Big5",
    "big5hkscs": "Big5-HKSCS",
    "cp950": "Big5",
    "cp949": "EUC-KR",
    "euc_kr": "EUC-KR",
    "johab": "Johab",
    "latin_1": "ISO-8859-1",
    "utf_16_be": "UTF-16",
    "utf_16_le": "UTF-16",
    "utf_32": "UTF-32",
}
_LANGUAGES = {
    "Japanese": gettext_lazy("Japanese"),
    "Korean": gettext_lazy("Korean"),
    "Chinese": gettext_lazy("Chinese"),
    "Russian": gettext_lazy("Russian"),
    "English": gettext_lazy("English"),
}


@dataclass(frozen=True)
class Text:
    """The text of a CSV file and the encoding it was read in (shown in the dry run's preview)."""

    text: str
    encoding: str


def read_text(data: bytes) -> Text:
    """The text of a CSV file in UTF-8 (with or without BOM), GB18030 (GBK, GB2312) or UTF-16 with BOM.

    Any other encoding is refused with a message that names what the file seems to be in: decoding
    a Japanese Shift_JIS file as GB18030 "works" and fills the database with mojibake ("姅幃夛幮僥僗僩"),
    so GB18030 is used only when charset-normalizer finds it among the best explanations of the bytes.
    """
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Text(data[len(codecs.BOM_UTF8) :].decode("utf-8"), UTF8_BOM)
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file starts like a UTF-8 file but its text is not UTF-8. Save it again as “CSV UTF-8”.")
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Text(data.decode("utf-16"), UTF16)
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file's text cannot be read (broken UTF-16).")) from exc
    try:
        return Text(data.decode("utf-8"), UTF8)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if _gb18030_is_among_the_best(matches):
        try:
            # GB18030 is what Excel and WPS write for "CSV" on Chinese Windows (it contains GBK and GB2312).
            return Text(data.decode("gb18030"), GB18030)
        except UnicodeDecodeError:
            matches = []
    if not matches:
        raise ImportFileError(
            _("The file's text encoding is not UTF-8 or GB18030. Save it again as “CSV UTF-8” and upload that.")
        )
    best = matches[0]
    name = _ENCODING_NAMES.get(best.encoding, best.encoding.upper().replace("_", "-"))
    language = _LANGUAGES.get(best.language)
    if language is not None:
        name = f"{name} ({language})"
    raise ImportFileError(
        _(
            "The file's text seems to be in %(encoding)s, not UTF-8 or GB18030: its characters would come "
            "out garbled, so it cannot be imported. Save it again as “CSV UTF-8” and upload that."
        )
        % {"encoding": name}
    )


def _gb18030_is_among_the_best(matches: list[Any]) -> bool:
    """Whether charset-normalizer finds no explanation of the bytes less chaotic than GB18030 (or GBK).

    A short file may be explained equally well by several encodings (a tie keeps GB18030); a Shift_JIS
    or EUC-KR file either does not decode as GB18030 without mess or is not offered as it at all.
    """
    if not matches:
        return False
    least_chaos = min(match.chaos for match in matches)
    return any(match.chaos <= least_chaos and _GB_FAMILY.intersection(match.could_be_from_charset) for match in matches)


def decode_text(data: bytes) -> str:
    """Text of a CSV file (see :func:`read_text`)."""
    return read_text(data).text


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        # A row as the spreadsheet shows it is one CSV record (a quoted cell may span lines).
        for number, record in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in record]
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV file is malformed near row %(row)d: %(error)s") % {"row": reader.line_num, "error": exc}
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The Excel file is damaged or not an .xlsx workbook.")) from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The Excel file has no worksheet."))
        sheet: Any = workbook.worksheets[0]
        # Some programs write a wrong size into the file; read what is really there.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        workbook.close()


def open_rows(data: bytes, file_name: str) -> tuple[str, Iterator[tuple[int, list[str]]]]:
    """How the file's text was read (the encoding of a CSV file, "" for a workbook) and its rows."""
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is larger than %(size)s MB; split it into smaller files.")
            % {"size": f"{max_bytes() / 1024 / 1024:g}"}
        )
    if detect_format(data, file_name) == "xlsx":
        return "", _xlsx_rows(data)
    text = read_text(data)
    return text.encoding, _csv_rows(text.text)


def iter_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[str]]]:
    """Every row of the first worksheet (or of the CSV file) as text cells, blank rows included."""
    yield from open_rows(data, file_name)[1]


def read_sheet(data: bytes, file_name: str, *, max_rows: int | None = None) -> Sheet:
    """The header row (the first non-blank row) and the non-blank rows below it."""
    limit = MAX_ROWS if max_rows is None else max_rows
    headers: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    encoding, all_rows = open_rows(data, file_name)
    for number, cells in all_rows:
        if not any(cells):
            continue
        if headers is None:
            headers, header_row = cells, number
            continue
        rows.append((number, cells))
        if len(rows) > limit:
            raise ImportFileError(
                _("The file has more than %(count)d rows; split it into smaller files.") % {"count": limit}
            )
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return Sheet(headers=headers, header_row=header_row, rows=rows, encoding=encoding)


# --------------------------------------------------------------------------------------------------
# Columns and headers


def normalise_header(text: str) -> str:
    """Headers compare loosely: width, case, spaces, underscores and the asterisk of "required" don't matter."""
    value = unicodedata.normalize("NFKC", text or "").lower().replace("*", "")
    value = re.sub(r"[\s_]+", " ", value).strip()
    return value


@dataclass(frozen=True)
class Column:
    """One column of an import file: the field it fills and the headers that name it."""

    field: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    example: str = ""
    help_zh: str = ""
    help_en: str = ""

    @property
    def label(self) -> str:
        return pick(self.label_zh, self.label_en)

    @property
    def help(self) -> str:
        return pick(self.help_zh, self.help_en)

    @property
    def template_header(self) -> str:
        """The bilingual header of the downloadable template."""
        return f"{self.label_zh} / {self.label_en}"

    def header_names(self) -> set[str]:
        names = {self.field, self.label_zh, self.label_en, self.template_header, *self.aliases}
        return {normalise_header(n) for n in names if n}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Row:
    """One data row on its way in: the cells by field, the record built from them, and its problems."""

    number: int
    values: dict[str, str]
    headers: dict[str, str]
    record: models.Model | None = None
    errors: list[RowError] = field(default_factory=list)
    #: Extra values the importer keeps for its ``save`` (e.g. a contact person to create with the record).
    extra: dict[str, Any] = field(default_factory=dict)

    def add_error(self, field_name: str | None, message: str) -> None:
        column = self.headers.get(field_name, "") if field_name else ""
        error = RowError(self.number, column, str(message))
        if error not in self.errors:
            self.errors.append(error)

    def has_error(self, field_name: str) -> bool:
        column = self.headers.get(field_name)
        return column is not None and any(e.column == column for e in self.errors)


@dataclass
class CheckResult:
    rows: list[Row]
    errors: list[RowError]
    ignored_headers: list[str]
    total: int

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class ImportResult:
    created: int
    records: list[models.Model]


class ImportRejected(Exception):
    """The file has errors: nothing was saved."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"{len(result.errors)} errors")
        self.result = result


Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    return None


def chunked(items: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --------------------------------------------------------------------------------------------------
# Parsing helpers for importers


def parse_int(text: str, *, minimum: int | None = 0) -> int:
    """A whole number from a cell ("1200", "1,200", "1200.0")."""
    value = (text or "").replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": text}) from exc
    if number != number.to_integral_value():
        raise ValidationError(_("“%(value)s” is not a whole number.") % {"value": text})
    if minimum is not None and number < minimum:
        raise ValidationError(_("The number must be at least %(minimum)d.") % {"minimum": minimum})
    return int(number)


_DATE_SEPARATORS = str.maketrans({"/": "-", ".": "-", "年": "-", "月": "-", "日": ""})
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_day(text: str) -> date:
    """A day from a cell: 2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301 (an Excel date cell too)."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    # A date cell with a time ("2024-03-01 09:30:00"): the day is what counts.
    value = value.split(" ", 1)[0].split("T", 1)[0].translate(_DATE_SEPARATORS).strip("-")
    if len(value) == 8 and value.isdigit():
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return date(*(int(part) for part in match.groups()))
    except ValueError as exc:
        raise ValidationError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2024-03-01.") % {"value": text}
        ) from exc


def choice_lookup(choices: type[models.Choices], aliases: Mapping[Any, Iterable[str]] | None = None) -> dict[str, str]:
    """Cell text → choice value, accepting the value, its English and Chinese labels and extra aliases."""
    table: dict[str, str] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        table[normalise_header(str(value))] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                table[normalise_header(str(label))] = value
    for value, words in (aliases or {}).items():
        for word in words:
            table[normalise_header(word)] = value
    return table


def parse_choice(text: str, lookup: dict[str, str], *, accepted: Iterable[str] = ()) -> str:
    value = lookup.get(normalise_header(text))
    if value is None:
        words = "、".join(accepted) if translation.get_language() == "zh-hans" else ", ".join(accepted)
        raise ValidationError(_("“%(value)s” is not one of: %(accepted)s.") % {"value": text, "accepted": words})
    return value


# --------------------------------------------------------------------------------------------------
# Importers


class Importer:
    """Describes one kind of import.  Subclasses set the class attributes and implement ``build``.

    ``actor`` is the user the import runs for; ``None`` means the console (``scorehub import ...``),
    which an administrator runs with full access to the database, so no scope applies.

    ``parameters`` say where the rows go when the file alone does not (e.g. the programme enterprises are
    enrolled in): their names are in ``url_parameters``; the web pages take them from the URL, the job
    keeps them, and the console command asks for them as ``--<name>`` options.  ``resolve`` turns them into
    records the actor may use (404 otherwise).
    """

    model: ClassVar[type[models.Model]]
    columns: ClassVar[tuple[Column, ...]]
    title: ClassVar[Any] = ""
    #: The action the actor must hold on every created record (``ensure_visible``).
    action: ClassVar[str] = Action.MANAGE
    #: URL namespace of the app's import pages (``<namespace>:import``, ``:import-job``, ...).
    url_namespace: ClassVar[str] = ""
    #: The list the user returns to after an import.
    list_url_name: ClassVar[str] = ""
    #: Fields whose values must be unique: checked within the file and against the database.
    unique_fields: ClassVar[tuple[str, ...]] = ()
    #: Fields ``full_clean`` skips because ``build`` resolved them already (foreign keys: one query each).
    clean_exclude: ClassVar[tuple[str, ...]] = ()
    #: Base name of the template files users download.
    template_name: ClassVar[str] = "import-template"
    #: Names of the parameters the import needs besides the file (URL kwargs of its pages, ``--<name>`` options).
    url_parameters: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        seen: dict[str, str] = {}
        for column in getattr(cls, "columns", ()):
            for name in column.header_names():
                if name in seen and seen[name] != column.field:
                    raise TypeError(f"{cls.__name__}: header “{name}” names both {seen[name]} and {column.field}")
                seen[name] = column.field

    def __init__(
        self, *, actor: Any, context: dict[str, Any] | None = None, parameters: Mapping[str, Any] | None = None
    ) -> None:
        self.actor = actor
        #: Stored with every change-log entry (e.g. the import job and file name).
        self.context = dict(context or {})
        given = dict(parameters or {})
        #: The values of ``url_parameters`` (and nothing else), as the URL or the command line gave them.
        self.parameters: dict[str, Any] = {name: given.get(name) for name in self.url_parameters}

    @classmethod
    def path(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    @classmethod
    def required_columns(cls) -> list[Column]:
        return [c for c in cls.columns if c.required]

    # -- hooks for subclasses -------------------------------------------------------------------

    def resolve(self) -> None:
        """Look up what ``parameters`` name, as the actor may use it; raise ``OutOfScope`` (404) otherwise.

        Called before every import page answers and again at the start of every check, so the import's
        own transaction re-checks it.
        """

    def back_link(self) -> tuple[str, Any]:
        """Where the user goes after an import, and what that page is called (the breadcrumb and "Go to")."""
        url = reverse(self.list_url_name) if self.list_url_name else ""
        return url, self.model._meta.verbose_name_plural

    def prepare(self, rows: list[Row]) -> None:
        """Fetch, in a few queries, whatever ``build`` looks up (regions, existing codes, ...)."""

    def build(self, row: Row) -> models.Model | None:  # pragma: no cover - interface
        """An unsaved record from ``row.values``; problems go to ``row.add_error(field, message)``."""
        raise NotImplementedError

    def save(self, rows: list[Row], progress: Progress) -> list[models.Model]:
        """Save the records of valid rows; returns every record created (for the scope check and the log)."""
        records = [row.record for row in rows if row.record is not None]
        created: list[models.Model] = []
        for batch in chunked(records):
            created.extend(self.model._default_manager.bulk_create(batch))
            progress("saving", len(created), len(records))
        return created

    def preview_values(self, row: Row) -> list[str]:
        """The row as it will be imported, one text per column (for the dry run's preview)."""
        return [row.values.get(c.field, "") for c in self.columns]

    def existing_values(self, field_name: str, values: list[str]) -> set[str]:
        """Which of ``values`` the database already holds in ``field_name``.

        Uniqueness is global, so this looks past the actor's scope; it answers only "taken", as a single
        record's form does, never which record holds the value or where.
        """
        manager = self.model._base_manager
        found: set[str] = set()
        for batch in chunked(values):
            found.update(manager.filter(**{f"{field_name}__in": list(batch)}).values_list(field_name, flat=True))
        return found

    # -- the machinery ---------------------------------------------------------------------------

    def map_headers(self, sheet: Sheet) -> tuple[dict[int, Column], list[str], list[RowError]]:
        """Which file column feeds which field; headers nobody knows; missing or doubled columns."""
        by_name: dict[str, Column] = {}
        for known in self.columns:
            for name in known.header_names():
                by_name[name] = known
        mapping: dict[int, Column] = {}
        ignored: list[str] = []
        errors: list[RowError] = []
        used: dict[str, str] = {}
        for index, header in enumerate(sheet.headers):
            if not header:
                continue
            normalised = normalise_header(header)
            column: Column | None = by_name.get(normalised)
            if column is None and "/" in normalised:
                # A bilingual header such as "企业名称 / Name (Chinese)" edited by hand.
                for part in normalised.split("/"):
                    column = by_name.get(part.strip())
                    if column is not None:
                        break
            if column is None:
                ignored.append(header)
                continue
            if column.field in used:
                errors.append(
                    RowError(
                        sheet.header_row,
                        header,
                        _("Columns “%(first)s” and “%(second)s” both mean “%(label)s”: keep only one.")
                        % {"first": used[column.field], "second": header, "label": column.label},
                    )
                )
                continue
            used[column.field] = header
            mapping[index] = column
        for required in self.required_columns():
            if required.field not in used:
                errors.append(
                    RowError(
                        sheet.header_row,
                        "",
                        _("The required column “%(label)s” is missing (header “%(zh)s” or “%(en)s”).")
                        % {"label": required.label, "zh": required.label_zh, "en": required.label_en},
                    )
                )
        return mapping, ignored, errors

    def check(self, sheet: Sheet, progress: Progress = _no_progress) -> CheckResult:
        """Validate every row without saving anything."""
        self.resolve()
        mapping, ignored, header_errors = self.map_headers(sheet)
        total = len(sheet.rows)
        if header_errors:
            return CheckResult(rows=[], errors=header_errors, ignored_headers=ignored, total=total)
        if not total:
            error = RowError(sheet.header_row, "", _("The file has a header row but no rows to import."))
            return CheckResult(rows=[], errors=[error], ignored_headers=ignored, total=0)
        headers = {column.field: sheet.headers[index] for index, column in mapping.items()}
        rows = []
        for number, cells in sheet.rows:
            values = {c.field: (cells[i] if i < len(cells) else "") for i, c in mapping.items()}
            rows.append(Row(number=number, values=values, headers=headers))
        progress("checking", 0, total)
        self.prepare(rows)
        example = {c.field: c.example for c in self.columns if c.field in headers}
        for done, row in enumerate(rows, start=1):
            self._check_row(row, example)
            if done % PROGRESS_EVERY == 0:
                progress("checking", done, total)
        self._check_unique(rows)
        progress("checking", total, total)
        errors = [error for row in rows for error in row.errors]
        return CheckResult(rows=rows, errors=errors, ignored_headers=ignored, total=total)

    def _check_row(self, row: Row, example: dict[str, str]) -> None:
        if example and all(row.values.get(f, "") == v for f, v in example.items()):
            row.add_error(None, _("This is the example row of the template: replace it with your own data."))
            return
        for column in self.required_columns():
            if not row.values.get(column.field, "").strip():
                row.add_error(column.field, _("This column must not be empty."))
        try:
            record = self.build(row)
        except ValidationError as exc:
            self._add_validation_errors(row, exc)
            return
        row.record = record
        if record is None:
            return
        try:
            record.full_clean(exclude=list(self.clean_exclude), validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self._add_validation_errors(row, exc)

    def _add_validation_errors(self, row: Row, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field_name, errors in exc.message_dict.items():
                # One message per cell: the importer's own words win over the model's generic ones.
                if field_name != NON_FIELD_ERRORS and row.has_error(field_name):
                    continue
                for message in errors:
                    row.add_error(None if field_name == NON_FIELD_ERRORS else field_name, message)
        else:
            for message in exc.messages:
                row.add_error(None, message)

    def _check_unique(self, rows: list[Row]) -> None:
        for field_name in self.unique_fields:
            first_seen: dict[str, int] = {}
            candidates: dict[str, list[Row]] = defaultdict(list)
            for row in rows:
                if row.record is None or row.has_error(field_name):
                    continue
                value = getattr(row.record, field_name)
                if value in (None, ""):
                    continue
                if value in first_seen:
                    row.add_error(
                        field_name,
                        _("“%(value)s” already appears in row %(row)d of this file.")
                        % {"value": value, "row": first_seen[value]},
                    )
                    continue
                first_seen[value] = row.number
                candidates[value].append(row)
            for value in self.existing_values(field_name, list(candidates)):
                for row in candidates.get(value, []):
                    row.add_error(
                        field_name,
                        _("“%(value)s” is already registered: it cannot be imported again.") % {"value": value},
                    )

    def run(self, sheet: Sheet, progress: Progress = _no_progress) -> ImportResult:
        """Check again and save every row, or nothing: one transaction, scope re-checked for the batch.

        Raises :class:`ImportRejected` when a row has an error and :class:`OutOfScope` when a created
        record would lie outside the actor's reach; in both cases nothing is saved.
        """
        from .services import audited_write

        with audited_write(self.actor):
            result = self.check(sheet, progress)
            if not result.ok:
                raise ImportRejected(result)
            valid = [row for row in result.rows if row.record is not None]
            created = self.save(valid, progress)
            progress("verifying", 0, len(created))
            self.ensure_all_visible(created)
            progress("logging", 0, len(created))
            log_created(created, actor=self.actor, context=self.context)
            progress("done", len(valid), len(valid))
        return ImportResult(created=len(valid), records=created)

    def ensure_all_visible(self, records: list[models.Model]) -> None:
        """The batch form of ``ensure_visible``: every created record must be inside the actor's scope."""
        if self.actor is None:
            return
        by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
        for record in records:
            by_model[type(record)].append(record.pk)
        for model, pks in by_model.items():
            if not hasattr(model, "scope_policy"):
                continue
            visible = 0
            for batch in chunked(pks):
                queryset = model._default_manager.filter(pk__in=list(batch))
                visible += queryset.visible_to(self.actor, self.action).count()  # type: ignore[attr-defined]
            if visible != len(pks):
                raise OutOfScope


def log_created(records: list[models.Model], *, actor: Any, context: dict[str, Any] | None = None) -> int:
    """Change-log entries for records created by ``bulk_create`` (which sends no signals), in bulk."""
    from auditlog.cid import get_cid
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry
    from auditlog.registry import auditlog
    from django.contrib.contenttypes.models import ContentType

    now = timezone.now()
    cid = get_cid()
    use_json = getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False)
    actor_id = getattr(actor, "pk", None)
    actor_email = getattr(actor, "email", None) or None
    types: dict[type[models.Model], ContentType] = {}
    reverse_one_to_one: dict[type[models.Model], list[Any]] = {}
    entries = []
    for record in records:
        model = type(record)
        if not auditlog.contains(model):
            continue
        if model not in types:
            types[model] = ContentType.objects.get_for_model(model)
            reverse_one_to_one[model] = [
                f for f in model._meta.get_fields() if f.one_to_one and f.auto_created and not f.concrete
            ]
        for relation in reverse_one_to_one[model]:
            # A record created a moment ago has nothing pointing at it yet: tell Django so, or the
            # change log would ask the database once per record (e.g. "which organisation is this?").
            if not relation.is_cached(record):
                relation.set_cached_value(record, None)
        pk = record.pk
        entries.append(
            LogEntry(
                content_type=types[model],
                object_pk=str(pk),
                object_id=pk if isinstance(pk, int) else None,
                object_repr=str(record)[:2000],
                action=LogEntry.Action.CREATE,
                changes=model_instance_diff(None, record, use_json_for_changes=use_json),
                actor_id=actor_id,
                actor_email=actor_email,
                cid=cid,
                timestamp=now,
                additional_data=context or None,
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    return len(entries)


def importer_class(path: str) -> type[Importer]:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, Importer)):
        raise TypeError(f"{path} is not an Importer")
    return cls


# --------------------------------------------------------------------------------------------------
# Templates users download


def template_rows(importer: type[Importer]) -> list[list[str]]:
    """The bilingual header row and one example row."""
    return [[c.template_header for c in importer.columns], [c.example for c in importer.columns]]


def template_csv(importer: type[Importer]) -> bytes:
    # UTF-8 with a byte-order mark (Excel then reads the Chinese headers), every cell safe as text.
    return spreadsheets.csv_bytes(template_rows(importer))


def template_xlsx(importer: type[Importer]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = str(importer.title)[:31] or "import"
    header, example = template_rows(importer)
    # Text cells (core.spreadsheets): an example such as "-" or "=" must not become a formula.
    spreadsheets.write_row(sheet, 1, header)
    spreadsheets.write_row(sheet, 2, example)
    for index, column in enumerate(importer.columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(40, len(column.template_header) + 6))
        # Codes stay text: Excel must not turn 330503 into 3.3E+05 or drop leading zeros.
        for row in range(2, 1002):
            sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------------
# Jobs: dry run and import in the background, progress in the cache


def _progress_key(job_id: int) -> str:
    return f"scorehub:import-job:{job_id}:progress"


@dataclass
class JobProgress:
    phase: str
    done: int
    total: int

    @property
    def percent(self) -> int:
        if self.phase in ("verifying", "logging", "done"):
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def label(self) -> Any:
        return PHASE_LABELS.get(self.phase, PHASE_LABELS["waiting"])


PHASE_LABELS = {
    "waiting": gettext_lazy("Waiting for a free worker…"),
    "reading": gettext_lazy("Reading the file…"),
    "checking": gettext_lazy("Checking rows…"),
    "saving": gettext_lazy("Saving rows…"),
    "verifying": gettext_lazy("Verifying your access to every new record…"),
    "logging": gettext_lazy("Writing the change log…"),
    "done": gettext_lazy("Finishing…"),
}


def job_progress(job: ImportJob) -> JobProgress:
    stored = cache.get(_progress_key(job.pk))
    if not stored:
        return JobProgress("waiting", 0, job.total_rows)
    return JobProgress(stored["phase"], stored["done"], stored["total"])


def progress_reporter(job_id: int) -> Progress:
    def report(phase: str, done: int, total: int) -> None:
        # Each report is also the worker's sign of life ("beat"), read by the stale-job check.
        progress = {"phase": phase, "done": done, "total": total, "beat": timezone.now().timestamp()}
        cache.set(_progress_key(job_id), progress, timeout=24 * 3600)

    return report


# -- jobs whose worker died ---------------------------------------------------------------------------


def stale_after() -> timedelta:
    """How long a worker may stay silent before its job counts as stopped (``SCOREHUB_IMPORT_STALE_AFTER``)."""
    return timedelta(seconds=int(settings.SCOREHUB_IMPORT_STALE_AFTER))


def last_sign_of_life(job: ImportJob) -> datetime:
    """When the job's worker last reported: taking the job (database) or its latest progress (cache)."""
    moments = [job.heartbeat_at or job.created_at]
    stored = cache.get(_progress_key(job.pk))
    if stored and stored.get("beat"):
        moments.append(datetime.fromtimestamp(stored["beat"], tz=UTC))
    return max(moments)


def _stopped_message(job: ImportJob) -> str:
    from .models import ImportStatus

    if job.status == ImportStatus.CHECKING:
        return _(
            "The check of this file stopped before it finished (its background worker stopped). "
            "Nothing was saved: you can retry it."
        )
    return _(
        "The import stopped before it finished (its background worker stopped). Nothing was imported: you can retry it."
    )


def fail_if_stale(job: ImportJob) -> bool:
    """Mark a job failed (and retryable) if its worker has been silent too long; whether it was.

    Runs when the job's page is seen and in the periodic sweep (:func:`sweep_stale_jobs`).  The update is
    conditional, so a worker that finishes at the same moment wins, and a worker that was only slow and
    comes back finds its job no longer its own and commits nothing (see :func:`import_job`).
    """
    from .models import ImportJob, ImportStatus

    if job.status not in ImportJob.WORKING:
        return False
    now = timezone.now()
    last_seen = last_sign_of_life(job)
    if last_seen > now - stale_after():
        return False
    with translation.override(job.language):
        message = _stopped_message(job)
    updated = ImportJob.objects.filter(pk=job.pk, status=job.status, attempt=job.attempt).update(
        status=ImportStatus.FAILED, message=message, retryable=True, finished_at=now
    )
    if not updated:
        return False
    logger.warning("import job %s: no sign of life from its worker since %s, marked failed", job.pk, last_seen)
    job.status, job.message, job.retryable, job.finished_at = ImportStatus.FAILED, message, True, now
    cache.delete(_progress_key(job.pk))
    return True


def sweep_stale_jobs() -> int:
    """Task, scheduled every few minutes (django-q2 schedule "import-stale-jobs"): fail every stale job.

    Also drops the files of failed jobs not retried within ``RETRY_WINDOW`` (uploaded lists hold
    personal data; a file is kept only as long as a retry is likely).  Returns how many jobs it failed.
    """
    from .models import ImportJob, ImportStatus

    now = timezone.now()
    ImportJob.objects.filter(status=ImportStatus.FAILED, retryable=True, finished_at__lt=now - RETRY_WINDOW).update(
        retryable=False, content=b""
    )
    candidates = (
        ImportJob.objects.filter(status__in=ImportJob.WORKING)
        .alias(taken=Coalesce("heartbeat_at", "created_at"))
        .filter(taken__lt=now - stale_after())
        .defer("content", "errors", "preview")
    )
    return sum(fail_if_stale(job) for job in candidates)


# -- starting, confirming and retrying ----------------------------------------------------------------


def job_start(
    *, actor: Any, importer: type[Importer], upload: UploadedFile, parameters: Mapping[str, Any] | None = None
) -> ImportJob:
    """Keep the uploaded file (and the importer's parameters) in a new job and queue its dry run."""
    from .models import ImportJob
    from .services import audited_write

    data = upload.read()
    with audited_write(actor):
        job = ImportJob.objects.create(
            importer=importer.path(),
            started_by=actor,
            file_name=(upload.name or "upload")[:255],
            file_size=len(data),
            content=data,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            parameters=importer(actor=actor, parameters=parameters).parameters,
        )
        ensure_visible(job, actor, Action.MANAGE)
        transaction.on_commit(lambda: _enqueue("scorehub.core.importing.check_job", job))
    return job


def job_confirm(*, actor: Any, job: ImportJob) -> ImportJob:
    """Queue the real import of a job whose dry run found no error."""
    from .models import ImportJob, ImportStatus
    from .services import audited_write

    with audited_write(actor):
        locked = ImportJob.objects.select_for_update().visible_to(actor, Action.MANAGE).get(pk=job.pk)
        if locked.status != ImportStatus.CHECKED:
            raise ValidationError(_("This file is not ready to be imported."))
        locked.status = ImportStatus.IMPORT_QUEUED
        locked.save(update_fields=["status"])
        cache.delete(_progress_key(locked.pk))
        transaction.on_commit(lambda: _enqueue("scorehub.core.importing.import_job", locked))
    return locked


def job_retry(*, actor: Any, job: ImportJob) -> ImportJob:
    """Run a failed job again from its kept file, as a new attempt.

    A job that failed during its dry run is checked again; one that failed while importing (its dry run
    had passed and its starter had confirmed it) is imported again, all rows or none, every row checked
    again inside the import's transaction.  The stopped attempt saved nothing, so nothing is doubled.
    """
    from .models import ImportJob, ImportStatus
    from .services import audited_write

    with audited_write(actor):
        locked = ImportJob.objects.select_for_update().visible_to(actor, Action.MANAGE).get(pk=job.pk)
        if not locked.can_retry:
            raise ValidationError(_("This import cannot be retried: upload the file again."))
        imported = locked.checked_at is not None
        locked.status = ImportStatus.IMPORT_QUEUED if imported else ImportStatus.QUEUED
        locked.attempt += 1
        locked.message = ""
        locked.retryable = False
        locked.heartbeat_at = None
        locked.finished_at = None
        locked.save(update_fields=["status", "attempt", "message", "retryable", "heartbeat_at", "finished_at"])
        cache.delete(_progress_key(locked.pk))
        task = "scorehub.core.importing.import_job" if imported else "scorehub.core.importing.check_job"
        transaction.on_commit(lambda: _enqueue(task, locked))
    return locked


def _enqueue(task: str, job: ImportJob) -> None:
    from django_q.tasks import async_task

    # Read per call: django-q2 reads its own copy of the setting once, at import time.
    sync = bool(settings.Q_CLUSTER.get("sync", False))
    name = f"import-{job.pk}-{job.attempt}-{task.rsplit('.', 1)[-1]}"
    async_task(task, job.pk, job.attempt, task_name=name, sync=sync)


# -- the tasks ----------------------------------------------------------------------------------------


def _store_check(job: ImportJob, importer: Importer, result: CheckResult, *, encoding: str) -> None:
    job.total_rows = result.total
    job.error_count = len(result.errors)
    job.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
    job.preview = {
        "columns": [c.field for c in importer.columns],
        "rows": [
            {"row": row.number, "values": importer.preview_values(row), "ok": not row.errors}
            for row in result.rows[:PREVIEW_ROWS]
        ],
        "ignored": result.ignored_headers,
        # How the file was read: the encoding of a CSV file ("" for a workbook), shown with the rows.
        "encoding": encoding,
    }


def _take(job: ImportJob, queued: str, running: str) -> bool:
    """Claim a queued job for this worker: one worker per attempt, even if a task is delivered twice."""
    from .models import ImportJob

    now = timezone.now()
    taken = ImportJob.objects.filter(pk=job.pk, status=queued, attempt=job.attempt).update(
        status=running, heartbeat_at=now
    )
    if taken:
        job.status, job.heartbeat_at = running, now
    return bool(taken)


class _NoLongerOurs(Exception):
    """The job was marked stopped (and perhaps retried) while this worker was still at it."""


def check_job(job_id: int, attempt: int | None = None) -> None:
    """Task: the dry run of a job (``attempt``: the run it was queued for; a retry's task names its own)."""
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    if job.status != ImportStatus.QUEUED or (attempt is not None and attempt != job.attempt):
        return
    report = progress_reporter(job.pk)
    with translation.override(job.language):
        if job.started_by is None:
            # Jobs run in their starter's scope; without that person there is no scope (never "everything").
            _finish(job, ImportStatus.FAILED, message=_("The person who started this import no longer exists."))
            return
        if not _take(job, ImportStatus.QUEUED, ImportStatus.CHECKING):
            return
        try:
            report("reading", 0, 0)
            sheet = read_sheet(bytes(job.content), job.file_name)
            importer = importer_class(job.importer)(actor=job.started_by, parameters=job.parameters)
            result = importer.check(sheet, report)
        except ImportFileError as exc:
            _finish(job, ImportStatus.INVALID, message=exc.message)
            return
        except OutOfScope:
            # What the parameters name (e.g. a programme) is no longer the starter's to import into.
            _finish(job, ImportStatus.FAILED, message=_("You can no longer import into this: nothing was checked."))
            return
        except TimeoutException:
            # django-q2 stops a task that runs longer than its timeout; the job can run again.
            _finish(job, ImportStatus.FAILED, message=_stopped_message(job), retryable=True)
            raise
        except Exception:  # a job records its failure instead of dying silently
            logger.exception("import job %s: dry run failed", job.pk)
            message = _("The file could not be checked because of an internal error.")
            _finish(job, ImportStatus.FAILED, message=message, retryable=True)
            return
        _store_check(job, importer, result, encoding=sheet.encoding)
        job.checked_at = timezone.now()
        _finish(job, ImportStatus.CHECKED if result.ok else ImportStatus.INVALID)


def import_job(job_id: int, attempt: int | None = None) -> None:
    """Task: the all-or-nothing import of a checked job (``attempt`` as for :func:`check_job`)."""
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    if job.status != ImportStatus.IMPORT_QUEUED or (attempt is not None and attempt != job.attempt):
        return
    report = progress_reporter(job.pk)
    with translation.override(job.language):
        if job.started_by is None:
            # Jobs run in their starter's scope; without that person there is no scope (never "everything").
            _finish(job, ImportStatus.FAILED, message=_("The person who started this import no longer exists."))
            return
        # Committed before the import's own transaction opens, so the pages show "importing" meanwhile.
        if not _take(job, ImportStatus.IMPORT_QUEUED, ImportStatus.IMPORTING):
            return
        importer = importer_class(job.importer)(
            actor=job.started_by, context={"import_job": job.pk, "file": job.file_name}, parameters=job.parameters
        )
        sheet: Sheet | None = None
        try:
            report("reading", 0, job.total_rows)
            sheet = read_sheet(bytes(job.content), job.file_name)
            with transaction.atomic():
                result = importer.run(sheet, report)
                # The rows and "imported" commit together, and only while the job is still this worker's:
                # a job marked stopped meanwhile (and perhaps retried) must not be imported twice.
                if (
                    not ImportJob.objects.select_for_update()
                    .filter(pk=job.pk, attempt=job.attempt, status=ImportStatus.IMPORTING)
                    .exists()
                ):
                    raise _NoLongerOurs
                job.created_count = result.created
                _finish(job, ImportStatus.DONE)
        except _NoLongerOurs:
            logger.warning("import job %s: marked stopped while its worker was still importing; rolled back", job.pk)
            return
        except ImportRejected as exc:
            # The database changed since the dry run (e.g. someone registered the same code meanwhile).
            _store_check(job, importer, exc.result, encoding=sheet.encoding if sheet else "")
            _finish(job, ImportStatus.INVALID, message=_("The data changed since the check: nothing was imported."))
            return
        except ImportFileError as exc:
            _finish(job, ImportStatus.FAILED, message=exc.message)
            return
        except OutOfScope:
            _finish(
                job,
                ImportStatus.FAILED,
                message=_("Some records would lie outside your area of responsibility: nothing was imported."),
            )
            return
        except IntegrityError:
            message = _("The data changed while importing: nothing was imported.")
            _finish(job, ImportStatus.FAILED, message=message, retryable=True)
            return
        except TimeoutException:
            # django-q2 stops a task that runs longer than its timeout: the transaction was rolled back.
            _finish(job, ImportStatus.FAILED, message=_stopped_message(job), retryable=True)
            raise
        except Exception:  # a job records its failure instead of dying silently
            logger.exception("import job %s: import failed", job.pk)
            message = _("The import failed because of an internal error: nothing was imported.")
            _finish(job, ImportStatus.FAILED, message=message, retryable=True)
            return


def _finish(job: ImportJob, status: str, *, message: str = "", retryable: bool = False) -> bool:
    """Record the end of a run (or its passed dry run), unless the job is no longer this run's.

    A job that can be retried keeps its file; otherwise the file is dropped once it is imported or cannot
    be (a corrected file is a new job).  Returns whether the job was still this run's.
    """
    from .models import ImportJob, ImportStatus

    job.status = status
    job.message = message
    job.retryable = retryable
    outcome = ["status", "message", "retryable"]
    fields = [*outcome, "total_rows", "error_count", "errors", "preview", "checked_at", "created_count"]
    if status != ImportStatus.CHECKED:
        job.finished_at = timezone.now()
        fields.append("finished_at")
        if not retryable:
            job.content = b""
            fields.append("content")
    # Conditional: a run marked stopped (or replaced by a retry) never overwrites what came after it.
    updated = ImportJob.objects.filter(pk=job.pk, attempt=job.attempt, status__in=ImportJob.RUNNING).update(
        **{name: getattr(job, name) for name in fields}
    )
    cache.delete(_progress_key(job.pk))
    return bool(updated)


# --------------------------------------------------------------------------------------------------
# Upload form


class ImportUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("CSV (UTF-8 or GB18030) or Excel .xlsx; the first row holds the column headers."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size is not None and upload.size > max_bytes():
            raise ValidationError(
                _("The file is larger than %(size)s MB; split it into smaller files.")
                % {"size": f"{max_bytes() / 1024 / 1024:g}"}
            )
        head = upload.read(8192)
        upload.seek(0)
        try:
            detect_format(head, upload.name or "")
        except ImportFileError as exc:
            raise ValidationError(exc.message) from exc
        if not upload.size:
            raise ValidationError(_("The file is empty."))
        return upload


# --------------------------------------------------------------------------------------------------
# Command line: ``scorehub import <kind> FILE``


class ImportCommand(BaseCommand):
    """Base of the ``import_<kind>`` management commands; subclasses set ``importer_class``."""

    importer_class: ClassVar[type[Importer]]

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8 or GB18030) or XLSX file")
        parser.add_argument(
            "--user",
            help="import as this user (scope and change log); without it the import runs as the system, unrestricted",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument(
            "--language", default=settings.LANGUAGE_CODE, help="language of the messages (zh-hans or en)"
        )
        for name in self.importer_class.url_parameters:
            parser.add_argument(f"--{name}", required=True, help=f"the {name} the rows go to (its id)")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.contrib.auth import get_user_model

        from .models import ImportJob  # noqa: F401 - the app registry is ready here

        translation.activate(options["language"])
        actor = None
        if options["user"]:
            try:
                actor = get_user_model().objects.get(username=options["user"], is_active=True)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"No active user “{options['user']}”.") from exc
        path = options["file"]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        importer = self.importer_class(
            actor=actor,
            context={"file": path.rsplit("/", 1)[-1], "source": "console"},
            parameters={name: options[name] for name in self.importer_class.url_parameters},
        )
        try:
            importer.resolve()
        except OutOfScope as exc:
            given = " ".join(f"--{name} {value}" for name, value in importer.parameters.items())
            raise CommandError(f"Nothing to import into for {given} (unknown, or not the user's to manage).") from exc
        try:
            sheet = read_sheet(data, path)
            if options["dry_run"]:
                result = importer.check(sheet, self._progress)
                self._end_progress()
                if not result.ok:
                    self._report(result)
                self.stdout.write(self.style.SUCCESS(_("%(count)d rows checked: no errors.") % {"count": result.total}))
                return
            outcome = importer.run(sheet, self._progress)
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        except ImportRejected as exc:
            self._end_progress()
            self._report(exc.result)
        except OutOfScope as exc:
            raise CommandError(
                _("Some records would lie outside your area of responsibility: nothing was imported.")
            ) from exc
        self._end_progress()
        self.stdout.write(self.style.SUCCESS(_("%(count)d rows imported.") % {"count": outcome.created}))

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self.stderr.isatty() and total:
            self.stderr.write(f"\r{PHASE_LABELS.get(phase, phase)} {done}/{total}", ending="")

    def _end_progress(self) -> None:
        if self.stderr.isatty():
            self.stderr.write("")

    def _report(self, result: CheckResult) -> None:
        for error in result.errors:
            where = _("row %(row)d") % {"row": error.row}
            if error.column:
                where = f"{where}, {error.column}"
            self.stderr.write(f"{where}: {error.message}")
        rows = len({e.row for e in result.errors})
        raise CommandError(
            _("%(rows)d of %(total)d rows have errors (%(errors)d in all): nothing was imported.")
            % {"rows": rows, "total": result.total, "errors": len(result.errors)}
        )


__all__ = [
    "Column",
    "ImportCommand",
    "ImportFileError",
    "ImportRejected",
    "ImportUploadForm",
    "Importer",
    "Row",
    "Sheet",
    "parse_day",
    "read_sheet",
]
