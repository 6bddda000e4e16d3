"""How indicator values are written: the same digits in both languages and on every surface.

Counts get thousands separators (``1,258``), rates and changes whole percentages (``97%``, ``+8%``),
money whole yuan (``¥1,234,567``).  A missing value (no data, or a rate whose denominator is zero)
is written "—".
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext

from .base import Number, Unit

DASH = "—"
MINUS = "−"


def _decimal(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _round(value: Decimal, places: int = 0) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _grouped(value: Decimal, places: int = 0) -> str:
    text = f"{abs(_round(value, places)):,.{places}f}"
    return f"{MINUS}{text}" if _round(value, places) < 0 else text


def percent(value: Number, *, signed: bool = False) -> str:
    hundred = _round(_decimal(value) * 100)
    text = f"{abs(hundred):,.0f}%"
    if hundred < 0:
        return f"{MINUS}{text}"
    if signed and hundred > 0:
        return f"+{text}"
    return text


def display(unit: str, value: Number | None) -> str:
    if value is None:
        return DASH
    number = _decimal(value)
    if unit == Unit.RATE:
        return percent(number)
    if unit == Unit.PERCENT_CHANGE:
        return percent(number, signed=True)
    if unit == Unit.CNY:
        return f"¥{_grouped(number)}"
    if unit in (Unit.DAYS, Unit.SCORE):
        return _grouped(number, 1)
    return _grouped(number)


def trend_direction(value: Number | None, previous: Number | None) -> str:
    if value is None or previous is None:
        return ""
    a, b = _decimal(value), _decimal(previous)
    if a > b:
        return "up"
    if a < b:
        return "down"
    return "flat"


def change_display(unit: str, value: Number | None, previous: Number | None) -> str:
    """The change against the previous period: relative for amounts, in points for shares."""
    if value is None or previous is None:
        return DASH
    current, before = _decimal(value), _decimal(previous)
    if unit in (Unit.RATE, Unit.PERCENT_CHANGE):
        points = _round((current - before) * 100)
        sign = "+" if points > 0 else (MINUS if points < 0 else "±")
        return gettext("%(sign)s%(points)s pts") % {"sign": sign, "points": f"{abs(points):,.0f}"}
    if before == 0:
        return DASH
    return percent((current - before) / abs(before), signed=True)
