"""The suggestion scheme's numbers for the indicator layer (contract: ``scorehub.indicators.base``).

Besides the indicators: the headline sentence of the reports ("1,258 improvement suggestions were gathered,
944 adopted and 917 implemented, a completion rate of 97%") and the submitted → adopted → implemented
funnel of the dashboard.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Funnel, Grouping, IndicatorSpec, Number, Period, Sentence, Unit

from .selectors import grouped_numbers, suggestion_numbers

INDICATORS = [
    IndicatorSpec("suggestions.submitted", _("Suggestions submitted"), unit=Unit.COUNT, order=10, headline=True),
    IndicatorSpec("suggestions.adopted", _("Suggestions adopted"), unit=Unit.COUNT, order=11),
    IndicatorSpec("suggestions.rejected", _("Suggestions rejected"), unit=Unit.COUNT, better="neutral", order=12),
    IndicatorSpec("suggestions.implemented", _("Suggestions implemented"), unit=Unit.COUNT, order=13),
    IndicatorSpec(
        "suggestions.adoption_rate",
        _("Adoption rate"),
        unit=Unit.RATE,
        order=14,
        description=_("Adopted ÷ submitted, of the suggestions submitted in the period."),
    ),
    IndicatorSpec(
        "suggestions.completion_rate",
        _("Completion rate"),
        unit=Unit.RATE,
        order=15,
        description=_("Implemented ÷ adopted, of the suggestions submitted in the period."),
    ),
    IndicatorSpec(
        "suggestions.median_days_to_decision",
        _("Median days to decision"),
        unit=Unit.DAYS,
        better="lower",
        order=16,
    ),
    IndicatorSpec(
        "suggestions.median_days_to_implementation",
        _("Median days to implementation"),
        unit=Unit.DAYS,
        better="lower",
        order=17,
    ),
    IndicatorSpec("suggestions.projects", _("Improvement projects"), unit=Unit.COUNT, order=20),
    IndicatorSpec(
        "suggestions.project_cost", _("Cost of improvement projects"), unit=Unit.CNY, better="neutral", order=21
    ),
    IndicatorSpec("suggestions.expected_savings", _("Expected annual savings"), unit=Unit.CNY, order=22),
    IndicatorSpec(
        "suggestions.verified_savings",
        _("Verified annual savings"),
        unit=Unit.CNY,
        order=23,
        description=_("Savings confirmed by a SCORE trainer."),
    ),
    IndicatorSpec("suggestions.per_100_workers", _("Suggestions per 100 workers"), unit=Unit.SCORE, order=30),
    IndicatorSpec(
        "suggestions.women_share",
        _("Share of suggestions from women"),
        unit=Unit.RATE,
        better="neutral",
        order=31,
        description=_("Among the suggestions whose submitter gave a gender."),
    ),
]

FUNNEL_CODES = ("suggestions.submitted", "suggestions.adopted", "suggestions.implemented")

#: The programme's best-known figure, as the reports write it (written only when every figure has a value:
#: no suggestions, no completion rate, no sentence).
SENTENCES = [
    Sentence(
        _(
            "%(suggestions.submitted)s improvement suggestions were gathered, %(suggestions.adopted)s adopted "
            "and %(suggestions.implemented)s implemented, a completion rate of %(suggestions.completion_rate)s."
        ),
        needs=(*FUNNEL_CODES, "suggestions.completion_rate"),
    )
]

FUNNELS = [Funnel(_("Improvement suggestions"), FUNNEL_CODES)]


def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
    numbers = suggestion_numbers(enterprises=enterprises, period=period).as_dict()
    return {spec.code: numbers[spec.code.split(".", 1)[1]] for spec in INDICATORS}


def compute_groups(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping
) -> dict[str, dict[str, Number | None]]:
    """The same numbers per child region, enterprise, month or half of a period pair: one grouped query
    per table asked for."""
    wanted = frozenset(spec.code.split(".", 1)[1] for spec in INDICATORS if grouping.wants(spec.code))
    if not wanted:
        return {}
    grouped = grouped_numbers(enterprises=enterprises, period=period, grouping=grouping, wanted=wanted)
    if grouping.kind == "period":  # both halves, every number: a half without records has counts of 0
        return {key: _coded(grouped.get(key, {})) for key in grouping.halves(period)}
    return {key: {f"suggestions.{field}": value for field, value in values.items()} for key, values in grouped.items()}


def _coded(values: dict[str, Number | None]) -> dict[str, Number | None]:
    return {
        spec.code: values.get(spec.code.split(".", 1)[1], 0 if spec.is_zero_when_empty else None) for spec in INDICATORS
    }
