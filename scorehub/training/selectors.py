"""Reads: the numbers of SCORE training, shared by the pages, the API and the indicator layer.

Every function takes querysets that the caller has already scoped (``visible_to``); nothing here widens
what a user sees.  Counting is done in the database (aggregates and subqueries), in a constant number of
queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils.translation import gettext as _

from scorehub.core.rawsql import fetch, grouped_rows, subquery

from .models import (
    SATISFIED_FROM,
    Attendance,
    ClassroomSession,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
    Gender,
    Module,
    Participant,
    Programme,
    ProgrammeTarget,
    StaffRole,
    SurveyResponse,
    TargetKind,
    TeamMember,
    TrainerProfile,
    Visit,
    VisitKind,
    VisitStatus,
)


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A share between 0 and 1; ``None`` when there is nothing to divide by."""
    if not denominator:
        return None
    return (numerator or 0) / denominator


def _count_subquery(queryset: QuerySet[Any], group_field: str) -> Coalesce:
    """``COUNT(*)`` of ``queryset`` (already filtered on an ``OuterRef``) as an integer annotation."""
    counted = queryset.order_by().values(group_field).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


# ---------------------------------------------------------------------------------------------------------
# The progress path of one enterprise in one module


def with_progress(queryset: QuerySet[CohortEnterprise]) -> QuerySet[CohortEnterprise]:
    """Annotate each enterprise-in-cohort with what its progress path needs (one query for the list)."""
    baseline_done = Visit.objects.filter(participation=OuterRef("pk"), kind=VisitKind.BASELINE, status=VisitStatus.DONE)
    attended = Attendance.objects.filter(
        participant__enterprise=OuterRef("enterprise"), participant__session__cohort=OuterRef("cohort")
    )
    followups = Visit.objects.filter(participation=OuterRef("pk"), kind=VisitKind.FOLLOW_UP, status=VisitStatus.DONE)
    completed_prerequisite = CohortEnterprise.objects.filter(
        enterprise=OuterRef(OuterRef("enterprise")),
        completed_on__isnull=False,
        cohort__module__code=OuterRef("to_module__code"),
    )
    missing = Module.prerequisites.through.objects.filter(from_module=OuterRef("cohort__module")).filter(
        ~Exists(completed_prerequisite)
    )
    return queryset.select_related(
        "cohort__programme", "cohort__module", "cohort__provider", "enterprise", "enrolment"
    ).annotate(
        baseline_done=Exists(baseline_done),
        classroom_on=Subquery(attended.order_by("day").values("day")[:1]),
        followups_done=_count_subquery(followups, "participation"),
        missing_prerequisites=_count_subquery(missing, "from_module"),
    )


@dataclass
class Step:
    key: str
    label: str
    done: bool
    detail: str = ""
    required: bool = True


@dataclass
class Progress:
    steps: list[Step]
    reasons: list[str] = field(default_factory=list)
    completed: bool = False

    @property
    def ready(self) -> bool:
        """Every required step is done (so the module can be marked complete)."""
        return not self.reasons

    @property
    def current(self) -> str:
        for step in self.steps:
            if step.required and not step.done:
                return step.key
        return "completed"

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s.done)


def progress_of(participation: CohortEnterprise) -> Progress:
    """The path enrolled → baseline → classroom → visits → completed, from a :func:`with_progress` row."""
    programme = participation.cohort.programme
    required_visits = programme.followup_visits
    baseline_done = bool(getattr(participation, "baseline_done", False))
    classroom_on: dt.date | None = getattr(participation, "classroom_on", None)
    followups_done = int(getattr(participation, "followups_done", 0))
    missing_prerequisites = int(getattr(participation, "missing_prerequisites", 0))
    steps = [
        Step("enrolled", _("Enrolled"), True, f"{participation.enrolment.enrolled_on:%Y-%m-%d}"),
        Step(
            "baseline",
            _("Baseline visit done"),
            baseline_done,
            "" if programme.requires_baseline else _("not required"),
            programme.requires_baseline,
        ),
        Step(
            "classroom",
            _("Classroom attended"),
            classroom_on is not None,
            f"{classroom_on:%Y-%m-%d}" if classroom_on else "",
        ),
        Step(
            "visits",
            _("Follow-up visits done"),
            followups_done >= required_visits,
            f"{followups_done} / {required_visits}",
        ),
        Step(
            "completed",
            _("Completed"),
            participation.is_completed,
            f"{participation.completed_on:%Y-%m-%d}" if participation.completed_on else "",
        ),
    ]
    reasons = []
    if programme.requires_baseline and not baseline_done:
        reasons.append(_("No baseline visit has been recorded as done."))
    if classroom_on is None:
        reasons.append(_("Nobody from the enterprise has attended a classroom session of this cohort."))
    if followups_done < required_visits:
        reasons.append(
            _("%(done)s of the %(required)s follow-up visits the programme requires are done.")
            % {"done": followups_done, "required": required_visits}
        )
    if missing_prerequisites:
        reasons.append(_("A prerequisite module (such as Workplace Cooperation) has not been completed yet."))
    return Progress(steps=steps, reasons=reasons, completed=participation.is_completed)


