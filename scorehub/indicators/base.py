"""The contract between the indicator layer and the apps that feed it.

Each app that has numbers to report adds ``scorehub/<app>/indicators.py`` with::

    INDICATORS = [IndicatorSpec("suggestions.submitted", _("Suggestions submitted"), unit=Unit.COUNT), ...]

    def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
        ...  # a value for every code in INDICATORS

``enterprises`` is already narrowed to what the user may see *and* to the scope asked for (a region, a
programme's enterprises, one enterprise); ``compute`` counts the app's records of those enterprises
whose date falls in the period.  A rate whose denominator is zero is ``None`` (shown as "—").
The indicator layer (``scorehub.indicators``) discovers these modules, and pages, the API, PDF and
Excel reports all read the same computed values.

Optional parts of a source module (the layer works without them):

* ``def specs() -> list[IndicatorSpec]``: indicators that depend on a catalogue (one per KPI, ...);
  used instead of ``INDICATORS`` when present.
* ``def compute_groups(*, enterprises, period, grouping: Grouping) -> dict[str, dict[str, Number | None]] | None``:
  the same numbers split by child region, enterprise or month in one grouped query each, and a period
  with the one before it (``Grouping.pair``: what every dashboard and API answer compares) in one
  query each.  ``None`` for a kind of grouping the source does not split; without it (or with
  ``None``) the layer calls ``compute`` once per group (correct, only slower).
* ``SENTENCES`` (or ``def sentences()``): headline figures written as sentences for the PDF report.
* ``FUNNELS``: stages drawn as a funnel on the dashboard.
* ``def rows(*, enterprises, period) -> list[Rows]``: the underlying records for the Excel report.
* ``SCOPES``: further kinds of scope (a programme, a cohort) as :class:`ScopeKind`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.utils.functional import Promise

Number = int | float | Decimal


class Unit(StrEnum):
    COUNT = "count"
    RATE = "rate"  # a share between 0 and 1, shown as a percentage
    CNY = "cny"
    DAYS = "days"
    PERCENT_CHANGE = "percent_change"  # (current − baseline) / baseline, shown as ±%
    SCORE = "score"


@dataclass(frozen=True)
class Period:
    """An inclusive range of days."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (for comparisons and baselines).

        A period of whole calendar months is compared with the same number of whole months before it
        (2024 with 2023, 2024-Q1 with 2023-Q4), otherwise with the same number of days.
        """
        months = self.whole_months
        if months:
            start = _add_months(self.start, -months)
            return Period(start, self.start - dt.timedelta(days=1))
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    @property
    def whole_months(self) -> int:
        """How many calendar months the period spans when it starts on a 1st and ends on a month end, else 0."""
        if self.start.day != 1 or (self.end + dt.timedelta(days=1)).day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def months(self) -> list[dt.date]:
        """The first day of every calendar month the period touches, in order."""
        first = self.start.replace(day=1)
        result = []
        while first <= self.end:
            result.append(first)
            first = _add_months(first, 1)
        return result


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after (or before) the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(day: dt.date) -> str:
    """The key of a calendar month in grouped results: ``"2024-03"``."""
    return f"{day.year:04d}-{day.month:02d}"


@dataclass(frozen=True)
class IndicatorSpec:
    code: str  # "<app>.<name>", stable: used in the API, exports and tests
    label: str | Promise
    unit: Unit = Unit.COUNT
    better: str = "higher"  # "higher" | "lower" | "neutral"
    order: int = 100
    description: str | Promise = ""
    #: Shown as a headline figure (cards on the dashboard, columns of the region and enterprise tables).
    #: A source that marks none gets its first indicator (by ``order``) as its headline.
    headline: bool = False
    #: Drawn as a monthly trend.  Only additive values (counts, money) make sense month by month.
    trend: bool = False
    #: What a group without records shows: None (the default) gives counts and money 0 and everything else
    #: no value; True gives 0 whatever the unit (a sum of days lost); False no value (a target).
    zero_when_empty: bool | None = None

    @property
    def is_zero_when_empty(self) -> bool:
        if self.zero_when_empty is None:
            return self.unit in (Unit.COUNT, Unit.CNY)
        return self.zero_when_empty


@dataclass(frozen=True)
class Sentence:
    """A headline figure written as a sentence for the report (optional ``SENTENCES`` of a source).

    ``text`` uses ``%(code)s`` placeholders for indicator codes, e.g.
    ``_("%(suggestions.submitted)s improvement suggestions were gathered, ...")``.  The sentence is
    written only when every code it names has a value (``None`` leaves it out).
    """

    text: str | Promise
    needs: tuple[str, ...]


@dataclass(frozen=True)
class Funnel:
    """Stages drawn as a funnel on the dashboard (optional ``FUNNELS`` of a source): counts, widest first."""

    label: str | Promise
    codes: tuple[str, ...]


#: The group keys of a ``period`` grouping (``Grouping.pair``).
PREVIOUS = "previous"
CURRENT = "current"


@dataclass(frozen=True)
class Grouping:
    """How ``compute_groups`` splits its numbers (optional, for speed; see ``scorehub.indicators.layer``).

    * ``region``: by the first ``length`` characters of the enterprise's region code (child regions);
    * ``enterprise``: by enterprise id (as a string);
    * ``month``: by calendar month of the record's date (``month_key``: ``"2024-03"``);
    * ``period``: the ``period`` given to ``compute_groups`` is two periods end to end, split on the day
      ``split``: group :data:`PREVIOUS` before it, :data:`CURRENT` from it on (``halves``).  Unlike the
      other kinds, each group's values are *all* that ``compute`` gives for its own half alone, states
      at the half's end and comparisons with the period before the half included, and both groups are
      always present.
    """

    kind: str  # "region" | "enterprise" | "month" | "period"
    length: int = 0
    #: The codes the caller will read (None: all).  A source may skip the queries of the others.
    codes: frozenset[str] | None = None
    #: ``period``: the first day of the later half.
    split: dt.date | None = None

    @classmethod
    def pair(cls, period: Period) -> tuple[Period, Grouping]:
        """``period`` and the one before it (``Period.previous``) as one span and its ``period`` grouping."""
        return Period(period.previous().start, period.end), cls("period", split=period.start)

    def halves(self, span: Period) -> dict[str, Period]:
        """``period``: the two periods ``span`` is made of, by group key."""
        if self.kind != "period" or self.split is None or not span.start < self.split <= span.end:
            raise ValueError("a period grouping splits its span inside it")
        return {PREVIOUS: Period(span.start, self.split - dt.timedelta(days=1)), CURRENT: Period(self.split, span.end)}

    def half_key(self, day: str, *, instant: bool = False) -> Any:
        """``period``: an ORM expression for the half a record falls in by its date field ``day``
        (``instant``: a date-time field, split at local midnight)."""
        from django.db.models import Case, CharField, Value, When
        from django.utils import timezone

        if self.split is None:
            raise ValueError("only a period grouping has halves")
        boundary: Any = self.split
        if instant:
            boundary = timezone.make_aware(dt.datetime.combine(self.split, dt.time.min))
        return Case(
            When(**{f"{day}__gte": boundary}, then=Value(CURRENT)),
            default=Value(PREVIOUS),
            output_field=CharField(),
        )

    def wants(self, *codes: str) -> bool:
        """Whether any of ``codes`` (or of their prefixes: ``"kpis.change."``) is asked for."""
        if self.codes is None:
            return True
        return any(c == w or (c.endswith(".") and w.startswith(c)) for c in codes for w in self.codes)

    def half_aggregates(self, span: Period, aggregates_of: Callable[[Period], dict[str, Any]]) -> dict[str, Any]:
        """``period``: ``aggregates_of(half)`` for both halves in one ``aggregate()`` (conditional
        aggregates), named ``"<key>_<name>"``; :meth:`by_half` splits the answer back."""
        halves = self.halves(span).items()
        return {f"{key}_{name}": agg for key, half in halves for name, agg in aggregates_of(half).items()}

    @staticmethod
    def by_half(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The answer of :meth:`half_aggregates` as ``{PREVIOUS: {name: value}, CURRENT: {...}}``."""
        result: dict[str, dict[str, Any]] = {PREVIOUS: {}, CURRENT: {}}
        for name, value in row.items():
            key, _sep, field = name.partition("_")
            result[key][field] = value
        return result

    def key_sql(
        self, *, region: str = "e.region_id", enterprise: str = "e.id", day: str = ""
    ) -> tuple[str, tuple[Any, ...]]:
        """The SQL twin of :meth:`enterprise_key` and :meth:`half_key` for hand-written queries: the group
        key over the columns ``region`` (an enterprise's region code), ``enterprise`` (its id) or, for
        months and the halves of a period pair, the record's date column ``day``; with its parameters."""
        if self.kind == "period":
            return f"CASE WHEN {day} >= %s THEN '{CURRENT}' ELSE '{PREVIOUS}' END", (self.split,)
        if self.kind == "month":  # "2024-03", as month_key writes it
            from django.db import connection

            if connection.vendor == "postgresql":
                return f"TO_CHAR({day}, 'YYYY-MM')", ()
            return f"STRFTIME('%%Y-%%m', {day})", ()  # %% : the query is formatted with its parameters
        if self.kind == "region":
            return f"SUBSTR({region}, 1, %s)", (self.length,)
        if self.kind == "enterprise":
            return enterprise, ()
        raise ValueError(f"no SQL key for a {self.kind} grouping")

    def enterprise_key(self, enterprise_path: str = "enterprise") -> Any:
        """An ORM expression for the group key of a record reached through ``enterprise_path``."""
        from django.db.models import F
        from django.db.models.functions import Cast, Substr

        prefix = f"{enterprise_path}__" if enterprise_path else ""
        if self.kind == "region":
            return Substr(f"{prefix}region_id", 1, self.length)
        if self.kind == "enterprise":
            return Cast(F(f"{prefix}id" if prefix else "id"), output_field=_char_field())
        raise ValueError("group by month with month_key_expression")


