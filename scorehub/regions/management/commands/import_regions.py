"""``scorehub import regions FILE``: add (or rename) administrative regions from a CSV file.

The file has the columns of ``scorehub/regions/data/pilot_regions.csv``: ``code, level, name_zh,
name_en, parent`` (level and parent may be left empty: they follow from the code).  Every row is
checked first (code shape, level, parent present and above it); if any row is wrong, nothing is saved.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from scorehub.core.importing import ImportFileError, decode_text
from scorehub.core.services import audited_write
from scorehub.regions.loading import LEVEL_WORDS, RegionRow, read_region_rows
from scorehub.regions.models import Region, RegionLevel, level_for, prefix_for, region_code_validator

REQUIRED_COLUMNS = ("code", "name_zh")


class Command(BaseCommand):
    help = (
        "Add administrative regions (GB/T 2260) from a CSV file with the columns code, level, name_zh, "
        "name_en, parent. All rows or none: any error is listed and nothing is saved (exit status 1)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV file (UTF-8 or GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="check every row, save nothing")
        parser.add_argument("--language", default="zh-hans", help="language of the messages (zh-hans or en)")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(options["language"])
        try:
            with open(options["file"], "rb") as handle:
                text = decode_text(handle.read())
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}") from exc
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc
        errors = check_header(text)
        rows = read_region_rows(text) if not errors else []
        if not errors:
            errors = check_rows(text, rows)
        if errors:
            for row_number, message in errors:
                where = _("row %(row)d") % {"row": row_number}
                self.stderr.write(f"{where}: {message}")
            raise CommandError(_("%(count)d errors: nothing was imported.") % {"count": len(errors)})
        if options["dry_run"]:
            self.stdout.write(self.style.SUCCESS(_("%(count)d rows checked: no errors.") % {"count": len(rows)}))
            return
        added, updated = save_rows(rows)
        unchanged = len(rows) - added - updated
        self.stdout.write(
            self.style.SUCCESS(
                _("%(added)d regions added, %(updated)d updated, %(unchanged)d unchanged.")
                % {"added": added, "updated": updated, "unchanged": unchanged}
            )
        )


def check_header(text: str) -> list[tuple[int, str]]:
    header = next(csv.reader(io.StringIO(text)), [])
    names = {cell.strip() for cell in header}
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        return [(1, _("The column “%(name)s” is missing.") % {"name": name}) for name in missing]
    return []


def check_rows(text: str, rows: list[RegionRow]) -> list[tuple[int, str]]:
    """Every problem of every row (row numbers as a spreadsheet shows them: the header is row 1)."""
    errors: list[tuple[int, str]] = []
    raw_levels = [(record.get("level") or "").strip().lower() for record in csv.DictReader(io.StringIO(text))]
    in_file = {row.code: row for row in rows}
    seen: dict[str, int] = {}
    existing = {r.code: r.level for r in Region.objects.filter(code__in=[r.parent for r in rows if r.parent])}
    for index, (row, raw_level) in enumerate(zip(rows, raw_levels, strict=True)):
        number = index + 2
        try:
            region_code_validator(row.code)
        except ValidationError as exc:
            errors.append((number, f"“{row.code}”: {' '.join(exc.messages)}"))
            continue
        if row.code in seen:
            errors.append(
                (
                    number,
                    _("The code %(code)s already appears in row %(row)d.") % {"code": row.code, "row": seen[row.code]},
                )
            )
            continue
        seen[row.code] = number
        if raw_level and raw_level not in LEVEL_WORDS and raw_level not in {str(v) for v in RegionLevel.values}:
            errors.append((number, _("Unknown level “%(level)s”.") % {"level": raw_level}))
        elif row.level != level_for(row.code):
            # The level decides the subtree prefix that scoping matches on, so it must fit the code.
            errors.append(
                (
                    number,
                    _("The code %(code)s cannot be at the level “%(level)s”.")
                    % {"code": row.code, "level": RegionLevel(row.level).label},
                )
            )
        if not row.name_zh:
            errors.append((number, _("The Chinese name is missing.")))
        if row.parent is None:
            if row.level != RegionLevel.PROVINCE:
                errors.append((number, _("Only a province may have no parent.")))
            continue
        parent_level = in_file[row.parent].level if row.parent in in_file else existing.get(row.parent)
        if parent_level is None:
            errors.append(
                (number, _("The parent %(parent)s is neither in the file nor known.") % {"parent": row.parent})
            )
        elif parent_level >= row.level:
            errors.append((number, _("The parent %(parent)s is not above this region.") % {"parent": row.parent}))
        elif not row.code.startswith(prefix_for(row.parent, parent_level)):
            errors.append(
                (
                    number,
                    _("The code %(code)s does not lie under its parent %(parent)s.")
                    % {"code": row.code, "parent": row.parent},
                )
            )
    return errors


def save_rows(rows: list[RegionRow]) -> tuple[int, int]:
    """Parents first, one transaction: all rows or none."""
    added = updated = 0
    with audited_write(None):
        for row in sorted(rows, key=lambda r: (r.level, r.code)):
            region = Region.objects.filter(code=row.code).first()
            values = {"level": row.level, "name_zh": row.name_zh, "name_en": row.name_en, "parent_id": row.parent}
            if region is not None and all(getattr(region, k) == v for k, v in values.items()):
                continue
            created = region is None
            region = region or Region(code=row.code)
            for key, value in values.items():
                setattr(region, key, value)
            region.full_clean()
            region.save()
            added += created
            updated += not created
    return added, updated