def first_session_end(cohort_id: int) -> dt.date | None:
    return ClassroomSession.objects.filter(cohort_id=cohort_id).aggregate(end=Min("ends_on"))["end"]


def classroom_attended_on(participation: CohortEnterprise) -> dt.date | None:
    """The first day someone from the enterprise attended a classroom session of the cohort."""
    return Attendance.objects.filter(
        participant__enterprise_id=participation.enterprise_id, participant__session__cohort_id=participation.cohort_id
    ).aggregate(day=Min("day"))["day"]


def load_progress(participation: CohortEnterprise) -> Progress:
    annotated = with_progress(CohortEnterprise.objects.filter(pk=participation.pk)).get()
    return progress_of(annotated)


# ---------------------------------------------------------------------------------------------------------
# Participants, attendance, satisfaction


@dataclass(frozen=True)
class Mix:
    total: int
    workers: int
    women: int

    @property
    def worker_share(self) -> float | None:
        return rate(self.workers, self.total)

    @property
    def women_share(self) -> float | None:
        return rate(self.women, self.total)


def participant_mix(participants: QuerySet[Any]) -> Mix:
    """Share of workers and of women among participants (or team members)."""
    numbers = participants.aggregate(
        total=Count("pk"),
        workers=Count("pk", filter=Q(role=StaffRole.WORKER)),
        women=Count("pk", filter=Q(gender=Gender.FEMALE)),
    )
    return Mix(total=numbers["total"], workers=numbers["workers"], women=numbers["women"])


@dataclass(frozen=True)
class EnterpriseMix:
    enterprise_id: int
    name: str
    managers: int
    workers: int
    women: int

    @property
    def only_managers(self) -> bool:
        return self.workers == 0 and self.managers > 0


