"""The one indicator layer: discovers every app's ``indicators.py`` and computes its numbers for a
scope and a period.  Dashboards, the API, PDF and Excel reports all call these functions, so a number
is defined once and is the same on every surface.

Sources are discovered like the demo modules (``scorehub.core.demodata``): every SCORE Hub app in
``INSTALLED_APPS`` order that has an ``indicators`` module with ``compute``.

A scope may narrow the indicators shown in it (``AnalysisScope.indicator_codes``: a buyer's scope keeps
the buyer summary's codes).  Every function here that takes a scope honours it, so no surface can show
an indicator the scope leaves out, in a total, a child region, an enterprise row or a month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import import_module
from types import ModuleType
from typing import Any

from django.apps import apps
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import CURRENT, PREVIOUS, Funnel, Grouping, IndicatorSpec, Number, Period, Rows, Sentence, Unit, month_key
from .formatting import change_display, display, trend_direction
from .scopes import AnalysisScope

Values = dict[str, Number | None]


@dataclass(frozen=True)
class Source:
    """One app's contribution to the indicator layer."""

    name: str  # the app label
    title: Any  # the app's verbose name
    module: ModuleType

    def specs(self) -> list[IndicatorSpec]:
        def load() -> list[IndicatorSpec]:
            dynamic = getattr(self.module, "specs", None)
            specs = list(dynamic() if callable(dynamic) else getattr(self.module, "INDICATORS", []))
            return sorted(specs, key=lambda s: s.order)

        return memo(("specs", self.name), load)

    def headline_specs(self, specs: list[IndicatorSpec] | None = None) -> list[IndicatorSpec]:
        specs = self.specs() if specs is None else specs
        marked = [s for s in specs if s.headline]
        return marked or specs[:1]

    def compute(self, enterprises: QuerySet[Any], period: Period) -> Values:
        return dict(self.module.compute(enterprises=enterprises, period=period))

    def compute_groups(
        self, enterprises: QuerySet[Any], period: Period, grouping: Grouping
    ) -> dict[str, Values] | None:
        grouped = getattr(self.module, "compute_groups", None)
        result = None if grouped is None else grouped(enterprises=enterprises, period=period, grouping=grouping)
        if result is None:  # the source does not split this kind of grouping
            return None
        return {str(k): dict(v) for k, v in result.items()}

    def sentences(self) -> list[Sentence]:
        dynamic = getattr(self.module, "sentences", None)
        return list(dynamic() if callable(dynamic) else getattr(self.module, "SENTENCES", []))

    def funnels(self) -> list[Funnel]:
        return list(getattr(self.module, "FUNNELS", []))

    def rows(self, enterprises: QuerySet[Any], period: Period) -> list[Rows]:
        func = getattr(self.module, "rows", None)
        return list(func(enterprises=enterprises, period=period)) if callable(func) else []


_computation: ContextVar[dict[Any, Any] | None] = ContextVar("indicator_computation", default=None)


@contextmanager
def computation() -> Iterator[None]:
    """One page, API answer or report: catalogue reads (the KPIs, the practices, the indicator list)
    are made once inside it instead of once per use.  Outside it every read goes to the database."""
    token = _computation.set({})
    try:
        yield
    finally:
        _computation.reset(token)


def memo(key: Any, load: Callable[[], Any]) -> Any:
    """``load()``, remembered for the current :func:`computation` (not across them)."""
    cached = _computation.get()
    if cached is None:
        return load()
    if key not in cached:
        cached[key] = load()
    return cached[key]


@cache
def discover() -> tuple[Source, ...]:
    """Every installed app's indicator source, in ``INSTALLED_APPS`` order."""
    found = []
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith("scorehub."):
            continue
        name = f"{app_config.name}.indicators"
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        if callable(getattr(module, "compute", None)):
            found.append(Source(app_config.label, app_config.verbose_name, module))
    return tuple(found)


#: The number of enterprises of a scope: meaningless in a table of single enterprises.
ENTERPRISE_COUNT = "enterprises.count"


