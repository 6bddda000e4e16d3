"""The work-safety numbers for the indicator layer (contract: ``scorehub.indicators.base``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from scorehub.indicators.base import Grouping, IndicatorSpec, Number, Period, Sentence, Unit

from .selectors import grouped_safety_numbers, safety_numbers

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from scorehub.enterprises.models import Enterprise

INDICATORS = [
    IndicatorSpec("safety.checks", _("Safety checks"), order=300),
    IndicatorSpec("safety.checks_self_check", _("Enterprise self-checks"), order=301),
    IndicatorSpec("safety.checks_government", _("Government inspections"), order=302),
    IndicatorSpec("safety.checks_joint_visit", _("Joint consultant and inspector visits"), order=303),
    IndicatorSpec("safety.checks_walkthrough", _("SCORE walk-throughs"), order=304),
    IndicatorSpec("safety.items_failed", _("Checklist items failed"), better="lower", order=305),
    IndicatorSpec("safety.hazards_found", _("Hazards found"), better="neutral", order=310),
    IndicatorSpec("safety.hazards_found_general", _("General hazards found"), better="neutral", order=311),
    IndicatorSpec("safety.hazards_found_major", _("Major hazards found"), better="lower", order=312),
    IndicatorSpec("safety.hazards_rectified", _("Hazards rectified"), order=313),
    IndicatorSpec("safety.hazards_rectified_general", _("General hazards rectified"), order=314),
    IndicatorSpec("safety.hazards_rectified_major", _("Major hazards rectified"), order=315),
    IndicatorSpec("safety.hazards_verified", _("Hazards verified"), order=316),
    IndicatorSpec("safety.hazards_verified_general", _("General hazards verified"), order=317),
    IndicatorSpec("safety.hazards_verified_major", _("Major hazards verified"), order=318),
    IndicatorSpec("safety.hazards_overdue", _("Hazards overdue"), better="lower", order=319),
    IndicatorSpec("safety.hazards_overdue_general", _("General hazards overdue"), better="lower", order=320),
    IndicatorSpec("safety.hazards_overdue_major", _("Major hazards overdue"), better="lower", order=321),
    IndicatorSpec(
        "safety.hazards_found_rectified",
        _("Hazards found and rectified"),
        order=322,
        description=_("Hazards found in the period that were rectified by its end."),
    ),
    IndicatorSpec(
        "safety.rectification_rate",
        _("Rectification rate"),
        unit=Unit.RATE,
        order=323,
        description=_("Hazards found in the period that were rectified by its end, of all hazards found."),
    ),
    IndicatorSpec(
        "safety.median_days_to_rectify", _("Median days to rectify"), unit=Unit.DAYS, better="lower", order=324
    ),
    IndicatorSpec(
        "safety.inspections",
        _("Inspections"),
        order=330,
        description=_("Government inspections and joint visits."),
    ),
    IndicatorSpec("safety.inspections_baseline", _("Inspections in the baseline period"), order=331),
    IndicatorSpec("safety.inspections_change", _("Change in inspections"), unit=Unit.PERCENT_CHANGE, order=332),
    IndicatorSpec("safety.accidents", _("Accidents"), better="lower", order=340, description=_("Near misses apart.")),
    IndicatorSpec("safety.accidents_baseline", _("Accidents in the baseline period"), better="lower", order=341),
    IndicatorSpec(
        "safety.accidents_change", _("Change in accidents"), unit=Unit.PERCENT_CHANGE, better="lower", order=342
    ),
    IndicatorSpec("safety.near_misses", _("Near misses reported"), better="neutral", order=343),
    # Days lost are a sum: 0 for a group without accidents, like a count.
    IndicatorSpec("safety.days_lost", _("Days lost"), unit=Unit.DAYS, better="lower", order=344, zero_when_empty=True),
    IndicatorSpec(
        "safety.days_lost_baseline",
        _("Days lost in the baseline period"),
        unit=Unit.DAYS,
        better="lower",
        order=345,
        zero_when_empty=True,
    ),
    IndicatorSpec(
        "safety.days_lost_change", _("Change in days lost"), unit=Unit.PERCENT_CHANGE, better="lower", order=346
    ),
]


#: The report's headline figures in words (each written only when every figure it names has a value).
SENTENCES = [
    Sentence(
        _(
            "%(safety.checks)s work-safety checks were made; %(safety.hazards_found)s hidden hazards were found "
            "and %(safety.hazards_found_rectified)s of them rectified, a rectification rate of "
            "%(safety.rectification_rate)s."
        ),
        needs=(
            "safety.checks",
            "safety.hazards_found",
            "safety.hazards_found_rectified",
            "safety.rectification_rate",
        ),
    ),
    Sentence(
        _(
            "%(safety.hazards_found_major)s of the hazards were major; at the end of the period "
            "%(safety.hazards_overdue)s hazards were past their rectification deadline."
        ),
        needs=("safety.hazards_found_major", "safety.hazards_overdue"),
    ),
    Sentence(
        _(
            "Bureaus made %(safety.inspections)s inspections (%(safety.inspections_baseline)s in the period "
            "before); %(safety.accidents)s accidents were recorded against %(safety.accidents_baseline)s, and "
            "%(safety.near_misses)s near misses were reported."
        ),
        needs=(
            "safety.inspections",
            "safety.inspections_baseline",
            "safety.accidents",
            "safety.accidents_baseline",
            "safety.near_misses",
        ),
    ),
]


def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
    """One value per indicator code; the baseline is the period of the same length just before."""
    return _coded(safety_numbers(enterprises, period))


def compute_groups(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping
) -> dict[str, dict[str, Number | None]] | None:
    """The same numbers per child region, enterprise or half of a period pair, one query per table
    however many groups.  Nothing of safety is drawn month by month (no indicator is a trend), so
    months have no groups."""
    if grouping.kind == "month":
        return {}
    return {key: _coded(numbers) for key, numbers in grouped_safety_numbers(enterprises, period, grouping).items()}


def _coded(numbers: dict[str, Any]) -> dict[str, Number | None]:
    return {spec.code: numbers[spec.code.removeprefix("safety.")] for spec in INDICATORS}
