"""The bench hook of the training app (see ``scorehub.indicators.benchmark``).

``generate`` writes a SCORE programme for every city of the bench (one for Beijing's districts), with
enrolment and completion targets, offering the five core modules of the seeded catalogue.  Nearly every
enterprise enrols in its city's programme early on (a few drop out later) and takes about two modules a
year, Workplace Cooperation first.  Enterprises taking the same module in the same month of the same
programme form a cohort (at most 20 enterprises), which meets for one classroom session of the module's
days; each enterprise sends 2 managers and 3 workers (about 40 % of them women), who are present on most
days and mostly answer the satisfaction survey.  Each enterprise and module has a baseline visit and
three follow-ups; past ones are mostly done, some overdue, a few cancelled.  An enterprise that has had
all four visits completes the module and most completions bring a certificate.  Rows go in with ``COPY``
(PostgreSQL) or batched inserts (SQLite).

``FLOORS["training"]`` is the hand-written SQL over the raw tables that computes every ``training.*``
indicator (``scorehub.training.selectors.grouped_indicator_values``), totals and groups.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from scorehub.indicators.base import _add_months

from .models import SATISFIED_FROM

if TYPE_CHECKING:
    from scorehub.indicators.benchmark import BenchContext, FloorContext

#: Modules an enterprise takes a year, on average, and the order it takes them in.
MODULES_PER_YEAR = 2
MODULE_ORDER = ["WC", "QM", "CP", "HR", "OSH"]
COHORT_SIZE = 20
MANAGERS, WORKERS = 2, 3
WOMEN_SHARE = 0.4
PRESENT_SHARE = 0.92
ANSWER_SHARE = 0.7
#: Ratings of the overall satisfaction (1 to 5) and their weights: about 85 % answer 4 or 5.
RATINGS = ([1, 2, 3, 4, 5], [0.02, 0.03, 0.10, 0.40, 0.45])
ENROLLED_SHARE = 0.95
DROPPED_SHARE = 0.05
FOLLOW_UPS = 3
FOLLOW_UP_EVERY = 30  # days after the classroom
DONE_SHARE = 0.88
CANCELLED_SHARE = 0.03
CERTIFIED_SHARE = 0.9
REVOKED_SHARE = 0.01
NAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林"]
VENUES = ["市应急管理局培训中心", "区职业技术学校", "开发区管委会会议室", "市总工会职工学校"]


def _people(ctx: BenchContext) -> tuple[int, int]:
    """The bench's training provider and its lead trainer (ids), created once."""
    from scorehub.accounts.models import Organisation, OrganisationKind, User

    provider = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, name_zh="基准培训服务中心").first()
    if provider is None:
        provider = Organisation.objects.create(
            kind=OrganisationKind.PROVIDER,
            name_zh="基准培训服务中心",
            name_en="Bench Training Centre",
            region_id="330000",
        )
    trainer = User.objects.filter(username="bench_trainer").first()
    if trainer is None:
        trainer = User.objects.create(username="bench_trainer", display_name="基准培训师")
    del ctx
    return provider.pk, trainer.pk