def specs_for(source: Source, scope: AnalysisScope | None) -> list[IndicatorSpec]:
    """The source's indicators that the user may see in ``scope`` (all of them without a scope): a buyer's
    scope keeps the buyer summary's codes only (``AnalysisScope.indicator_codes``)."""
    specs = source.specs()
    if scope is None or scope.indicator_codes is None:
        return specs
    return [spec for spec in specs if scope.shows(spec.code)]


def _sources_for(
    scope: AnalysisScope | None, sources: Sequence[Source] | None
) -> list[tuple[Source, list[IndicatorSpec]]]:
    """The sources with the indicators each shows in ``scope``; a source with none there is left out."""
    pairs = [(source, specs_for(source, scope)) for source in (discover() if sources is None else sources)]
    if scope is None or scope.indicator_codes is None:
        return pairs
    return [(source, specs) for source, specs in pairs if specs]


def headline_specs(scope: AnalysisScope | None = None) -> list[IndicatorSpec]:
    return [spec for source, specs in _sources_for(scope, None) for spec in source.headline_specs(specs)]


def enterprise_table_specs(scope: AnalysisScope | None = None) -> list[IndicatorSpec]:
    """The headline indicators as columns of a table of enterprises (each row is one enterprise)."""
    return [spec for spec in headline_specs(scope) if spec.code != ENTERPRISE_COUNT]


def all_specs(scope: AnalysisScope | None = None) -> list[IndicatorSpec]:
    return [spec for _source, specs in _sources_for(scope, None) for spec in specs]


# ---------------------------------------------------------------------------------------------------
# Values with their previous-period comparison


@dataclass
class Figure:
    spec: IndicatorSpec
    value: Number | None
    previous: Number | None = None

    @property
    def display(self) -> str:
        return display(self.spec.unit, self.value)

    @property
    def previous_display(self) -> str:
        return display(self.spec.unit, self.previous)

    @property
    def change_display(self) -> str:
        return change_display(self.spec.unit, self.value, self.previous)

    @property
    def direction(self) -> str:
        """ "up", "down" or "flat" (or "" when there is nothing to compare)."""
        return trend_direction(self.value, self.previous)

    @property
    def tone(self) -> str:
        """ "good", "bad" or "neutral": whether the movement is in the indicator's better direction."""
        direction = self.direction
        if direction in ("", "flat") or self.spec.better == "neutral":
            return "neutral"
        good = (direction == "up") == (self.spec.better == "higher")
        return "good" if good else "bad"

    def as_row(self) -> dict[str, str]:
        """The figure as a page shows it, every text worked out once (templates read dicts fastest)."""
        return {
            "code": self.spec.code,
            "label": str(self.spec.label),
            "display": self.display,
            "previous_display": self.previous_display,
            "change_display": self.change_display,
            "direction": self.direction,
            "tone": self.tone,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.spec.code,
            "label": str(self.spec.label),
            "unit": str(self.spec.unit),
            "better": self.spec.better,
            "value": json_number(self.value),
            "display": self.display,
            "previous": json_number(self.previous),
            "previous_display": self.previous_display,
            "change_display": self.change_display,
        }


@dataclass
class Section:
    source: Source
    figures: list[Figure]

    @property
    def title(self) -> Any:
        return getattr(self.source.module, "TITLE", self.source.title)

    @property
    def headline(self) -> list[Figure]:
        codes = {s.code for s in self.source.headline_specs([f.spec for f in self.figures])}
        return [f for f in self.figures if f.spec.code in codes]


