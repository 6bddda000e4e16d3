"""Spreadsheet imports: one framework for every app that takes records from CSV or Excel files.

An app describes its file in an :class:`Importer` subclass (the model, the columns with their Chinese
and English headers, how a row becomes an unsaved record) and gets, for free:

* reading CSV (UTF-8 with or without BOM, GB18030, UTF-16 as Excel writes "Unicode text") and XLSX;
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
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


def decode_text(data: bytes) -> str:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, otherwise GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file's text cannot be read (broken UTF-16).")) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is what Excel and WPS write for "CSV" on Chinese Windows (a superset of GBK and GB2312).
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file's text encoding is not UTF-8 or GB18030. Save it again as “CSV UTF-8” and upload that.")
        ) from exc


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


def iter_rows(data: bytes, file_name: str) -> Iterator[tuple[int, list[str]]]:
    """Every row of the first worksheet (or of the CSV file) as text cells, blank rows included."""
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is larger than %(size)s MB; split it into smaller files.")
            % {"size": f"{max_bytes() / 1024 / 1024:g}"}
        )
    if detect_format(data, file_name) == "xlsx":
        yield from _xlsx_rows(data)
    else:
        yield from _csv_rows(decode_text(data))


def read_sheet(data: bytes, file_name: str, *, max_rows: int | None = None) -> Sheet:
    """The header row (the first non-blank row) and the non-blank rows below it."""
    limit = MAX_ROWS if max_rows is None else max_rows
    headers: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[str]]] = []
    for number, cells in iter_rows(data, file_name):
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
    return Sheet(headers=headers, header_row=header_row, rows=rows)


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


def _reporter(job_id: int) -> Progress:
    def report(phase: str, done: int, total: int) -> None:
        cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, timeout=24 * 3600)

    return report


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
        transaction.on_commit(lambda: _enqueue("scorehub.core.importing.check_job", job.pk))
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
        transaction.on_commit(lambda: _enqueue("scorehub.core.importing.import_job", locked.pk))
    return locked


def _enqueue(task: str, job_id: int) -> None:
    from django_q.tasks import async_task

    # Read per call: django-q2 reads its own copy of the setting once, at import time.
    sync = bool(settings.Q_CLUSTER.get("sync", False))
    async_task(task, job_id, task_name=f"import-{job_id}-{task.rsplit('.', 1)[-1]}", sync=sync)


def _store_check(job: ImportJob, importer: Importer, result: CheckResult) -> None:
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
    }


def check_job(job_id: int) -> None:
    """Task: the dry run of a job."""
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    if job.status != ImportStatus.QUEUED:
        return
    report = _reporter(job.pk)
    with translation.override(job.language):
        if job.started_by is None:
            # Jobs run in their starter's scope; without that person there is no scope (never "everything").
            _finish(job, ImportStatus.FAILED, message=_("The person who started this import no longer exists."))
            return
        job.status = ImportStatus.CHECKING
        job.save(update_fields=["status"])
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
        except Exception:  # a job records its failure instead of dying silently
            logger.exception("import job %s: dry run failed", job.pk)
            _finish(job, ImportStatus.FAILED, message=_("The file could not be checked because of an internal error."))
            return
        _store_check(job, importer, result)
        job.checked_at = timezone.now()
        _finish(job, ImportStatus.CHECKED if result.ok else ImportStatus.INVALID)


def import_job(job_id: int) -> None:
    """Task: the all-or-nothing import of a checked job."""
    from .models import ImportJob, ImportStatus

    job = ImportJob.objects.select_related("started_by").get(pk=job_id)
    if job.status != ImportStatus.IMPORT_QUEUED:
        return
    report = _reporter(job.pk)
    with translation.override(job.language):
        if job.started_by is None:
            # Jobs run in their starter's scope; without that person there is no scope (never "everything").
            _finish(job, ImportStatus.FAILED, message=_("The person who started this import no longer exists."))
            return
        # Committed before the import's own transaction opens, so the pages show "importing" meanwhile.
        job.status = ImportStatus.IMPORTING
        job.save(update_fields=["status"])
        importer = importer_class(job.importer)(
            actor=job.started_by, context={"import_job": job.pk, "file": job.file_name}, parameters=job.parameters
        )
        try:
            report("reading", 0, job.total_rows)
            sheet = read_sheet(bytes(job.content), job.file_name)
            result = importer.run(sheet, report)
        except ImportRejected as exc:
            # The database changed since the dry run (e.g. someone registered the same code meanwhile).
            _store_check(job, importer, exc.result)
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
            _finish(job, ImportStatus.FAILED, message=_("The data changed while importing: nothing was imported."))
            return
        except Exception:  # a job records its failure instead of dying silently
            logger.exception("import job %s: import failed", job.pk)
            message = _("The import failed because of an internal error: nothing was imported.")
            _finish(job, ImportStatus.FAILED, message=message)
            return
        job.created_count = result.created
        _finish(job, ImportStatus.DONE)


def _finish(job: ImportJob, status: str, *, message: str = "") -> None:
    job.status = status
    job.message = message
    fields = ["status", "message", "total_rows", "error_count", "errors", "preview", "checked_at", "created_count"]
    if status != "checked":
        # The file is no longer needed once it is imported or cannot be (a corrected file is a new job).
        job.content = b""
        job.finished_at = timezone.now()
        fields += ["content", "finished_at"]
    job.save(update_fields=fields)
    cache.delete(_progress_key(job.pk))


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
