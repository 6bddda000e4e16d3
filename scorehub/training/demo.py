"""Demo SCORE training: programmes for Huzhou, Fangshan and Yongkang with their cohorts, classroom
sessions, participants, survey answers, in-factory visits, improvement teams and plans, certificates,
trainers and provider accreditation.

Dates are relative to ``ctx.today`` so that the calendar always has overdue and coming visits.  The
records are created directly (the demo is one transaction) but follow the same rules as the services:
lead trainers are certified, visits come after enrolment, follow-ups after the classroom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from scorehub.accounts.demo import make_user
from scorehub.accounts.models import Membership, ProviderAssignment
from scorehub.core.demodata import DemoContext
from scorehub.core.scoping import Role

from .catalogue import seed_core_modules
from .models import (
    AccreditationStatus,
    Attendance,
    Certificate,
    CertificationStatus,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
    FindingKind,
    Gender,
    ImprovementTeam,
    Module,
    Participant,
    PlanItem,
    PlanItemStatus,
    Programme,
    ProgrammePhase,
    ProgrammeTarget,
    ProviderAccreditation,
    StaffRole,
    SurveyResponse,
    TargetKind,
    TeamMeeting,
    TeamMember,
    TrainerCertification,
    TrainerProfile,
    Visit,
    VisitAction,
    VisitFinding,
    VisitKind,
    VisitPhoto,
    VisitStatus,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡沈陆钱郑冯"
GIVEN_WOMEN = ["丽华", "秀英", "海燕", "美玲", "红梅", "芳", "静", "晓燕", "桂兰", "雪梅"]
GIVEN_MEN = ["建国", "志强", "国平", "晓东", "伟", "军", "磊", "建华", "永强", "海波"]
MANAGER_POSITIONS = ["总经理", "生产经理", "安全主管", "人事经理", "车间主任"]
WORKER_POSITIONS = ["操作工", "班组长", "质检员", "仓管员", "电工", "机修工"]

FINDINGS = [
    ("车间消防通道堆放物料，需立即清理。", FindingKind.ENFORCEMENT),
    ("配电箱未上锁且无警示标识。", FindingKind.ENFORCEMENT),
    ("化学品存放区缺少安全技术说明书（SDS）。", FindingKind.ENFORCEMENT),
    ("应急照明灯损坏，需要更换。", FindingKind.ENFORCEMENT),
    ("建议在冲压工位增设双手按钮保护装置。", FindingKind.ADVICE),
    ("建议设立员工合理化建议箱，并每周公布处理结果。", FindingKind.ADVICE),
    ("建议开展班前会，通报当日风险点。", FindingKind.ADVICE),
    ("建议对叉车通道划线并设置限速标识。", FindingKind.ADVICE),
    ("部分员工未佩戴听力防护用品，建议加强提醒和培训。", FindingKind.ADVICE),
    ("建议按 5S 要求整理原料仓库，减少寻找物料的时间。", FindingKind.ADVICE),
]
ACTIONS = [
    ("清理消防通道并划定禁止堆放区", "生产经理"),
    ("配电箱加锁并张贴警示标识", "设备主管"),
    ("补齐化学品安全技术说明书并培训员工", "安全主管"),
    ("改善团队每周召开一次例会", "改善团队组长"),
    ("为冲压工位配备防护装置", "车间主任"),
]
OBSERVATIONS = [
    "车间整体较为整洁，改善团队已开始运行。本次重点查看冲压和仓储区域，与管理者和一线员工一起巡查。",
    "企业已按上次辅导建议整改了部分问题；员工参与巡查的积极性较高，提出了多条合理化建议。",
    "初次入厂摸底：了解生产流程、主要风险点和现有安全管理制度，记录基线指标。",
]
PLAN_OBJECTIVES = [
    ("降低冲压车间手部伤害", "为冲压工位加装防护装置；每班开展班前安全讲话。"),
    ("建立合理化建议制度", "设置建议箱和登记表，改善团队每周评审并公布结果。"),
    ("化学品仓库规范化管理", "分类存放、张贴安全技术说明书、配备应急物资。"),
    ("减少原材料浪费 10%", "统计边角料，优化裁剪排版。"),
    ("完善员工沟通机制", "每月召开员工座谈会，管理层现场答复。"),
]
MEETING_MINUTES = [
    "讨论本月收到的合理化建议，确定三条优先实施；安排组员负责跟进。",
    "回顾入厂辅导发现的问题及整改进度；确定下次巡查时间。",
    "总结改善项目成效，计划在全厂推广班前会制度。",
]


def _person(rng: Any, gender: str) -> str:
    given = GIVEN_WOMEN if gender == Gender.FEMALE else GIVEN_MEN
    return rng.choice(SURNAMES) + rng.choice(given)


def _trainers(ctx: DemoContext) -> dict[str, Any]:
    """Trainer profiles, their module certifications and the providers' accreditation."""
    cec, zj = ctx.organisations["cec"], ctx.organisations["zjtrain"]
    zj_trainer = make_user("zj_trainer", "陈静（浙江 SCORE 培训师）")
    Membership.objects.create(user=zj_trainer, organisation=zj, role=Role.TRAINER)
    ctx.users["zj_trainer"] = zj_trainer
    wang = make_user("trainer_wang", "王海燕（SCORE 培训师）")
    Membership.objects.create(user=wang, organisation=cec, role=Role.TRAINER)
    zhou = make_user("trainer_zhou", "周晓东（SCORE 专家培训师）")
    Membership.objects.create(user=zhou, organisation=zj, role=Role.TRAINER)
    people = {"trainer": ctx.users["trainer"], "wang": wang, "zj_trainer": zj_trainer, "zhou": zhou}
    providers = {"trainer": cec, "wang": cec, "zj_trainer": zj, "zhou": zj}
    genders = {"trainer": Gender.FEMALE, "wang": Gender.FEMALE, "zj_trainer": Gender.FEMALE, "zhou": Gender.MALE}
    profiles = {
        key: TrainerProfile.objects.create(user=user, provider=providers[key], gender=genders[key])
        for key, user in people.items()
    }
    modules = {m.code: m for m in Module.objects.filter(version=1)}
    since = ctx.today - dt.timedelta(days=900)
    admin = ctx.users["admin"]
    certifications = [
        ("trainer", "WC", CertificationStatus.EXPERT, ""),
        ("trainer", "OSH", CertificationStatus.CERTIFIED, ""),
        ("trainer", "QM", CertificationStatus.CANDIDATE, ""),
        ("wang", "WC", CertificationStatus.CERTIFIED, ""),
        ("wang", "OSH", CertificationStatus.SUPERVISED, CertificationStatus.CERTIFIED),
        ("zj_trainer", "WC", CertificationStatus.CERTIFIED, ""),
        ("zj_trainer", "OSH", CertificationStatus.CANDIDATE, ""),
        ("zhou", "WC", CertificationStatus.EXPERT, ""),
        ("zhou", "OSH", CertificationStatus.EXPERT, ""),
    ]
    TrainerCertification.objects.bulk_create(
        [
            TrainerCertification(
                trainer=profiles[key],
                module=modules[code],
                status=status,
                since=since,
                approved_by=admin,
                approved_on=since,
                recommended_status=pending,
                recommended_by=people["zhou"] if pending else None,
                recommended_on=ctx.today - dt.timedelta(days=6) if pending else None,
            )
            for key, code, status, pending in certifications
        ]
    )
    accreditations = [
        (cec, "WC", AccreditationStatus.ACCREDITED, None),
        (cec, "OSH", AccreditationStatus.ACCREDITED, None),
        (zj, "WC", AccreditationStatus.ACCREDITED, None),
        (zj, "OSH", AccreditationStatus.APPLIED, people["trainer"]),
    ]
    ProviderAccreditation.objects.bulk_create(
        [
            ProviderAccreditation(
                provider=provider,
                module=modules[code],
                status=status,
                since=since,
                approved_by=admin if status == AccreditationStatus.ACCREDITED else None,
                approved_on=since if status == AccreditationStatus.ACCREDITED else None,
                recommended_by=recommender,
                recommended_on=ctx.today - dt.timedelta(days=3) if recommender else None,
            )
            for provider, code, status, recommender in accreditations
        ]
    )
    return {"people": people, "modules": modules}