@dataclass
class Numbers:
    """Every indicator of every source for one scope and period, with the previous period's values."""

    scope: AnalysisScope
    period: Period
    previous_period: Period
    sections: list[Section]
    _index: dict[str, Figure] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {f.spec.code: f for s in self.sections for f in s.figures}

    @property
    def figures(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    def get(self, code: str) -> Figure | None:
        return self._index.get(code)

    def values(self) -> Values:
        return {code: f.value for code, f in self._index.items()}

    @property
    def headline(self) -> list[Figure]:
        return [f for s in self.sections for f in s.headline]

    def sentences(self) -> list[str]:
        return headline_sentences(self)


def json_number(value: Number | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and abs(value) < 10**15:
        return int(value)
    return float(value)


def _complete(specs: list[IndicatorSpec], values: Values) -> Values:
    return {spec.code: values.get(spec.code) for spec in specs}


def compute_numbers(
    scope: AnalysisScope, period: Period, *, with_previous: bool = True, sources: Sequence[Source] | None = None
) -> Numbers:
    """Every indicator of the scope for ``period``, with the previous period's values to compare.

    A source that splits a :meth:`Grouping.pair` answers both periods with one query per table; the
    others are computed once per period."""
    previous = period.previous()
    span, pair = Grouping.pair(period)
    sections = []
    for source, specs in _sources_for(scope, sources):
        halves = source.compute_groups(scope.enterprises, span, pair) if with_previous else None
        if halves is not None:
            current, before = _complete(specs, halves[CURRENT]), _complete(specs, halves[PREVIOUS])
        else:
            current = _complete(specs, source.compute(scope.enterprises, period))
            before = _complete(specs, source.compute(scope.enterprises, previous)) if with_previous else {}
        figures = [Figure(spec, current[spec.code], before.get(spec.code)) for spec in specs]
        sections.append(Section(source, figures))
    return Numbers(scope=scope, period=period, previous_period=previous, sections=sections)


# ---------------------------------------------------------------------------------------------------
# Grouped numbers: child regions, enterprises, months


def _fallback_groups(
    source: Source, groups: dict[str, tuple[QuerySet[Any], Period]], specs: list[IndicatorSpec]
) -> dict[str, Values]:
    return {key: _complete(specs, source.compute(qs, p)) for key, (qs, p) in groups.items()}


def compute_children(
    scope: AnalysisScope, period: Period, *, sources: Sequence[Source] | None = None
) -> dict[str, Values]:
    """Headline numbers of each child scope, keyed by the child's ``key``."""
    result: dict[str, Values] = {child.key: {} for child in scope.children}
    if not scope.children:
        return result
    for source, shown in _sources_for(scope, sources):
        specs = source.headline_specs(shown)
        grouping = scope.child_grouping
        if grouping is not None:
            grouping = Grouping(grouping.kind, grouping.length, frozenset(s.code for s in specs))
        grouped = source.compute_groups(scope.enterprises, period, grouping) if grouping else None
        if grouped is None:
            groups = {
                child.key: (
                    scope.enterprises.filter(pk__in=child.enterprises.values("pk"))
                    if child.enterprises is not None
                    else scope.enterprises.filter(region__code__startswith=child.group_key),
                    period,
                )
                for child in scope.children
            }
            by_child = _fallback_groups(source, groups, specs)
        else:
            by_child = {child.key: _zero_empty(specs, grouped.get(child.group_key, {})) for child in scope.children}
        for key, values in by_child.items():
            result[key].update(values)
    return result


def compute_enterprises(
    scope: AnalysisScope, period: Period, enterprise_ids: list[int] | None, *, sources: Sequence[Source] | None = None
) -> dict[int, Values]:
    """Headline numbers per enterprise of the scope: the given ones (a page of the enterprise table),
    or all of them (``None``, for the Excel report)."""
    if enterprise_ids is None:
        subset = scope.enterprises
        enterprise_ids = list(subset.values_list("pk", flat=True))
    else:
        subset = scope.enterprises.filter(pk__in=enterprise_ids)
    result: dict[int, Values] = {pk: {} for pk in enterprise_ids}
    if not enterprise_ids:
        return result
    for source, shown in _sources_for(scope, sources):
        specs = source.headline_specs(shown)
        grouped = source.compute_groups(subset, period, Grouping("enterprise", codes=frozenset(s.code for s in specs)))
        if grouped is None:
            by_pk = _fallback_groups(source, {str(pk): (subset.filter(pk=pk), period) for pk in enterprise_ids}, specs)
        else:
            by_pk = {str(pk): _zero_empty(specs, grouped.get(str(pk), {})) for pk in enterprise_ids}
        for key, values in by_pk.items():
            result[int(key)].update(values)
    return result


def trend_specs(scope: AnalysisScope | None = None) -> list[IndicatorSpec]:
    return [spec for spec in all_specs(scope) if spec.trend and spec.unit in (Unit.COUNT, Unit.CNY)]


def compute_months(
    scope: AnalysisScope, period: Period, *, sources: Sequence[Source] | None = None
) -> dict[str, Values]:
    """The trend indicators month by month: ``{"2024-03": {code: value}}`` for every month of the period."""
    months = period.months()
    keys = [month_key(m) for m in months]
    result: dict[str, Values] = {key: {} for key in keys}
    for source, shown in _sources_for(scope, sources):
        specs = [s for s in shown if s.trend and s.unit in (Unit.COUNT, Unit.CNY)]
        if not specs:
            continue
        grouped = source.compute_groups(
            scope.enterprises, period, Grouping("month", codes=frozenset(s.code for s in specs))
        )
        if grouped is None:
            groups = {
                key: (scope.enterprises, _month_within(month, period)) for key, month in zip(keys, months, strict=True)
            }
            by_month = _fallback_groups(source, groups, specs)
        else:
            by_month = {key: {s.code: grouped.get(key, {}).get(s.code) or 0 for s in specs} for key in keys}
        for key, values in by_month.items():
            result[key].update(values)
    return result


def _month_within(first: dt.date, period: Period) -> Period:
    from .periods import month_end

    return Period(max(first, period.start), min(month_end(first), period.end))


def _zero_empty(specs: list[IndicatorSpec], values: Values) -> Values:
    """A group missing from a grouped result had no records: its counts are 0, its rates None
    (``IndicatorSpec.zero_when_empty``)."""
    return {s.code: (0 if values.get(s.code) is None and s.is_zero_when_empty else values.get(s.code)) for s in specs}


# ---------------------------------------------------------------------------------------------------
# Sentences and funnels


#: Sentences for the programme's best-known figures, used for a source that brings none of its own
#: (each still appears only when its figures exist, i.e. when the app that computes them is installed).
KNOWN_SENTENCES: dict[str, list[Sentence]] = {
    "suggestions": [
        Sentence(
            gettext_lazy(
                "%(suggestions.submitted)s improvement suggestions were gathered, %(suggestions.adopted)s adopted "
                "and %(suggestions.implemented)s implemented, a completion rate of %(suggestions.completion_rate)s."
            ),
            needs=(
                "suggestions.submitted",
                "suggestions.adopted",
                "suggestions.implemented",
                "suggestions.completion_rate",
            ),
        )
    ],
    "safety": [
        Sentence(
            gettext_lazy(
                "%(safety.hazards_found)s hidden hazards were found and %(safety.hazards_rectified)s rectified, "
                "a rectification rate of %(safety.rectification_rate)s."
            ),
            needs=("safety.hazards_found", "safety.hazards_rectified", "safety.rectification_rate"),
        )
    ],
}


def _write(sentence: Sentence, numbers: Numbers) -> str | None:
    figures = [numbers.get(code) for code in sentence.needs]
    if any(f is None or f.value is None for f in figures):
        return None
    return str(sentence.text) % {f.spec.code: f.display for f in figures if f is not None}


def headline_sentences(numbers: Numbers) -> list[str]:
    """The report's headline figures as sentences, from the sources that are installed.

    A source's own ``SENTENCES`` are used, else the known sentences of its app; each is written only
    when every figure it names has a value.  A source with neither gets one plain sentence listing
    its headline figures, so that every installed source speaks in the report.
    """
    written = []
    for section in numbers.sections:
        sentences = section.source.sentences() or KNOWN_SENTENCES.get(section.source.name, [])
        texts = [text for text in (_write(s, numbers) for s in sentences) if text]
        if not sentences:
            figures = [f for f in section.headline if f.value is not None]
            if figures:
                parts = [_("%(label)s: %(value)s") % {"label": f.spec.label, "value": f.display} for f in figures]
                texts = [_("%(section)s — %(figures)s.") % {"section": section.title, "figures": _("; ").join(parts)}]
        written.extend(texts)
    return written


@dataclass
class FunnelData:
    label: str
    stages: list[tuple[str, Number | None, str]]  # (label, value, display)


def funnels(numbers: Numbers) -> list[FunnelData]:
    result = []
    for section in numbers.sections:
        for funnel in section.source.funnels():
            figures = [numbers.get(code) for code in funnel.codes]
            if any(f is None for f in figures):
                continue
            stages = [(str(f.spec.label), f.value, f.display) for f in figures if f is not None]
            result.append(FunnelData(str(funnel.label), stages))
    return result
