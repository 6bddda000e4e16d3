"""Reading region lists (GB/T 2260) from CSV: used by the initial data migration and the import command."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .models import RegionLevel, level_for, prefix_for

PILOT_REGIONS_CSV = Path(__file__).parent / "data" / "pilot_regions.csv"

LEVEL_WORDS = {
    "province": RegionLevel.PROVINCE,
    "省": RegionLevel.PROVINCE,
    "city": RegionLevel.CITY,
    "市": RegionLevel.CITY,
    "district": RegionLevel.DISTRICT,
    "county": RegionLevel.DISTRICT,
    "区县": RegionLevel.DISTRICT,
    "区": RegionLevel.DISTRICT,
    "县": RegionLevel.DISTRICT,
    "township": RegionLevel.TOWNSHIP,
    "乡镇": RegionLevel.TOWNSHIP,
}


@dataclass(frozen=True)
class RegionRow:
    code: str
    level: int
    name_zh: str
    name_en: str
    parent: str | None

    @property
    def prefix(self) -> str:
        return prefix_for(self.code, self.level)


def read_region_rows(text: str) -> list[RegionRow]:
    """Rows of a region CSV (columns code, level, name_zh, name_en, parent; level and parent optional)."""
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        code = (record.get("code") or "").strip()
        level_text = (record.get("level") or "").strip().lower()
        level = LEVEL_WORDS.get(level_text) or (int(level_text) if level_text.isdigit() else level_for(code))
        rows.append(
            RegionRow(
                code=code,
                level=int(level),
                name_zh=(record.get("name_zh") or "").strip(),
                name_en=(record.get("name_en") or "").strip(),
                parent=(record.get("parent") or "").strip() or None,
            )
        )
    return rows


def pilot_region_rows() -> list[RegionRow]:
    return read_region_rows(PILOT_REGIONS_CSV.read_text(encoding="utf-8"))
