"""Training indicators for dashboards and reports (contract: ``scorehub.indicators.base``).

The queries live in :func:`scorehub.training.selectors.grouped_indicator_values`: the same code answers a
whole scope and its child regions, enterprises or months.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Min
from django.utils.translation import gettext_lazy as _

from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Grouping, IndicatorSpec, Number, Period, ScopeDefinition, ScopeKind, Unit

from .models import Cohort, CohortEnterprise, Enrolment, Programme
from .selectors import WHOLE, grouped_indicator_values

if TYPE_CHECKING:
    from django.db.models import QuerySet

INDICATORS = [
    IndicatorSpec(
        "training.enrolled",
        _("Enterprises enrolled"),
        unit=Unit.COUNT,
        order=10,
        description=_("Enterprises enrolled in a programme during the period (drop-outs not counted)."),
    ),
    IndicatorSpec(
        "training.enrolment_target",
        _("Enrolment target"),
        unit=Unit.COUNT,
        better="neutral",
        order=11,
        description=_("The enrolment targets of the programmes these enterprises are enrolled in."),
        zero_when_empty=False,
    ),
    IndicatorSpec(
        "training.enrolment_vs_target",
        _("Enrolment against target"),
        unit=Unit.RATE,
        order=12,
        description=_("Enterprises enrolled by the end of the period in those programmes, divided by the target."),
    ),
    IndicatorSpec("training.module_completions", _("Module completions"), unit=Unit.COUNT, order=20),
    IndicatorSpec("training.certificates", _("Certificates issued"), unit=Unit.COUNT, order=21),
    IndicatorSpec("training.sessions", _("Classroom sessions"), unit=Unit.COUNT, order=30),
    IndicatorSpec("training.participants", _("Classroom participants"), unit=Unit.COUNT, order=31),
    IndicatorSpec(
        "training.participants_worker_share",
        _("Share of workers among participants"),
        unit=Unit.RATE,
        order=32,
    ),
    IndicatorSpec(
        "training.participants_women_share",
        _("Share of women among participants"),
        unit=Unit.RATE,
        order=33,
    ),
    IndicatorSpec(
        "training.satisfaction_rate",
        _("Participant satisfaction"),
        unit=Unit.RATE,
        order=34,
        description=_(
            "Share of survey answers rating the training 4 or 5 of 5, for the sessions these enterprises attended."
        ),
    ),
    IndicatorSpec(
        "training.visits_planned", _("In-factory visits planned"), unit=Unit.COUNT, better="neutral", order=40
    ),
    IndicatorSpec("training.visits_done", _("In-factory visits done"), unit=Unit.COUNT, order=41),
    IndicatorSpec(
        "training.visits_done_rate",
        _("Visits done as planned"),
        unit=Unit.RATE,
        order=42,
        description=_("Of the visits planned in the period, the share that took place."),
    ),
]


def compute(*, enterprises: QuerySet[Enterprise], period: Period) -> dict[str, Number | None]:
    everything = frozenset(spec.code.split(".", 1)[1] for spec in INDICATORS)
    values = grouped_indicator_values(
        enterprises=enterprises, start=period.start, end=period.end, grouping=None, wanted=everything
    ).get(WHOLE, {})
    return _coded(values)


def _coded(values: dict[str, Number | None]) -> dict[str, Number | None]:
    """Every indicator by its code; without records counts are 0, rates and the target have no value."""
    return {
        spec.code: values.get(spec.code.split(".", 1)[1], 0 if spec.is_zero_when_empty else None) for spec in INDICATORS
    }


def compute_groups(
    *, enterprises: QuerySet[Enterprise], period: Period, grouping: Grouping
) -> dict[str, dict[str, Number | None]] | None:
    """The same numbers per child region, enterprise, month (targets are not split by month) or half of
    a period pair: one grouped query per table asked for, instead of :func:`compute` once per group."""
    wanted = frozenset(spec.code.split(".", 1)[1] for spec in INDICATORS if grouping.wants(spec.code))
    if not wanted:
        return {}
    grouped = grouped_indicator_values(
        enterprises=enterprises, start=period.start, end=period.end, grouping=grouping, wanted=wanted
    )
    if grouping.kind == "period":  # both halves, every number, as ``compute`` gives them
        return {key: _coded(grouped.get(key, {})) for key in grouping.halves(period)}
    return {key: {f"training.{name}": value for name, value in values.items()} for key, values in grouped.items()}


# ---------------------------------------------------------------------------------------------------------
# Scopes: a programme and a cohort as dashboards (``?scope=programme:12``, ``?scope=cohort:34``)


def _pk(ident: str) -> int:
    if not ident.isdigit():
        raise OutOfScope
    return int(ident)


def programme_key(programme: Programme | int) -> str:
    return f"programme:{programme if isinstance(programme, int) else programme.pk}"


def cohort_key(cohort: Cohort | int) -> str:
    return f"cohort:{cohort if isinstance(cohort, int) else cohort.pk}"


#: The cohorts a programme's dashboard lists, the latest first.  Each is computed on its own (cohorts
#: share enterprises, so no single grouped query can split the numbers), and a programme at scale has
#: hundreds: the whole list is on the programme page, each cohort has its own dashboard.
PROGRAMME_DASHBOARD_COHORTS = 12


def resolve_programme(user: Any, ident: str) -> ScopeDefinition:
    """Every enterprise ever enrolled in the programme, drop-outs included: what they did before leaving
    is the programme's history (``training.enrolled`` still leaves them out)."""
    programme = get_visible_or_404(Programme, user, Action.VIEW, pk=_pk(ident))
    enrolled = Enrolment.objects.filter(programme=programme).values("enterprise_id")
    cohorts = (
        Cohort.objects.visible_to(user, Action.VIEW)
        .filter(programme=programme)
        .annotate(first_day=Min("sessions__starts_on"))
        .order_by(F("first_day").desc(nulls_first=True), "-pk")[:PROGRAMME_DASHBOARD_COHORTS]
    )
    return ScopeDefinition(
        label=programme.name,
        enterprises=Enterprise.objects.filter(pk__in=enrolled),
        level_label=_("programme"),
        children=[(cohort_key(cohort), cohort.name) for cohort in cohorts],
        parent=f"region:{programme.region_id}",
        children_title=_("Latest cohorts"),
        child_column=_("Cohort"),
    )


def resolve_cohort(user: Any, ident: str) -> ScopeDefinition:
    cohort = get_visible_or_404(Cohort, user, Action.VIEW, pk=_pk(ident))
    members = CohortEnterprise.objects.filter(cohort=cohort).values("enterprise_id")
    return ScopeDefinition(
        label=cohort.name,
        enterprises=Enterprise.objects.filter(pk__in=members),
        level_label=_("cohort"),
        parent=programme_key(cohort.programme_id),
    )


SCOPES = [
    ScopeKind("programme", _("programme"), resolve_programme),
    ScopeKind("cohort", _("cohort"), resolve_cohort),
]
