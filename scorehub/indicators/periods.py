"""Periods as they travel in URLs: ``?period=2024``, ``2024-Q2``, ``2024-03``, ``2023-07:2024-06`` or
``2024-01-15:2024-03-31``.  Every surface (dashboard, API, reports) parses them here, so the same text
means the same days everywhere."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .base import Period, _add_months

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

#: The longest period a dashboard or report covers (ten years), so that nobody asks for a century.
MAX_DAYS = 3660


class PeriodError(ValueError):
    """The text does not describe a period; the message is translated and safe to show."""


def month_end(first: dt.date) -> dt.date:
    return _add_months(first, 1) - dt.timedelta(days=1)


def _month(year: int, month: int) -> dt.date:
    try:
        return dt.date(year, month, 1)
    except ValueError as exc:
        raise PeriodError(gettext("There is no such month.")) from exc


def _bound(text: str, *, end: bool) -> dt.date:
    """One side of a range: a month (its first or last day) or a day."""
    text = text.strip()
    if match := _DAY.match(text):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise PeriodError(gettext("There is no such day.")) from exc
    if match := _MONTH.match(text):
        first = _month(int(match[1]), int(match[2]))
        return month_end(first) if end else first
    if match := _YEAR.match(text):
        year = int(match[1])
        return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
    raise PeriodError(gettext("Write a period as 2024, 2024-Q2, 2024-03 or 2023-07:2024-06."))


def parse_period(text: str | None, *, today: dt.date | None = None) -> Period:
    """The period named by ``text``; an empty text means the last twelve months (this month included)."""
    text = (text or "").strip()
    if not text:
        return default_period(today)
    try:
        if match := _YEAR.match(text):
            year = int(match[1])
            period = Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
        elif match := _QUARTER.match(text):
            first = dt.date(int(match[1]), 3 * int(match[2]) - 2, 1)
            period = Period(first, month_end(_add_months(first, 2)))
        elif match := _MONTH.match(text):
            first = _month(int(match[1]), int(match[2]))
            period = Period(first, month_end(first))
        elif ":" in text:
            start_text, end_text = text.split(":", 1)
            period = Period(_bound(start_text, end=False), _bound(end_text, end=True))
        else:
            period = Period(_bound(text, end=False), _bound(text, end=True))
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(gettext("A period ends on or after its start.")) from exc
    if period.days > MAX_DAYS:
        raise PeriodError(gettext("A period is at most ten years long."))
    if period.start.year < 1990:
        raise PeriodError(gettext("A period starts in 1990 or later."))
    return period


def default_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    return Period(_add_months(first, -11), month_end(first))


def period_param(period: Period) -> str:
    """The shortest text that ``parse_period`` reads back as ``period``."""
    start, end = period.start, period.end
    months = period.whole_months
    if months == 12 and start.month == 1:
        return f"{start.year:04d}"
    if months == 3 and start.month % 3 == 1:
        return f"{start.year:04d}-Q{(start.month + 2) // 3}"
    if months == 1:
        return f"{start.year:04d}-{start.month:02d}"
    if months:
        return f"{start.year:04d}-{start.month:02d}:{end.year:04d}-{end.month:02d}"
    return f"{start.isoformat()}:{end.isoformat()}"


def period_label(period: Period) -> str:
    """A short human label: "2024", "2024 Q2", "2024-03", "2023-07 – 2024-06" (same in both languages)."""
    text = period_param(period)
    return text.replace("-Q", " Q").replace(":", " – ")


def period_choices(today: dt.date | None = None) -> list[tuple[str, str]]:
    """Preset periods offered by the period picker (the picker also takes any text)."""
    today = today or timezone.localdate()
    quarter_first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_quarter = Period(_add_months(quarter_first, -3), quarter_first - dt.timedelta(days=1))
    choices = [
        ("", str(_("Last 12 months"))),
        (f"{today.year}", str(_("This year (%(year)s)") % {"year": today.year})),
        (f"{today.year - 1}", str(_("Last year (%(year)s)") % {"year": today.year - 1})),
        (period_param(last_quarter), str(_("Last quarter (%(label)s)") % {"label": period_label(last_quarter)})),
    ]
    return choices