def _char_field() -> Any:
    from django.db.models import CharField

    return CharField()


@dataclass
class ScopeDefinition:
    """What a pluggable scope kind (``SCOPES`` of a source, e.g. a programme or a cohort) resolves to.

    ``enterprises`` is the scope's own set, unrestricted: the indicator layer intersects it with what
    the user may see, so a plug-in never has to (and cannot forget to).  ``children`` are further
    scope keys to drill down to (``("cohort:12", "2019 Nanxun cohort")``); ``parent`` one to go up to.
    """

    label: str
    enterprises: Any  # QuerySet[Enterprise]
    level_label: str | Promise = ""
    children: list[tuple[str, str]] | None = None
    parent: str | None = None
    #: The heading of the dashboard's table of ``children`` and of its first column ("Latest cohorts", "Cohort").
    children_title: str | Promise = ""
    child_column: str | Promise = ""


@dataclass(frozen=True)
class ScopeKind:
    """A pluggable kind of scope: ``SCOPES = [ScopeKind("programme", _("Programme"), resolve_programme)]``.

    ``resolve(user, ident)`` returns a :class:`ScopeDefinition` for the record ``ident`` names, or raises
    ``scorehub.core.scoping.OutOfScope`` when the record does not exist or the user may not see it.
    """

    name: str
    label: str | Promise
    resolve: Callable[[Any, str], ScopeDefinition]


@dataclass
class Rows:
    """A sheet of underlying records for the Excel report: a title, column headers and the rows."""

    title: str | Promise
    headers: Sequence[str | Promise]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)