class _Builder:
    """Builds one programme's cohorts with everything below them."""

    def __init__(self, ctx: DemoContext, trainers: dict[str, Any]) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.today = ctx.today
        self.people = trainers["people"]
        self.modules = trainers["modules"]
        self.inspector = ctx.users.get("nanxun_inspector")
        self.finding_type = ContentType.objects.get_for_model(VisitFinding)
        self.teams: dict[int, ImprovementTeam] = {}
        self.findings_by_enterprise: dict[int, list[VisitFinding]] = {}

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def programme(self, **fields: Any) -> Programme:
        providers = fields.pop("providers")
        modules = fields.pop("modules")
        programme = Programme.objects.create(**fields)
        programme.providers.set(providers)
        programme.modules.set([self.modules[code] for code in modules])
        return programme

    def enrol(
        self, programme: Programme, enterprises: list[Any], on: dt.date, dropped: int = 0
    ) -> dict[int, Enrolment]:
        rows = []
        for index, enterprise in enumerate(enterprises):
            offset = self.rng.randint(0, 20)
            rows.append(
                Enrolment(
                    programme=programme,
                    enterprise=enterprise,
                    enrolled_on=on + dt.timedelta(days=offset),
                    status=EnrolmentStatus.ENROLLED,
                )
            )
            if index >= len(enterprises) - dropped:
                rows[-1].status = EnrolmentStatus.DROPPED
                rows[-1].dropped_reason = self.rng.choice(["企业停产整顿", "管理层变动，暂缓参加", "企业已搬迁出本区"])
                rows[-1].status_changed_on = on + dt.timedelta(days=offset + 40)
        Enrolment.objects.bulk_create(rows)
        return {e.enterprise_id: e for e in rows}

    def cohort(
        self,
        programme: Programme,
        module: str,
        provider: str,
        name: str,
        lead: str,
        enrolments: list[Enrolment],
        joined: int,
        co: tuple[str, ...] = (),
    ) -> tuple[Cohort, list[CohortEnterprise]]:
        cohort = Cohort.objects.create(
            programme=programme,
            module=self.modules[module],
            provider=self.ctx.organisations[provider],
            name=name,
            lead_trainer=self.people[lead],
        )
        cohort.trainers.set([self.people[c] for c in co])
        members = []
        changed = []
        for enrolment in enrolments:
            joined_on = max(self.day(joined), enrolment.enrolled_on)
            members.append(
                CohortEnterprise(
                    cohort=cohort, enterprise=enrolment.enterprise, enrolment=enrolment, joined_on=joined_on
                )
            )
            if enrolment.status == EnrolmentStatus.ENROLLED:
                enrolment.status = EnrolmentStatus.ACTIVE
                enrolment.status_changed_on = joined_on
                changed.append(enrolment)
        Enrolment.objects.bulk_update(changed, ["status", "status_changed_on"])
        assigned = set(
            ProviderAssignment.objects.filter(provider=cohort.provider).values_list("enterprise_id", flat=True)
        )
        ProviderAssignment.objects.bulk_create(
            [
                ProviderAssignment(provider=cohort.provider, enterprise=e.enterprise)
                for e in enrolments
                if e.enterprise_id not in assigned
            ]
        )
        CohortEnterprise.objects.bulk_create(members)
        return cohort, members

    def session(
        self,
        cohort: Cohort,
        members: list[CohortEnterprise],
        start: int,
        venue: str,
        trainers: tuple[str, ...],
        title: str = "",
        only_managers: int | None = None,
    ) -> ClassroomSession:
        days = cohort.module.classroom_days
        session = ClassroomSession.objects.create(
            cohort=cohort,
            title=title or f"{cohort.module.name_zh}课堂培训",
            starts_on=self.day(start),
            ends_on=self.day(start + days - 1),
            venue=venue,
            survey_expires_at=timezone.make_aware(dt.datetime.combine(self.day(start + days + 2), dt.time(23, 59))),
        )
        session.trainers.set([self.people[t] for t in trainers])
        participants = []
        for index, member in enumerate(members):
            roles = [StaffRole.MANAGER, StaffRole.MANAGER, StaffRole.WORKER, StaffRole.WORKER]
            if index == only_managers:
                roles = [StaffRole.MANAGER, StaffRole.MANAGER]
            elif self.rng.random() < 0.3:
                roles.append(StaffRole.WORKER)
            for role in roles:
                gender = Gender.FEMALE if self.rng.random() < 0.42 else Gender.MALE
                positions = MANAGER_POSITIONS if role == StaffRole.MANAGER else WORKER_POSITIONS
                participants.append(
                    Participant(
                        session=session,
                        enterprise=member.enterprise,
                        name=_person(self.rng, gender),
                        role=role,
                        gender=gender,
                        position=self.rng.choice(positions),
                    )
                )
        Participant.objects.bulk_create(participants)
        if session.starts_on <= self.today:
            attendance = []
            for participant in participants:
                for day in session.days:
                    if day <= self.today and self.rng.random() < 0.93:
                        attendance.append(Attendance(participant=participant, day=day))
            Attendance.objects.bulk_create(attendance)
            responses = []
            for participant in participants:
                if self.rng.random() < 0.7:
                    overall = self.rng.choices([5, 4, 3, 2], weights=[45, 38, 13, 4])[0]
                    responses.append(
                        SurveyResponse(
                            session=session,
                            overall=overall,
                            usefulness=max(1, min(5, overall + self.rng.choice([-1, 0, 0, 1]))),
                            trainers=max(1, min(5, overall + self.rng.choice([0, 0, 1]))),
                            role=participant.role,
                            comment=self.rng.choice(
                                ["", "", "", "案例很实用，希望多安排现场练习。", "管理者和员工一起上课，沟通更顺畅。"]
                            ),
                        )
                    )
            SurveyResponse.objects.bulk_create(responses)
        return session

    def visits(
        self, member: CohortEnterprise, plan: Sequence[tuple[str, int, bool]], consultant: str, joint: bool
    ) -> None:
        """``plan``: (kind, day offset, done) per visit."""
        consultant_user = self.people[consultant]
        visits = []
        for kind, offset, done in plan:
            date = max(self.day(offset), member.joined_on, member.enrolment.enrolled_on)
            visits.append(
                Visit(
                    enterprise=member.enterprise,
                    participation=member,
                    kind=kind,
                    planned_on=date,
                    done_on=date if done else None,
                    status=VisitStatus.DONE if done else VisitStatus.PLANNED,
                    inspector=self.inspector if joint and member.enterprise.region_id == "330503" else None,
                    observations=self.rng.choice(OBSERVATIONS) if done else "",
                    signed_by=self.rng.choice(SURNAMES) + "总" if done and self.rng.random() < 0.7 else "",
                    signed_on=date if done else None,
                )
            )
        Visit.objects.bulk_create(visits)
        Visit.consultants.through.objects.bulk_create(
            [Visit.consultants.through(visit_id=v.pk, user_id=consultant_user.pk) for v in visits]
        )
        findings: list[VisitFinding] = []
        actions: list[VisitAction] = []
        for visit in visits:
            if visit.status != VisitStatus.DONE or visit.kind == VisitKind.BASELINE:
                continue
            date = visit.planned_on
            findings.extend(
                VisitFinding(visit=visit, text=text, kind=kind_)
                for text, kind_ in self.rng.sample(FINDINGS, self.rng.randint(1, 3))
            )
            text, owner = self.rng.choice(ACTIONS)
            actions.append(
                VisitAction(
                    visit=visit,
                    text=text,
                    owner=owner,
                    due_on=date + dt.timedelta(days=14),
                    done_on=date + dt.timedelta(days=10) if date + dt.timedelta(days=10) < self.today else None,
                )
            )
        VisitFinding.objects.bulk_create(findings)
        VisitAction.objects.bulk_create(actions)
        self.findings_by_enterprise.setdefault(member.enterprise_id, []).extend(findings)

    def team(self, enterprise: Any, formed: dt.date, *, no_women: bool = False) -> None:
        if enterprise.pk in self.teams or formed > self.today:
            return
        team = ImprovementTeam.objects.create(enterprise=enterprise, name="企业改善团队", formed_on=formed)
        self.teams[enterprise.pk] = team
        members = []
        roles = [StaffRole.MANAGER, StaffRole.MANAGER, StaffRole.WORKER, StaffRole.WORKER, StaffRole.WORKER]
        roles += [StaffRole.WORKER] * self.rng.randint(0, 3)
        for index, role in enumerate(roles):
            gender = Gender.MALE if no_women else (Gender.FEMALE if index % 2 else Gender.MALE)
            positions = MANAGER_POSITIONS if role == StaffRole.MANAGER else WORKER_POSITIONS
            members.append(
                TeamMember(
                    team=team,
                    name=_person(self.rng, gender),
                    role=role,
                    gender=gender,
                    position=self.rng.choice(positions),
                    joined_on=formed,
                )
            )
        TeamMember.objects.bulk_create(members)
        for index, minutes in enumerate(MEETING_MINUTES):
            held = formed + dt.timedelta(days=14 + 30 * index)
            if held > self.today:
                break
            meeting = TeamMeeting.objects.create(team=team, held_on=held, minutes=minutes)
            meeting.attendees.set(self.rng.sample(members, max(3, len(members) - 1)))
        items = []
        for index, (objective, actions) in enumerate(self.rng.sample(PLAN_OBJECTIVES, 3)):
            due = formed + dt.timedelta(days=60 + 45 * index)
            status = PlanItemStatus.DONE if due < self.today - dt.timedelta(days=30) else PlanItemStatus.IN_PROGRESS
            if index == 2 and due >= self.today:
                status = PlanItemStatus.OPEN
            items.append(
                PlanItem(
                    enterprise=enterprise,
                    objective=objective,
                    actions=actions,
                    owner=self.rng.choice(MANAGER_POSITIONS),
                    due_on=due,
                    status=status,
                )
            )
        findings = self.findings_by_enterprise.get(enterprise.pk)
        if findings:
            finding = findings[0]
            items[0].objective = f"整改：{finding.text[:40]}"
            items[0].link_type = self.finding_type
            items[0].link_id = finding.pk
        PlanItem.objects.bulk_create(items)

    def photo(self, visit: Visit) -> None:
        """A small generated picture (a walkway with a marked hazard), so photo pages have content."""
        import io

        from django.core.files.base import ContentFile
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (480, 320), (205, 210, 200))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 220, 480, 320), fill=(120, 120, 115))
        draw.rectangle((60, 230, 420, 300), outline=(240, 200, 0), width=8)
        draw.rectangle((300, 120, 380, 230), fill=(150, 90, 40))
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=80)
        photo = VisitPhoto(visit=visit, caption="消防通道堆放物料")
        photo.image.save("photo.jpg", ContentFile(out.getvalue()), save=False)
        photo.save()

    def complete(self, member: CohortEnterprise, on: dt.date, issuer: Any) -> None:
        member.completed_on = on
        member.completed_by = issuer
        member.save(update_fields=["completed_on", "completed_by"])
        Certificate.objects.create(
            participation=member,
            enterprise=member.enterprise,
            module=member.cohort.module,
            programme=member.cohort.programme,
            issued_on=on,
            issued_by=issuer,
        )