def _programmes(ctx: BenchContext, provider_id: int, modules: dict[str, int]) -> dict[str, Any]:
    """One programme per city (Beijing's districts share one), keyed by the enterprise region prefix."""
    from scorehub.indicators.benchmark import ZHEJIANG_CITIES

    from .models import Programme, ProgrammeTarget, TargetKind

    first_day = ctx.months[0]
    last_day = _add_months(ctx.months[-1], 1) - dt.timedelta(days=1)
    counts: dict[str, int] = defaultdict(int)
    for enterprise in ctx.enterprises:
        counts[enterprise.region_id[:2] if enterprise.region_id.startswith("11") else enterprise.region_id[:4]] += 1
    areas = [(prefix, f"{prefix}00", zh, en) for prefix, zh, en in ZHEJIANG_CITIES]
    areas.append(("11", "110000", "北京市", "Beijing"))
    programmes = {}
    for prefix, region, zh, en in areas:
        if not counts[prefix]:
            continue
        programme = Programme.objects.create(
            name_zh=f"{zh} SCORE 基准项目",
            name_en=f"{en} SCORE bench programme",
            region_id=region,
            starts_on=first_day,
            ends_on=_add_months(last_day.replace(day=1), 13) - dt.timedelta(days=1),
        )
        programme.providers.set([provider_id])
        programme.modules.set(modules.values())
        middle = first_day + (last_day - first_day) / 2
        expected = counts[prefix]
        ProgrammeTarget.objects.bulk_create(
            [
                ProgrammeTarget(
                    programme=programme, kind=TargetKind.ENROLMENTS, value=max(1, round(expected * 0.7)), due_on=middle
                ),
                ProgrammeTarget(
                    programme=programme, kind=TargetKind.ENROLMENTS, value=expected, due_on=programme.ends_on
                ),
                ProgrammeTarget(
                    programme=programme,
                    kind=TargetKind.COMPLETIONS,
                    value=max(1, round(expected * MODULES_PER_YEAR * len(ctx.months) / 12 * 0.8)),
                    due_on=programme.ends_on,
                ),
            ]
        )
        programmes[prefix] = programme
    return programmes


def _visit_story(rng: Any, planned: dt.date, today: dt.date) -> tuple[str, dt.date | None]:
    """(status, done on) of a visit planned for ``planned``: past ones mostly done, some overdue."""
    if planned >= today:
        return "planned", None
    roll = rng.random()
    if roll < CANCELLED_SHARE:
        return "cancelled", None
    if roll < CANCELLED_SHARE + DONE_SHARE:
        return "done", min(today - dt.timedelta(days=1), planned + dt.timedelta(days=rng.randint(-3, 7)))
    return "planned", None


