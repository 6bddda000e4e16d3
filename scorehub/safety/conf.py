"""Settings of the work-safety app, each with a default that follows common Chinese practice.

A deployment overrides any of them with ``SCOREHUB_SAFETY = {"LEC_THRESHOLDS": (...), ...}`` in its
settings; keys it does not name keep their defaults.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # LEC: D = L × E × C.  D > 320 red, D > 160 orange, D > 70 yellow, otherwise blue.
    "LEC_THRESHOLDS": (320, 160, 70),
    # Likelihood × severity on a 5 × 5 matrix: R ≥ 20 red, R ≥ 15 orange, R ≥ 9 yellow, otherwise blue.
    "MATRIX_THRESHOLDS": (20, 15, 9),
    # Risk-based inspection planning: the weight of each factor (each factor is scaled to 0..1).
    "RISK_GRADE_WEIGHTS": {
        "open_major": 30,
        "overdue": 20,
        "unrectified_share": 15,
        "accident_rate": 15,
        "since_inspection": 10,
        "risk_points": 10,
    },
    # Score at or above which an enterprise gets grade A, B, C (below the last: D).
    "RISK_GRADE_BANDS": (60, 35, 15),
    # Caps at which a factor counts fully.
    "RISK_GRADE_CAPS": {
        "open_major": 2,
        "overdue": 3,
        "accident_rate": 5.0,  # accidents per 100 workers in the last year
        "since_inspection": 365,  # days
        "risk_points": 3.0,  # red counts 1, orange 0.5
    },
    # Photos per checklist item (their size and pixel limits are the project's SCOREHUB_IMAGE_* settings).
    "PHOTOS_PER_ITEM": 4,
    # The workers' notice board lists hazards found within this many days (open ones always).
    "NOTICE_BOARD_DAYS": 180,
    # Largest checklist spreadsheet (bytes) and number of rows accepted.
    "IMPORT_MAX_ROWS": 2000,
}


def get(name: str) -> Any:
    overrides = getattr(settings, "SCOREHUB_SAFETY", {}) or {}
    value = overrides.get(name, DEFAULTS[name])
    if isinstance(DEFAULTS[name], dict):
        return {**DEFAULTS[name], **value}
    return value