def build(ctx: DemoContext) -> None:
    # A flushed test database loses the data migration's rows: put the core modules back first.
    seed_core_modules(Module)
    trainers = _trainers(ctx)
    b = _Builder(ctx, trainers)
    orgs = ctx.organisations
    enterprises = [e for e in ctx.enterprises if e.status == "active" or e == ctx.notes.get("persona_enterprise")]
    cec_huzhou = [e for e in enterprises if e.region_id in ("330503", "330521")]
    zj_huzhou = [e for e in enterprises if e.region_id in ("330502", "330522", "330523")]
    yongkang = [e for e in enterprises if e.region_id == "330784"]
    fangshan = [e for e in enterprises if e.region_id == "110111"]

    # Huzhou: the scale-up programme, with WC done in the pilot districts and OSH running now.
    huzhou = b.programme(
        name_zh="湖州市 SCORE 推广项目",
        name_en="Huzhou SCORE scale-up",
        region_id="330500",
        starts_on=b.day(-540),
        ends_on=b.day(300),
        bureau=orgs["huzhou"],
        providers=[orgs["cec"], orgs["zjtrain"]],
        modules=["WC", "OSH"],
        funders="瑞士国家经济事务秘书处（SECO）；湖州市应急管理局",
        description="以工作场所合作和职业安全健康为重点，在湖州全市推广 SCORE 培训和入厂辅导。",
    )
    ProgrammeTarget.objects.bulk_create(
        [
            ProgrammeTarget(programme=huzhou, kind=TargetKind.ENROLMENTS, value=1000, due_on=b.day(300)),
            ProgrammeTarget(
                programme=huzhou, kind=TargetKind.COMPLETIONS, module=b.modules["WC"], value=800, due_on=b.day(300)
            ),
        ]
    )
    ProgrammePhase.objects.bulk_create(
        [
            ProgrammePhase(programme=huzhou, name="试点（南浔、德清）", starts_on=b.day(-540), ends_on=b.day(-300)),
            ProgrammePhase(programme=huzhou, name="全市推广", starts_on=b.day(-299), ends_on=b.day(300)),
        ]
    )
    huzhou_enrolments = b.enrol(huzhou, cec_huzhou + zj_huzhou, b.day(-520), dropped=1)
    pilot = [huzhou_enrolments[e.pk] for e in cec_huzhou if huzhou_enrolments[e.pk].status != "dropped"]
    pilot.sort(key=lambda e: e.enterprise != ctx.notes.get("persona_enterprise"))
    wc_cohort, wc_members = b.cohort(huzhou, "WC", "cec", "南浔-德清 WC 第一批", "trainer", pilot, -470, co=("wang",))
    b.session(wc_cohort, wc_members, -440, "南浔区应急管理局培训中心", ("trainer", "wang"))
    for index, member in enumerate(wc_members):
        b.visits(
            member,
            [
                (VisitKind.BASELINE, -455, True),
                (VisitKind.FOLLOW_UP, -410, True),
                (VisitKind.FOLLOW_UP, -380, True),
                (VisitKind.FOLLOW_UP, -350, index % 5 != 4),
            ],
            "trainer" if index % 2 == 0 else "wang",
            joint=index % 2 == 0,
        )
        b.team(member.enterprise, b.day(-430), no_women=index == 1)
        if index % 5 != 4:
            b.complete(member, b.day(-340), b.people["trainer"])

    persona = ctx.notes.get("persona_enterprise")
    photo_visit = Visit.objects.filter(enterprise=persona, kind=VisitKind.FOLLOW_UP, status=VisitStatus.DONE).first()
    if photo_visit is not None:
        b.photo(photo_visit)

    # OSH, the second module for the pilot enterprises that completed WC: in progress now.
    osh_enrolments = [m.enrolment for m in wc_members if m.completed_on]
    osh_cohort, osh_members = b.cohort(
        huzhou, "OSH", "cec", "南浔-德清 OSH 第一批", "trainer", osh_enrolments, -75, co=("wang",)
    )
    b.session(osh_cohort, osh_members, -45, "南浔区应急管理局培训中心", ("trainer", "wang"), only_managers=1)
    b.session(
        osh_cohort, osh_members[:3], -1, "德清县安全生产教育基地", ("trainer",), title="职业安全与健康：风险辨识实操"
    )
    for index, member in enumerate(osh_members):
        consultant = "trainer" if index % 2 == 0 else "wang"
        plan = [(VisitKind.BASELINE, -60, True), (VisitKind.FOLLOW_UP, -20, True)]
        plan.append((VisitKind.FOLLOW_UP, -4, False) if index % 3 == 0 else (VisitKind.FOLLOW_UP, 12 + index, False))
        plan.append((VisitKind.FOLLOW_UP, 45 + index, False))
        b.visits(member, plan, consultant, joint=True)

    zj_enrolments = [huzhou_enrolments[e.pk] for e in zj_huzhou]
    if zj_enrolments:
        zj_cohort, zj_members = b.cohort(
            huzhou, "WC", "zjtrain", "吴兴-长兴-安吉 WC 第二批", "zhou", zj_enrolments, -150
        )
        b.session(zj_cohort, zj_members, -120, "湖州市安全生产培训中心", ("zhou",))
        for index, member in enumerate(zj_members):
            b.visits(
                member,
                [
                    (VisitKind.BASELINE, -135, True),
                    (VisitKind.FOLLOW_UP, -90, True),
                    (VisitKind.FOLLOW_UP, -55, index % 2 == 0),
                    (VisitKind.FOLLOW_UP, -7 if index % 4 == 0 else 10 + index, False),
                ],
                "zhou",
                joint=False,
            )
            b.team(member.enterprise, b.day(-110))

    # Fangshan: WC with the national provider, completed by most, a year-after visit planned.
    fangshan_programme = b.programme(
        name_zh="房山区 SCORE 工作场所合作项目",
        name_en="Fangshan SCORE workplace cooperation programme",
        region_id="110111",
        starts_on=b.day(-400),
        ends_on=b.day(330),
        bureau=orgs["fangshan"],
        providers=[orgs["cec"]],
        modules=["WC", "OSH"],
        funders="国际劳工组织（ILO）SCORE 项目",
        plans_year_after_visit=True,
    )
    ProgrammeTarget.objects.create(
        programme=fangshan_programme, kind=TargetKind.ENROLMENTS, value=10, due_on=b.day(-200)
    )
    fangshan_enrolments = b.enrol(fangshan_programme, fangshan, b.day(-390))
    if fangshan:
        f_cohort, f_members = b.cohort(
            fangshan_programme, "WC", "cec", "房山 WC 第一批", "trainer", list(fangshan_enrolments.values()), -360
        )
        b.session(f_cohort, f_members, -330, "房山区应急管理局会议室", ("trainer",))
        for index, member in enumerate(f_members):
            b.visits(
                member,
                [
                    (VisitKind.BASELINE, -345, True),
                    (VisitKind.FOLLOW_UP, -300, True),
                    (VisitKind.FOLLOW_UP, -270, True),
                    (VisitKind.FOLLOW_UP, -240, True),
                    (VisitKind.YEAR_AFTER, 30 + index, False),
                ],
                "trainer",
                joint=False,
            )
            b.team(member.enterprise, b.day(-320))
            b.complete(member, b.day(-230), b.people["trainer"])

    # Yongkang: the 2024-style pilot with the Zhejiang provider, classroom just done.
    yk = b.programme(
        name_zh="永康市 SCORE 试点",
        name_en="Yongkang SCORE pilot",
        region_id="330784",
        starts_on=b.day(-150),
        ends_on=b.day(215),
        bureau=orgs["yongkang"],
        providers=[orgs["zjtrain"]],
        modules=["WC"],
        funders="永康市应急管理局",
    )
    ProgrammeTarget.objects.create(programme=yk, kind=TargetKind.ENROLMENTS, value=50, due_on=b.day(215))
    yk_enrolments = b.enrol(yk, yongkang, b.day(-140))
    if yongkang:
        y_cohort, y_members = b.cohort(
            yk, "WC", "zjtrain", "永康 WC 第一批", "zj_trainer", list(yk_enrolments.values()), -100
        )
        b.session(y_cohort, y_members, -30, "永康市五金科技园会议中心", ("zj_trainer",))
        for index, member in enumerate(y_members):
            b.visits(
                member,
                [
                    (VisitKind.BASELINE, -80, True),
                    (VisitKind.FOLLOW_UP, -10, index % 2 == 0),
                    (VisitKind.FOLLOW_UP, 20, False),
                ],
                "zj_trainer",
                joint=False,
            )
            b.team(member.enterprise, b.day(-25))