def generate(ctx: BenchContext) -> None:
    from .models import Module

    rng = ctx.rng
    today = timezone.localdate()
    now = timezone.now()
    first_day = ctx.months[0]
    last_day = _add_months(ctx.months[-1], 1) - dt.timedelta(days=1)
    days = (last_day - first_day).days + 1
    years = len(ctx.months) / 12
    # The newest version of each core module (later rows of a code replace earlier ones).
    versions = Module.objects.filter(code__in=MODULE_ORDER).order_by("code", "version")
    modules: dict[str, int] = dict(versions.values_list("code", "pk"))
    classroom_days = dict(Module.objects.filter(pk__in=modules.values()).values_list("pk", "classroom_days"))
    provider_id, trainer_id = _people(ctx)
    programmes = _programmes(ctx, provider_id, modules)

    # Enrolments, then each enterprise's modules as (programme, module, month of the classroom).
    enrolment_rows: list[tuple[Any, ...]] = []
    plans: dict[tuple[int, int, dt.date], list[tuple[int, int, dt.date]]] = defaultdict(list)
    enrolling = [e for e in ctx.enterprises if rng.random() < ENROLLED_SHARE]
    enrolment_ids = iter(ctx.allocate("training_enrolment", len(enrolling)))
    for enterprise in enrolling:
        prefix = enterprise.region_id[:2] if enterprise.region_id.startswith("11") else enterprise.region_id[:4]
        programme = programmes[prefix]
        pk = next(enrolment_ids)
        enrolled_on = first_day + dt.timedelta(days=rng.randrange(max(1, days // 4)))
        dropped = rng.random() < DROPPED_SHARE
        taken = max(1, round(MODULES_PER_YEAR * years * rng.uniform(0.6, 1.4)))
        if dropped:
            taken = 1
        spacing = max(30, (last_day - enrolled_on).days // taken)
        status_changed = None
        for index in range(min(taken, len(MODULE_ORDER) * 2)):
            classroom = enrolled_on + dt.timedelta(days=20 + index * spacing + rng.randint(0, 20))
            if classroom > last_day:
                break
            code = MODULE_ORDER[index % len(MODULE_ORDER)]
            plans[(programme.pk, modules[code], classroom.replace(day=1))].append((enterprise.id, pk, enrolled_on))
            status_changed = classroom
        status = "active" if status_changed else "enrolled"
        reason = ""
        if dropped:
            status, reason = "dropped", "企业停产整顿"
            status_changed = (status_changed or enrolled_on) + dt.timedelta(days=rng.randint(40, 120))
        created = dt.datetime.combine(enrolled_on, dt.time(10), tzinfo=now.tzinfo)
        enrolment_rows.append(
            (
                pk,
                programme.pk,
                enterprise.id,
                enrolled_on,
                status,
                reason,
                min(status_changed, today) if status_changed else None,
                created,
            )
        )
    ctx.copy(
        "training_enrolment",
        [
            "id",
            "programme_id",
            "enterprise_id",
            "enrolled_on",
            "status",
            "dropped_reason",
            "status_changed_on",
            "created_at",
        ],
        enrolment_rows,
    )

    # Cohorts of at most COHORT_SIZE enterprises, one classroom session each, and everything below.
    groups = []
    for (programme_id, module_id, month), members in sorted(plans.items()):
        for start in range(0, len(members), COHORT_SIZE):
            groups.append((programme_id, module_id, month, members[start : start + COHORT_SIZE]))
    cohort_ids = iter(ctx.allocate("training_cohort", len(groups)))
    session_ids = iter(ctx.allocate("training_classroomsession", len(groups)))
    code_of = {pk: code for code, pk in modules.items()}
    cohorts, sessions, session_trainers = [], [], []
    participations, participants, attendance, responses, visits, certificates = [], [], [], [], [], []
    participation_ids = ctx.allocate("training_cohortenterprise", sum(len(g[3]) for g in groups))
    next_participation = iter(participation_ids)
    participant_id = iter(ctx.allocate("training_participant", len(participation_ids) * (MANAGERS + WORKERS)))
    for number, (programme_id, module_id, month, members) in enumerate(groups):
        cohort_id, session_id = next(cohort_ids), next(session_ids)
        starts = month + dt.timedelta(days=rng.randint(0, 20))
        ends = starts + dt.timedelta(days=classroom_days.get(module_id, 2) - 1)
        created = dt.datetime.combine(month - dt.timedelta(days=20), dt.time(9), tzinfo=now.tzinfo)
        cohorts.append(
            (
                cohort_id,
                programme_id,
                module_id,
                provider_id,
                f"{code_of[module_id]} {month:%Y-%m} #{number}",
                trainer_id,
                None,
                created,
            )
        )
        sessions.append(
            (
                session_id,
                cohort_id,
                f"{code_of[module_id]} 课堂培训",
                starts,
                ends,
                VENUES[number % len(VENUES)],
                f"bench-{session_id}-{rng.getrandbits(40):010x}",
                None,
                created,
            )
        )
        session_trainers.append((session_id, trainer_id))
        held = starts <= today
        present_people = 0
        for enterprise_id, enrolment_id, enrolled_on in members:
            participation = next(next_participation)
            baseline = starts - dt.timedelta(days=rng.randint(7, 21))
            planned = [("baseline", baseline)] + [
                ("follow_up", ends + dt.timedelta(days=FOLLOW_UP_EVERY * (i + 1) + rng.randint(-5, 5)))
                for i in range(FOLLOW_UPS)
            ]
            done_all = True
            last_done: dt.date | None = None
            for kind, planned_on in planned:
                status, done_on = _visit_story(rng, planned_on, today)
                done_all = done_all and status == "done"
                last_done = max(done_on, last_done or done_on) if done_on else last_done
                stamp = dt.datetime.combine(planned_on - dt.timedelta(days=10), dt.time(9), tzinfo=now.tzinfo)
                visits.append(
                    (
                        enterprise_id,
                        participation,
                        kind,
                        planned_on,
                        done_on,
                        status,
                        None,
                        "现场查看了改善进展。" if done_on else "",
                        None,
                        "",
                        None,
                        stamp,
                        stamp,
                    )
                )
            completed_on = last_done if done_all and held and last_done else None
            participations.append(
                (
                    participation,
                    cohort_id,
                    enterprise_id,
                    enrolment_id,
                    max(enrolled_on, month - dt.timedelta(days=10)),
                    completed_on,
                    None,
                )
            )
            if completed_on and rng.random() < CERTIFIED_SHARE:
                issued = min(today, completed_on + dt.timedelta(days=rng.randint(3, 30)))
                revoked = issued + dt.timedelta(days=20) if rng.random() < REVOKED_SHARE else None
                certificates.append(
                    (
                        participation,
                        enterprise_id,
                        module_id,
                        programme_id,
                        issued,
                        trainer_id,
                        revoked if revoked and revoked <= today else None,
                        "证书信息有误，已重新签发" if revoked and revoked <= today else "",
                    )
                )
            for seat in range(MANAGERS + WORKERS):
                pk = next(participant_id)
                role = "manager" if seat < MANAGERS else "worker"
                gender = "female" if rng.random() < WOMEN_SHARE else "male"
                participants.append(
                    (pk, session_id, enterprise_id, f"{NAMES[pk % len(NAMES)]}{pk % 97:02d}", role, gender, "")
                )
                if not held:
                    continue
                present = False
                day = starts
                while day <= ends:
                    if rng.random() < PRESENT_SHARE:
                        attendance.append((pk, day))
                        present = True
                    day += dt.timedelta(days=1)
                present_people += present
        if held:
            answered = sum(1 for _ in range(present_people) if rng.random() < ANSWER_SHARE)
            submitted = dt.datetime.combine(ends, dt.time(16), tzinfo=now.tzinfo)
            for _ in range(answered):
                overall = rng.choices(*RATINGS)[0]
                responses.append(
                    (
                        session_id,
                        overall,
                        max(1, min(5, overall + rng.randint(-1, 1))),
                        max(1, min(5, overall + rng.randint(-1, 1))),
                        "worker" if rng.random() < 0.6 else "manager",
                        "",
                        submitted,
                    )
                )
    ctx.copy(
        "training_cohort",
        ["id", "programme_id", "module_id", "provider_id", "name", "lead_trainer_id", "supervisor_id", "created_at"],
        cohorts,
    )
    ctx.copy(
        "training_classroomsession",
        [
            "id",
            "cohort_id",
            "title",
            "starts_on",
            "ends_on",
            "venue",
            "survey_token",
            "survey_expires_at",
            "created_at",
        ],
        sessions,
    )
    trainer_link_ids = ctx.allocate("training_classroomsession_trainers", len(session_trainers))
    ctx.copy(
        "training_classroomsession_trainers",
        ["id", "classroomsession_id", "user_id"],
        [(pk, *row) for pk, row in zip(trainer_link_ids, session_trainers, strict=True)],
    )
    ctx.copy(
        "training_cohortenterprise",
        ["id", "cohort_id", "enterprise_id", "enrolment_id", "joined_on", "completed_on", "completed_by_id"],
        participations,
    )
    ctx.copy(
        "training_participant",
        ["id", "session_id", "enterprise_id", "name", "role", "gender", "position"],
        participants,
    )
    attendance_ids = ctx.allocate("training_attendance", len(attendance))
    ctx.copy(
        "training_attendance",
        ["id", "participant_id", "day"],
        [(pk, *row) for pk, row in zip(attendance_ids, attendance, strict=True)],
    )
    response_ids = ctx.allocate("training_surveyresponse", len(responses))
    ctx.copy(
        "training_surveyresponse",
        ["id", "session_id", "overall", "usefulness", "trainers", "role", "comment", "submitted_at"],
        [(pk, *row) for pk, row in zip(response_ids, responses, strict=True)],
    )
    visit_ids = ctx.allocate("training_visit", len(visits))
    ctx.copy(
        "training_visit",
        [
            "id",
            "enterprise_id",
            "participation_id",
            "kind",
            "planned_on",
            "done_on",
            "status",
            "inspector_id",
            "observations",
            "next_visit_on",
            "signed_by",
            "signed_on",
            "created_at",
            "updated_at",
        ],
        [(pk, *row) for pk, row in zip(visit_ids, visits, strict=True)],
    )
    certificate_ids = ctx.allocate("training_certificate", len(certificates))
    ctx.copy(
        "training_certificate",
        [
            "id",
            "participation_id",
            "enterprise_id",
            "module_id",
            "programme_id",
            "issued_on",
            "issued_by_id",
            "verification_code",
            "revoked_on",
            "revoked_reason",
        ],
        # Codes of the bench hold "0" and "1", which real codes never do (see new_verification_code).
        [(pk, *row[:6], f"B{pk:09d}-01", *row[6:]) for pk, row in zip(certificate_ids, certificates, strict=True)],
    )


# ---------------------------------------------------------------------------------------------------
# The floor: the same numbers straight from the raw tables.

CODES = (
    "enrolled",
    "enrolment_target",
    "enrolment_vs_target",
    "module_completions",
    "certificates",
    "sessions",
    "participants",
    "participants_worker_share",
    "participants_women_share",
    "satisfaction_rate",
    "visits_planned",
    "visits_done",
    "visits_done_rate",
)
COUNTS = ("enrolled", "module_completions", "certificates", "sessions", "participants", "visits_planned", "visits_done")
#: Not split by month: a programme's target is not a monthly amount.
NOT_MONTHLY = ("enrolment_target", "enrolment_vs_target")


def _month(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM')" if connection.vendor == "postgresql" else f"strftime('%%Y-%%m', {column})"


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def floor_training(ctx: FloorContext) -> dict[str, dict[str, Any]]:
    grouping = ctx.grouping
    by_month = grouping is not None and grouping.kind == "month"
    wanted = [
        c
        for c in CODES
        if (grouping is None or grouping.wants(f"training.{c}")) and not (by_month and c in NOT_MONTHLY)
    ]
    if not wanted:
        return {}

    def key(column: str) -> str:
        return _month(column) if by_month else ctx.key_sql

    start, end = ctx.period.start, ctx.period.end
    scope, scope_params = ctx.scope_sql, ctx.scope_params
    cursor = ctx.cursor
    result: dict[str, dict[str, Any]] = defaultdict(dict)

    def count_in_period(code: str, table: str, day: str, condition: str = "TRUE") -> None:
        """``code``: the rows of ``table`` (aliased ``x``) whose ``day`` falls in the period, per group."""
        if code not in wanted:
            return
        cursor.execute(
            f"SELECT {key(f'x.{day}')}, COUNT(*) FROM {table} x "  # noqa: S608 - constants and the scope SQL
            "JOIN enterprises_enterprise e ON e.id = x.enterprise_id "
            f"WHERE {scope} AND {condition} AND x.{day} >= %s AND x.{day} <= %s GROUP BY 1",
            (*scope_params, start, end),
        )
        for group, count in cursor.fetchall():
            result[str(group)][code] = int(count)

    count_in_period("enrolled", "training_enrolment", "enrolled_on", "x.status <> 'dropped'")
    if {"enrolment_target", "enrolment_vs_target"} & set(wanted):
        # Each programme's enrolment target that applies at the period's end: the first one due on or after
        # it, else the last one; with the enrolments up to the end of the group's enterprises in it.
        cursor.execute(
            f"""
            WITH programmes AS (
              SELECT {ctx.key_sql} AS gkey, n.programme_id, COUNT(*) AS enrolled
              FROM training_enrolment n JOIN enterprises_enterprise e ON e.id = n.enterprise_id
              WHERE {scope} AND n.status <> 'dropped' AND n.enrolled_on <= %s
              GROUP BY 1, 2
            ), chosen AS (
              SELECT t.programme_id, t.value FROM training_programmetarget t
              WHERE t.kind = 'enrolments' AND t.due_on = COALESCE(
                (SELECT MIN(a.due_on) FROM training_programmetarget a
                 WHERE a.programme_id = t.programme_id AND a.kind = 'enrolments' AND a.due_on >= %s),
                (SELECT MAX(b.due_on) FROM training_programmetarget b
                 WHERE b.programme_id = t.programme_id AND b.kind = 'enrolments'))
            )
            SELECT p.gkey, SUM(c.value), SUM(p.enrolled)
            FROM programmes p JOIN chosen c ON c.programme_id = p.programme_id
            GROUP BY p.gkey
            """,  # noqa: S608
            (*scope_params, end, end),
        )
        for group, target, enrolled in cursor.fetchall():
            result[str(group)]["enrolment_target"] = int(target)
            result[str(group)]["enrolment_vs_target"] = _ratio(int(enrolled), int(target))
    count_in_period("module_completions", "training_cohortenterprise", "completed_on")
    count_in_period("certificates", "training_certificate", "issued_on", "x.revoked_on IS NULL")
    attended = (
        "FROM training_participant p JOIN training_classroomsession s ON s.id = p.session_id "
        "JOIN enterprises_enterprise e ON e.id = p.enterprise_id "
        f"WHERE {scope} AND s.starts_on >= %s AND s.starts_on <= %s"
    )
    if {"participants", "participants_worker_share", "participants_women_share"} & set(wanted):
        cursor.execute(
            f"SELECT {key('s.starts_on')}, COUNT(*), "
            "SUM(CASE WHEN p.role = 'worker' THEN 1 ELSE 0 END), SUM(CASE WHEN p.gender = 'female' THEN 1 ELSE 0 END) "
            f"{attended} GROUP BY 1",
            (*scope_params, start, end),
        )
        for group, total, workers, women in cursor.fetchall():
            result[str(group)].update(
                {
                    "participants": int(total),
                    "participants_worker_share": _ratio(int(workers or 0), int(total)),
                    "participants_women_share": _ratio(int(women or 0), int(total)),
                }
            )
    if {"sessions", "satisfaction_rate"} & set(wanted):
        # The sessions a group's enterprises attended (each once per group), and the survey answers of those.
        cursor.execute(
            f"""
            WITH attended AS (SELECT DISTINCT {key("s.starts_on")} AS gkey, p.session_id {attended})
            SELECT a.gkey, COUNT(DISTINCT a.session_id), COUNT(r.id),
                   SUM(CASE WHEN r.overall >= {SATISFIED_FROM} THEN 1 ELSE 0 END)
            FROM attended a LEFT JOIN training_surveyresponse r ON r.session_id = a.session_id
            GROUP BY a.gkey
            """,  # noqa: S608
            (*scope_params, start, end),
        )
        for group, sessions, answers, satisfied in cursor.fetchall():
            result[str(group)]["sessions"] = int(sessions)
            result[str(group)]["satisfaction_rate"] = _ratio(int(satisfied or 0), int(answers))
    if {"visits_planned", "visits_done_rate"} & set(wanted):
        cursor.execute(
            f"SELECT {key('v.planned_on')}, COUNT(*), SUM(CASE WHEN v.status = 'done' THEN 1 ELSE 0 END) "  # noqa: S608
            "FROM training_visit v JOIN enterprises_enterprise e ON e.id = v.enterprise_id "
            f"WHERE {scope} AND v.status <> 'cancelled' AND v.planned_on >= %s AND v.planned_on <= %s GROUP BY 1",
            (*scope_params, start, end),
        )
        for group, planned, done in cursor.fetchall():
            result[str(group)]["visits_planned"] = int(planned)
            result[str(group)]["visits_done_rate"] = _ratio(int(done or 0), int(planned))
    count_in_period("visits_done", "training_visit", "done_on", "x.status = 'done'")
    if grouping is None:
        totals = result[""]
        for code in wanted:
            totals.setdefault(code, 0 if code in COUNTS else None)
    return {
        group: {f"training.{code}": value for code, value in values.items() if code in wanted}
        for group, values in result.items()
    }


FLOORS = {"training": floor_training}