def mix_by_enterprise(participants: QuerySet[Participant]) -> list[EnterpriseMix]:
    rows = (
        participants.order_by()
        .values("enterprise_id", "enterprise__name_zh", "enterprise__name_en")
        .annotate(
            managers=Count("pk", filter=Q(role=StaffRole.MANAGER)),
            workers=Count("pk", filter=Q(role=StaffRole.WORKER)),
            women=Count("pk", filter=Q(gender=Gender.FEMALE)),
        )
        .order_by("enterprise__name_zh")
    )
    from scorehub.core.i18n import pick

    return [
        EnterpriseMix(
            r["enterprise_id"],
            pick(r["enterprise__name_zh"], r["enterprise__name_en"]),
            r["managers"],
            r["workers"],
            r["women"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Satisfaction:
    responses: int
    satisfied: int

    @property
    def rate(self) -> float | None:
        return rate(self.satisfied, self.responses)


def satisfaction(responses: QuerySet[SurveyResponse]) -> Satisfaction:
    numbers = responses.aggregate(n=Count("pk"), satisfied=Count("pk", filter=Q(overall__gte=SATISFIED_FROM)))
    return Satisfaction(responses=numbers["n"], satisfied=numbers["satisfied"])


@dataclass(frozen=True)
class ProviderSatisfaction:
    provider: str
    satisfaction: Satisfaction


def satisfaction_by_provider(responses: QuerySet[SurveyResponse]) -> list[ProviderSatisfaction]:
    """Satisfaction per training provider (one grouped query)."""
    from scorehub.core.i18n import pick

    rows = (
        responses.order_by()
        .values("session__cohort__provider__name_zh", "session__cohort__provider__name_en")
        .annotate(n=Count("pk"), satisfied=Count("pk", filter=Q(overall__gte=SATISFIED_FROM)))
        .order_by("session__cohort__provider__name_zh")
    )
    return [
        ProviderSatisfaction(
            pick(r["session__cohort__provider__name_zh"], r["session__cohort__provider__name_en"]),
            Satisfaction(responses=r["n"], satisfied=r["satisfied"]),
        )
        for r in rows
    ]


def with_session_numbers(sessions: QuerySet[ClassroomSession]) -> QuerySet[ClassroomSession]:
    """Participants, responses and satisfied responses per session, without joins that multiply rows."""
    participants = Participant.objects.filter(session=OuterRef("pk"))
    responses = SurveyResponse.objects.filter(session=OuterRef("pk"))
    return sessions.annotate(
        participant_count=_count_subquery(participants, "session"),
        response_count=_count_subquery(responses, "session"),
        satisfied_count=_count_subquery(responses.filter(overall__gte=SATISFIED_FROM), "session"),
    )


def with_trainer_numbers(trainers: QuerySet[TrainerProfile]) -> QuerySet[TrainerProfile]:
    """Workload and quality per trainer: sessions, visits done, enterprises coached, satisfaction."""
    sessions = ClassroomSession.objects.filter(trainers=OuterRef("user"))
    visits = Visit.objects.filter(consultants=OuterRef("user"), status=VisitStatus.DONE)
    coached = (
        CohortEnterprise.objects.filter(
            Q(cohort__lead_trainer=OuterRef("user"))
            | Q(cohort__trainers=OuterRef("user"))
            | Q(cohort__supervisor=OuterRef("user"))
        )
        .order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(n=Count("enterprise_id", distinct=True))
        .values("n")[:1]
    )
    responses = SurveyResponse.objects.filter(session__trainers=OuterRef("user"))
    return trainers.annotate(
        session_count=_count_subquery(sessions, "trainers"),
        visit_count=_count_subquery(visits, "consultants"),
        enterprise_count=Coalesce(Subquery(coached, output_field=IntegerField()), Value(0)),
        response_count=_count_subquery(responses, "session__trainers"),
        satisfied_count=_count_subquery(responses.filter(overall__gte=SATISFIED_FROM), "session__trainers"),
    )


# ---------------------------------------------------------------------------------------------------------
# Programmes and targets


@dataclass
class TargetProgress:
    target: ProgrammeTarget
    actual: int

    @property
    def share(self) -> float | None:
        return rate(self.actual, self.target.value)

    @property
    def percent(self) -> int:
        share = self.share or 0
        return min(100, round(share * 100))


def enrolled(enrolments: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
    """Enrolments that count towards the target (every status but dropped)."""
    return enrolments.exclude(status=EnrolmentStatus.DROPPED)


def target_progress(
    programme: Programme, enrolments: QuerySet[Enrolment], participations: QuerySet[CohortEnterprise]
) -> list[TargetProgress]:
    """Each target of the programme with what is achieved so far (two aggregate queries in all)."""
    targets = list(programme.targets.select_related("module"))
    enrolled_count = enrolled(enrolments.filter(programme=programme)).count()
    completed = (
        participations.filter(cohort__programme=programme, completed_on__isnull=False)
        .order_by()
        .values("cohort__module__code")
        .annotate(n=Count("pk"))
    )
    by_code = {row["cohort__module__code"]: row["n"] for row in completed}
    result = []
    for target in targets:
        if target.kind == TargetKind.ENROLMENTS:
            actual = enrolled_count
        elif target.module is not None:
            actual = by_code.get(target.module.code, 0)
        else:
            actual = sum(by_code.values())
        result.append(TargetProgress(target, actual))
    return result


def enrolment_series(programme: Programme, enrolments: QuerySet[Enrolment]) -> dict[str, Any]:
    """Cumulative enrolments by month, with the enrolment targets, for the programme chart."""
    rows = (
        enrolled(enrolments.filter(programme=programme))
        .annotate(month=TruncMonth("enrolled_on"))
        .order_by()
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    months: list[str] = []
    cumulative: list[int] = []
    total = 0
    for row in rows:
        total += row["n"]
        month = row["month"]
        months.append(f"{month:%Y-%m}")
        cumulative.append(total)
    targets: list[dict[str, Any]] = [
        {"month": f"{t.due_on:%Y-%m}", "value": t.value}
        for t in programme.targets.filter(kind=TargetKind.ENROLMENTS).order_by("due_on")
    ]
    for target in targets:
        if target["month"] not in months:
            months.append(target["month"])
    months.sort()
    # Carry the cumulative count forward over months that only carry a target.
    series, last, counts = [], 0, dict(zip([f"{r['month']:%Y-%m}" for r in rows], cumulative, strict=False))
    for month in months:
        last = counts.get(month, last)
        series.append(last)
    return {
        "months": months,
        "enrolled": series,
        "targets": targets,
        "labels": {"enrolled": _("Enterprises enrolled"), "target": _("Target")},
    }


@dataclass(frozen=True)
class ProgrammeNumbers:
    enrolled: int
    dropped: int
    cohorts: int
    sessions: int
    completions: int
    participants: Mix
    satisfaction: Satisfaction
    visits_done: int
    visits_planned: int


def programme_numbers(programme: Programme, user: Any) -> ProgrammeNumbers:
    """The programme's headline numbers, each counted inside the user's scope."""
    from scorehub.core.scoping import Action

    enrolments = Enrolment.objects.visible_to(user, Action.VIEW).filter(programme=programme)
    counts = enrolments.aggregate(
        enrolled=Count("pk", filter=~Q(status=EnrolmentStatus.DROPPED)),
        dropped=Count("pk", filter=Q(status=EnrolmentStatus.DROPPED)),
    )
    from .models import Cohort

    cohorts = Cohort.objects.visible_to(user, Action.VIEW).filter(programme=programme)
    sessions = ClassroomSession.objects.visible_to(user, Action.VIEW).filter(cohort__programme=programme)
    visits = Visit.objects.visible_to(user, Action.VIEW).filter(participation__cohort__programme=programme)
    visit_counts = visits.aggregate(
        done=Count("pk", filter=Q(status=VisitStatus.DONE)),
        planned=Count("pk", filter=~Q(status=VisitStatus.CANCELLED)),
    )
    return ProgrammeNumbers(
        enrolled=counts["enrolled"],
        dropped=counts["dropped"],
        cohorts=cohorts.count(),
        sessions=sessions.count(),
        completions=CohortEnterprise.objects.visible_to(user, Action.VIEW)
        .filter(cohort__programme=programme, completed_on__isnull=False)
        .count(),
        participants=participant_mix(
            Participant.objects.visible_to(user, Action.VIEW).filter(session__cohort__programme=programme)
        ),
        satisfaction=satisfaction(
            SurveyResponse.objects.visible_to(user, Action.VIEW).filter(session__cohort__programme=programme)
        ),
        visits_done=visit_counts["done"],
        visits_planned=visit_counts["planned"],
    )


# ---------------------------------------------------------------------------------------------------------
# The improvement team


@dataclass(frozen=True)
class TeamWarnings:
    no_workers: bool
    no_women: bool
    no_managers: bool

    @property
    def any(self) -> bool:
        return self.no_workers or self.no_women or self.no_managers


def team_warnings(members: QuerySet[TeamMember]) -> TeamWarnings:
    current = members.filter(left_on__isnull=True)
    mix = participant_mix(current)
    return TeamWarnings(no_workers=mix.workers == 0, no_women=mix.women == 0, no_managers=mix.total - mix.workers == 0)


# ---------------------------------------------------------------------------------------------------------
# Indicators (see scorehub/training/indicators.py)


def enrolment_targets_at(programme_ids: Any, ends: Iterable[dt.date]) -> dict[dt.date, dict[int, int]]:
    """For each day of ``ends``, the enrolment target of each programme that applies then: the first one
    due on or after it, or else the last one (programmes without an enrolment target are missing).
    One query, however many days."""
    targets = list(
        ProgrammeTarget.objects.filter(programme_id__in=programme_ids, kind=TargetKind.ENROLMENTS)
        .order_by("due_on")
        .values_list("programme_id", "due_on", "value")
    )
    result: dict[dt.date, dict[int, int]] = {}
    for end in ends:
        by_programme: dict[int, tuple[dt.date, int]] = {}
        for programme_id, due_on, value in targets:
            chosen = by_programme.get(programme_id)
            if chosen is None or chosen[0] < end:
                by_programme[programme_id] = (due_on, value)
        result[end] = {programme_id: value for programme_id, (_due, value) in by_programme.items()}
    return result


def upcoming_and_overdue(visits: QuerySet[Visit], today: dt.date, days: int = 60) -> dict[str, list[Visit]]:
    base = visits.select_related("enterprise", "participation__cohort__module", "inspector").prefetch_related(
        "consultants"
    )
    return {
        "overdue": list(base.overdue(today).order_by("planned_on")),  # type: ignore[attr-defined]
        "upcoming": list(base.upcoming(today, days).order_by("planned_on")),  # type: ignore[attr-defined]
    }


#: Indicators that are not split by month (a programme's target is not a monthly amount).
NOT_MONTHLY = frozenset({"enrolment_target", "enrolment_vs_target"})
#: The key of the single group of an ungrouped computation.
WHOLE = ""


def grouped_indicator_values(
    *, enterprises: QuerySet[Any], start: dt.date, end: dt.date, grouping: Any, wanted: frozenset[str]
) -> dict[str, dict[str, Any]]:
    """The training indicators named in ``wanted`` for a set of enterprises and an inclusive period, per
    group of ``grouping`` (child region, enterprise, month or half of a period pair), each group's values
    being those of the group alone; ``grouping=None``: the whole set, under :data:`WHOLE`.  One grouped
    query per table asked for, whatever the number of groups; groups without records are missing.

    The queries are written as SQL (see ``scorehub.core.rawsql``): for a single enterprise the ORM took
    longer to build them than the database to answer them."""
    from scorehub.indicators.base import Period

    by_month = grouping is not None and grouping.kind == "month"
    by_half = grouping is not None and grouping.kind == "period"
    if by_month:
        wanted = wanted - NOT_MONTHLY
    scope_sql, scope_params = subquery(enterprises)

    def grouped(
        tables: str,
        enterprise_column: str,
        day: str,
        select: tuple[str, tuple[Any, ...]],
        where: tuple[str, tuple[Any, ...]],
        *,
        by: str = "",
    ) -> list[tuple[Any, ...]]:
        """The rows of :func:`grouped_rows` for this grouping (the record's ``day`` keys months and
        halves): the group key, the value of ``by`` when given, then ``select``."""
        rows = grouped_rows(
            tables=tables,
            enterprise_column=enterprise_column,
            enterprises=enterprises,
            select=select,
            where=where,
            grouping=grouping,
            day=day,
            by=by,
        )
        return rows if by else [(row[0], *row[2:]) for row in rows]

    result: dict[str, dict[str, Any]] = defaultdict(dict)
    enrolled_only = ("n.status <> %s", (EnrolmentStatus.DROPPED.value,))
    # The halves of a pair count their enrolments in the same read as the enrolments against target.
    enrolled_with_targets = by_half and "enrolled" in wanted and bool(wanted & NOT_MONTHLY)
    if "enrolled" in wanted and not enrolled_with_targets:
        in_period = (f"{enrolled_only[0]} AND n.enrolled_on BETWEEN %s AND %s", (*enrolled_only[1], start, end))
        for group, n in grouped(
            "training_enrolment n", "n.enterprise_id", "n.enrolled_on", ("COUNT(*)", ()), in_period
        ):
            result[str(group)]["enrolled"] = n
    if wanted & NOT_MONTHLY:
        # Enrolments as they stood at the end of the period (of each half of a pair), per programme.
        by_end = (f"{enrolled_only[0]} AND n.enrolled_on <= %s", (*enrolled_only[1], end))
        if by_half:
            halves = grouping.halves(Period(start, end))
            columns: list[tuple[str, tuple[Any, ...]]] = [
                ("SUM(CASE WHEN n.enrolled_on <= %s THEN 1 ELSE 0 END)", (half.end,)) for half in halves.values()
            ]
            columns += [
                ("SUM(CASE WHEN n.enrolled_on BETWEEN %s AND %s THEN 1 ELSE 0 END)", (half.start, half.end))
                for half in halves.values()
            ]
            # One row per programme (no group key: each half has its own columns).
            counted = [
                row[1:]
                for row in grouped_rows(
                    tables="training_enrolment n",
                    enterprise_column="n.enterprise_id",
                    enterprises=enterprises,
                    select=(", ".join(c[0] for c in columns), tuple(p for c in columns for p in c[1])),
                    where=by_end,
                    by="n.programme_id",
                )
            ]
            names = list(halves)
            if enrolled_with_targets:
                for index, group in enumerate(names):
                    result[group]["enrolled"] = sum(int(row[1 + len(names) + index] or 0) for row in counted)
            rows = [
                {"group": group, "programme_id": row[0], "n": int(row[1 + index] or 0), "end": halves[group].end}
                for row in counted
                for index, group in enumerate(names)
                if row[1 + index]  # a programme counts in a half only once it has an enrolment
            ]
        else:
            rows = [
                {"group": group, "programme_id": programme_id, "n": n, "end": end}
                for group, programme_id, n in grouped(
                    "training_enrolment n",
                    "n.enterprise_id",
                    "n.enrolled_on",
                    ("COUNT(*)", ()),
                    by_end,
                    by="n.programme_id",
                )
            ]
        targets = enrolment_targets_at({row["programme_id"] for row in rows}, {row["end"] for row in rows})
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            target = targets[row["end"]].get(row["programme_id"])
            if target is not None:
                sums[str(row["group"])][0] += target
                sums[str(row["group"])][1] += row["n"]
        for group, (target, enrolled_count) in sums.items():
            result[group]["enrolment_target"] = target
            result[group]["enrolment_vs_target"] = rate(enrolled_count, target)
    if "module_completions" in wanted:
        completed = ("ce.completed_on BETWEEN %s AND %s", (start, end))
        for group, n in grouped(
            "training_cohortenterprise ce", "ce.enterprise_id", "ce.completed_on", ("COUNT(*)", ()), completed
        ):
            result[str(group)]["module_completions"] = n
    if "certificates" in wanted:
        issued = ("c.issued_on BETWEEN %s AND %s AND c.revoked_on IS NULL", (start, end))
        for group, n in grouped("training_certificate c", "c.enterprise_id", "c.issued_on", ("COUNT(*)", ()), issued):
            result[str(group)]["certificates"] = n
    attended = (
        "training_participant p JOIN training_classroomsession s ON s.id = p.session_id",
        ("s.starts_on BETWEEN %s AND %s", (start, end)),
    )
    mix_codes = {"participants", "participants_worker_share", "participants_women_share"}
    if wanted & (mix_codes | {"sessions", "satisfaction_rate"}):
        # One row per group and session attended: the participants' mix, and the sessions whose survey
        # answers count (each session once per group).
        mix_columns = (
            "COUNT(*), SUM(CASE WHEN p.role = %s THEN 1 ELSE 0 END), SUM(CASE WHEN p.gender = %s THEN 1 ELSE 0 END)",
            (StaffRole.WORKER.value, Gender.FEMALE.value),
        )
        by_session = grouped(attended[0], "p.enterprise_id", "s.starts_on", mix_columns, attended[1], by="p.session_id")
        mixes: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for group, _session, total, workers, women in by_session:
            mix_sums = mixes[str(group)]
            mix_sums[0] += total
            mix_sums[1] += workers or 0
            mix_sums[2] += women or 0
        if wanted & mix_codes:
            for group, (total, workers, women) in mixes.items():
                mix = Mix(total=total, workers=workers, women=women)
                result[group].update(
                    participants=mix.total,
                    participants_worker_share=mix.worker_share,
                    participants_women_share=mix.women_share,
                )
        if wanted & {"sessions", "satisfaction_rate"}:
            answers = {
                session_id: (n, satisfied or 0)
                for session_id, n, satisfied in fetch(
                    "SELECT r.session_id, COUNT(*), SUM(CASE WHEN r.overall >= %s THEN 1 ELSE 0 END) "  # noqa: S608
                    "FROM training_surveyresponse r WHERE r.session_id IN ("
                    f"SELECT p.session_id FROM {attended[0]} WHERE p.enterprise_id IN ({scope_sql}) "
                    f"AND {attended[1][0]}) GROUP BY r.session_id",
                    (SATISFIED_FROM, *scope_params, *attended[1][1]),
                )
            }
            tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
            for group, session_id, *_mix in by_session:
                n, satisfied = answers.get(session_id, (0, 0))
                group_tally = tally[str(group)]
                group_tally[0] += 1
                group_tally[1] += n
                group_tally[2] += satisfied
            for group, (sessions, n, satisfied) in tally.items():
                result[group]["sessions"] = sessions
                result[group]["satisfaction_rate"] = Satisfaction(responses=n, satisfied=satisfied).rate
    not_cancelled = ("v.status <> %s", (VisitStatus.CANCELLED.value,))
    done = VisitStatus.DONE.value
    if not by_month and wanted & {"visits_planned", "visits_done_rate", "visits_done"}:
        # Visits planned (by the day planned) and done (by the day done) in one read of the visits of
        # either; months group the two by different days, so they take the two reads below.
        def visit_counts(p: Period) -> list[tuple[str, tuple[Any, ...]]]:
            return [
                ("SUM(CASE WHEN v.planned_on BETWEEN %s AND %s THEN 1 ELSE 0 END)", (p.start, p.end)),
                (
                    "SUM(CASE WHEN v.planned_on BETWEEN %s AND %s AND v.status = %s THEN 1 ELSE 0 END)",
                    (p.start, p.end, done),
                ),
                (
                    "SUM(CASE WHEN v.status = %s AND v.done_on BETWEEN %s AND %s THEN 1 ELSE 0 END)",
                    (done, p.start, p.end),
                ),
            ]

        in_either = (
            f"{not_cancelled[0]} AND (v.planned_on BETWEEN %s AND %s "
            "OR (v.status = %s AND v.done_on BETWEEN %s AND %s))",
            (*not_cancelled[1], start, end, done, start, end),
        )
        periods = grouping.halves(Period(start, end)) if by_half else {None: Period(start, end)}
        visit_columns = [column for p in periods.values() for column in visit_counts(p)]
        select = (", ".join(c[0] for c in visit_columns), tuple(p for c in visit_columns for p in c[1]))
        if by_half:  # one row, each half with its own three columns
            span_row = grouped_rows(
                tables="training_visit v",
                enterprise_column="v.enterprise_id",
                enterprises=enterprises,
                select=select,
                where=in_either,
            )[0][2:]
            counts = [(group, span_row[3 * index : 3 * index + 3]) for index, group in enumerate(periods)]
        else:
            rows_by_group = grouped("training_visit v", "v.enterprise_id", "v.planned_on", select, in_either)
            counts = [(row[0], row[1:]) for row in rows_by_group]
        for group, (planned, done_as_planned, done_count) in counts:
            result[str(group)].update(
                visits_planned=planned or 0,
                visits_done_rate=rate(done_as_planned, planned),
                visits_done=done_count or 0,
            )
    elif wanted & {"visits_planned", "visits_done_rate"}:
        planned_in = (f"{not_cancelled[0]} AND v.planned_on BETWEEN %s AND %s", (*not_cancelled[1], start, end))
        done_columns = ("COUNT(*), SUM(CASE WHEN v.status = %s THEN 1 ELSE 0 END)", (done,))
        for group, planned, done_count in grouped(
            "training_visit v", "v.enterprise_id", "v.planned_on", done_columns, planned_in
        ):
            result[str(group)].update(visits_planned=planned, visits_done_rate=rate(done_count, planned))
    if by_month and "visits_done" in wanted:
        done_in = (
            f"{not_cancelled[0]} AND v.status = %s AND v.done_on BETWEEN %s AND %s",
            (*not_cancelled[1], done, start, end),
        )
        for group, n in grouped("training_visit v", "v.enterprise_id", "v.done_on", ("COUNT(*)", ()), done_in):
            result[str(group)]["visits_done"] = n
    return {group: {code: v for code, v in values.items() if code in wanted} for group, values in result.items()}
