"""Demo work-safety records: two checklists, two years of checks with the hazards they found and how
they were rectified, risk points, accidents (fewer in the last year than the year before, as in the
Huzhou pilot), hours worked, planned inspections and the workers' notice boards.

Everything is made with bulk inserts from ``ctx.rng`` so that it is reproducible and quick.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
import uuid
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile

from scorehub.accounts.models import Organisation, OrganisationKind
from scorehub.core.demodata import DemoContext

from .checklist_data import FIREWORKS, GENERAL_MANUFACTURING, MANUFACTURING_DIVISIONS
from .models import (
    Accident,
    AccidentSeverity,
    AffectedPerson,
    BureauNotification,
    CheckKind,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    CheckResult,
    EventKind,
    Hazard,
    HazardClass,
    HazardEvent,
    HazardSource,
    HazardStatus,
    HoursWorked,
    NoticeBoard,
    Outcome,
    PhotoStage,
    PlannedInspection,
    RectificationPlan,
    RiskMethod,
    RiskPoint,
    SafetyCheck,
    SafetyPhoto,
    level_for_lec,
)

WORKSHOPS = ["一车间", "二车间", "三车间", "仓库", "配电房", "空压机房", "包装车间", "原料库", "锅炉房", "检修车间"]
RESPONSIBLE = ["车间主任", "设备主管", "安全员", "班组长", "仓库主管"]
MEASURES = [
    "立即整改，加装防护装置",
    "更换破损部件并组织班组培训",
    "清理通道，划线定置",
    "联系有资质单位检测维修",
    "补充配备并建立检查记录",
]
RECTIFIED_NOTES = [
    "已加装防护罩，班前检查确认",
    "已更换并试运行正常，附整改照片",
    "已清理并划线，纳入5S日常检查",
    "已由专业单位检测合格，报告存档",
    "已补充配备，建立月度检查表",
]

# Risk points: name, place, hazard factors, L, E, C, control measures, responsible level.
RISK_POINTS = [
    ("配电房", "配电房", "触电、电气火灾", "1", "6", "15", "持证电工操作，配绝缘用具，定期检测", "workshop"),
    (
        "空压机及储气罐",
        "空压机房",
        "容器爆炸、机械伤害、噪声",
        "1",
        "6",
        "40",
        "储气罐定期检验，安全阀校验，设防护罩",
        "company",
    ),
    ("冲压作业", "二车间", "机械伤害", "3", "6", "7", "光电保护，双手按钮，班前点检", "team"),
    ("叉车作业", "仓库", "车辆伤害", "3", "6", "7", "持证驾驶，限速5公里，人车分流", "team"),
    ("化学品仓库", "原料库", "火灾、中毒", "1", "3", "40", "分类存放，通风，可燃气体报警，专人管理", "company"),
    ("打磨抛光", "三车间", "粉尘爆炸、机械伤害", "3", "6", "40", "湿式除尘，定期清灰，防爆电气", "company"),
    ("行车吊装", "一车间", "起重伤害", "1", "6", "15", "持证操作，限位器和防脱钩检查", "workshop"),
    ("污水池清理", "厂区污水池", "中毒窒息", "0.5", "2", "40", "审批，先通风再检测后作业，专人监护", "company"),
    ("砂轮机", "检修车间", "机械伤害", "1", "3", "7", "防护罩，挡屑板，佩戴护目镜", "post"),
    ("包装线", "包装车间", "机械伤害", "1", "6", "3", "急停按钮，防护栏，培训", "post"),
]

ACCIDENTS = [
    ("machinery", "二车间", "操作冲床时手指被夹伤", "光电保护装置被短接", "恢复光电保护，全面排查设备安全装置"),
    ("struck", "仓库", "货架上纸箱掉落砸伤员工肩部", "物料堆放过高", "限定堆放高度，货架加装挡板"),
    ("slip", "一车间", "员工在油污地面滑倒扭伤脚踝", "设备漏油未及时清理", "修复漏油点，设接油盘并每班清理"),
    ("electric", "配电房", "维修时轻微触电", "未执行停电挂牌", "落实上锁挂牌制度并培训"),
    ("vehicle", "厂区道路", "叉车倒车时碰到行人", "人车未分流", "划设人行通道，叉车加装倒车报警"),
    ("burn", "锅炉房", "更换阀门时被热水烫伤", "未泄压降温即作业", "制定检修作业规程，配防烫手套"),
]


def _template(code: str, name_zh: str, name_en: str, industries: list[str], description: str) -> ChecklistTemplate:
    return ChecklistTemplate.objects.create(
        code=code, name_zh=name_zh, name_en=name_en, industries=industries, description=description
    )


def _items(version: ChecklistVersion, rows: list[tuple[str, str, str, str, str, str]]) -> list[ChecklistItem]:
    return ChecklistItem.objects.bulk_create(
        ChecklistItem(
            version=version,
            position=i,
            code=code,
            category=category,
            text_zh=zh,
            text_en=en,
            reference=ref,
            default_hazard_class=cls,
        )
        for i, (code, category, zh, en, ref, cls) in enumerate(rows, start=1)
    )


def _demo_photo(hazard: Hazard, stage: str, colour: tuple[int, int, int]) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 280, 200), outline=(255, 255, 255), width=6)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    photo = SafetyPhoto(
        enterprise=hazard.enterprise,
        hazard=hazard,
        check_result=hazard.check_result if stage == PhotoStage.FINDING else None,
        stage=stage,
        width=320,
        height=240,
    )
    photo.image.save("demo.jpg", ContentFile(out.getvalue()), save=False)
    photo.save()


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    today = ctx.today
    admin = ctx.users.get("admin")
    inspector = ctx.users.get("nanxun_inspector")
    huzhou_official = ctx.users.get("huzhou_official")
    trainer = ctx.users.get("trainer")
    manager = ctx.users.get("factory_manager")
    persona = ctx.notes.get("persona_enterprise")

    # Checklists: the general manufacturing one was extended after use (v1 → v2).
    general = _template(
        "GEN-MFG",
        "工贸企业通用安全检查表",
        "General manufacturing safety checklist",
        MANUFACTURING_DIVISIONS,
        "适用于一般制造业企业的综合检查 / For routine checks in general manufacturing.",
    )
    v1 = ChecklistVersion.objects.create(template=general, number=1, created_by=admin, note="首版 / First version")
    v1_items = _items(v1, GENERAL_MANUFACTURING[:-3])
    v2 = ChecklistVersion.objects.create(
        template=general, number=2, created_by=admin, note="增加职业健康检查项 / Occupational health items added"
    )
    v2_items = _items(v2, GENERAL_MANUFACTURING)
    fireworks = _template(
        "FIREWORKS",
        "烟花爆竹生产企业安全检查表",
        "Fireworks production safety checklist",
        ["26"],
        "烟花爆竹生产企业专项检查 / Special checks for fireworks production.",
    )
    fw = ChecklistVersion.objects.create(template=fireworks, number=1, created_by=admin, note="首版 / First version")
    fw_items = _items(fw, FIREWORKS)
    ctx.notes["safety_templates"] = {"general": general, "fireworks": fireworks}

    enterprises = ctx.enterprises
    bureaus = list(Organisation.objects.filter(kind=OrganisationKind.BUREAU, region__isnull=False))

    # 1. Checks (two years: the year before the programme, and the programme year with more inspections).
    checks: list[SafetyCheck] = []
    plans: list[tuple[SafetyCheck, list[ChecklistItem]]] = []
    for enterprise in enterprises:
        is_fireworks = "烟花爆竹" in enterprise.name_zh
        in_huzhou = enterprise.region_id.startswith("3305")
        schedule: list[tuple[str, int]] = []
        schedule += [(CheckKind.SELF_CHECK, rng.randint(400, 720)) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.5:
            schedule.append((CheckKind.GOVERNMENT, rng.randint(400, 720)))
        schedule += [(CheckKind.SELF_CHECK, rng.randint(5, 360)) for _ in range(rng.randint(2, 4))]
        schedule += [(CheckKind.GOVERNMENT, rng.randint(10, 360)) for _ in range(rng.randint(1, 2) if in_huzhou else 1)]
        if rng.random() < 0.6:
            schedule.append((CheckKind.JOINT_VISIT, rng.randint(20, 300)))
        if rng.random() < 0.5:
            schedule.append((CheckKind.WALKTHROUGH, rng.randint(20, 300)))
        if enterprise == persona:
            schedule += [(CheckKind.SELF_CHECK, 3), (CheckKind.GOVERNMENT, 40), (CheckKind.JOINT_VISIT, 70)]
        for kind, days_ago in schedule:
            day = today - dt.timedelta(days=days_ago)
            if is_fireworks:
                version, items = fw, fw_items
            elif days_ago > 180:
                version, items = v1, v1_items
            else:
                version, items = v2, v2_items
            if kind == CheckKind.SELF_CHECK:
                who = manager if enterprise == persona else None
            elif kind == CheckKind.WALKTHROUGH:
                who = trainer if enterprise.region_id in ("330503", "330521", "110111") else None
            else:
                who = inspector if enterprise.region_id == "330503" else (huzhou_official if in_huzhou else None)
            check = SafetyCheck(
                enterprise=enterprise,
                kind=kind,
                version=version,
                checked_on=day,
                place=rng.choice(WORKSHOPS),
                inspector=who,
                client_uuid=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
            checks.append(check)
            plans.append((check, rng.sample(items, min(len(items), rng.randint(12, 20)))))
    SafetyCheck.objects.bulk_create(checks)

    # 2. Results; about one item in sixteen fails.
    results: list[CheckResult] = []
    for check, sampled in plans:
        for item in sampled:
            roll = rng.random()
            outcome = Outcome.FAIL if roll < 0.062 else Outcome.NOT_APPLICABLE if roll < 0.1 else Outcome.PASS
            results.append(
                CheckResult(
                    check_record=check,
                    item=item,
                    outcome=outcome,
                    note=rng.choice(["现场发现", "抽查发现", "整改前拍照", ""]) if outcome == Outcome.FAIL else "",
                )
            )
    CheckResult.objects.bulk_create(results)
    item_by_id = {i.pk: i for i in [*v1_items, *v2_items, *fw_items]}
    check_type = ContentType.objects.get_for_model(CheckResult)

    # 3. Hazards from the failed items, most rectified, verified and closed; a few still open or overdue.
    hazards: list[Hazard] = []
    for row in results:
        if row.outcome != Outcome.FAIL:
            continue
        check = row.check_record
        item = item_by_id[row.item_id]
        found = check.checked_on
        age = (today - found).days
        hazard = Hazard(
            enterprise=check.enterprise,
            source_kind=HazardSource.CHECK,
            source_type=check_type,
            source_id=row.pk,
            source_reference=f"{check.get_kind_display()} {found:%Y-%m-%d}",
            check_result=row,
            place=check.place,
            description=f"{item.code} {item.text_zh}" + (f"\n{row.note}" if row.note else ""),
            hazard_class=item.default_hazard_class,
            nature="enforcement" if check.kind == CheckKind.GOVERNMENT else "advice",
            found_on=found,
            found_by=check.inspector,
        )
        major = hazard.hazard_class == HazardClass.MAJOR
        hazard.deadline = found + dt.timedelta(days=rng.choice([30, 45, 60] if major else [3, 7, 15, 30]))
        hazard.responsible_person = rng.choice(RESPONSIBLE)
        hazard.required_measures = rng.choice(MEASURES)
        roll = rng.random()
        if (age > 45 and roll < 0.95) or (age <= 45 and roll < 0.5):
            took = rng.randint(0, max(1, (hazard.deadline - found).days + (8 if roll > 0.9 else 0)))
            hazard.rectified_on = min(found + dt.timedelta(days=took), today)
            hazard.rectification_note = rng.choice(RECTIFIED_NOTES)
            hazard.rectified_by = manager if hazard.enterprise == persona else None
            hazard.status = HazardStatus.RECTIFIED
            if (today - hazard.rectified_on).days > 5:
                hazard.verified_on = min(hazard.rectified_on + dt.timedelta(days=rng.randint(1, 5)), today)
                hazard.verified_by = inspector if check.enterprise.region_id == "330503" else huzhou_official
                hazard.status = HazardStatus.VERIFIED
                if (today - hazard.verified_on).days > 10:
                    hazard.closed_on = hazard.verified_on
                    hazard.status = HazardStatus.CLOSED
        else:
            hazard.status = HazardStatus.ASSIGNED
        hazards.append(hazard)
    Hazard.objects.bulk_create(hazards)

    events: list[HazardEvent] = []
    plans_to_make: list[RectificationPlan] = []
    notifications: list[BureauNotification] = []
    for h in hazards:
        found_at = ctx.aware(h.found_on, 10)
        events.append(
            HazardEvent(hazard=h, kind=EventKind.FOUND, at=found_at, actor=h.found_by, note=h.source_reference)
        )
        events.append(
            HazardEvent(
                hazard=h,
                kind=EventKind.ASSIGNED,
                at=found_at + dt.timedelta(hours=2),
                actor=h.found_by,
                note=f"{h.deadline:%Y-%m-%d} {h.required_measures}",
            )
        )
        if h.hazard_class == HazardClass.MAJOR:
            plans_to_make.append(
                RectificationPlan(
                    hazard=h,
                    objective="消除重大事故隐患，达到标准要求",
                    measures=h.required_measures,
                    funds=Decimal(rng.choice([5000, 12000, 30000, 80000])),
                    responsible_person=h.responsible_person,
                    deadline=h.deadline or h.found_on,
                    interim_measures="设置警戒区域，停用相关设备，专人看守",
                    created_by=h.found_by,
                )
            )
            events.append(
                HazardEvent(hazard=h, kind=EventKind.PLAN, at=found_at + dt.timedelta(hours=3), actor=h.found_by)
            )
            for bureau in bureaus:
                if h.enterprise.region_id.startswith(bureau.region.prefix if bureau.region else "-"):
                    old = (today - h.found_on).days > 20
                    notifications.append(
                        BureauNotification(
                            bureau=bureau,
                            hazard=h,
                            created_at=found_at + dt.timedelta(hours=1),
                            read_at=found_at + dt.timedelta(days=1) if old else None,
                        )
                    )
            events.append(
                HazardEvent(hazard=h, kind=EventKind.REPORTED, at=found_at + dt.timedelta(hours=1), actor=h.found_by)
            )
        if h.rectified_on:
            events.append(
                HazardEvent(
                    hazard=h,
                    kind=EventKind.RECTIFIED,
                    at=ctx.aware(h.rectified_on, 16),
                    actor=h.rectified_by,
                    note=h.rectification_note,
                )
            )
        if h.verified_on:
            events.append(
                HazardEvent(hazard=h, kind=EventKind.VERIFIED, at=ctx.aware(h.verified_on, 11), actor=h.verified_by)
            )
        if h.closed_on:
            events.append(
                HazardEvent(hazard=h, kind=EventKind.CLOSED, at=ctx.aware(h.closed_on, 12), actor=h.verified_by)
            )
    RectificationPlan.objects.bulk_create(plans_to_make)
    HazardEvent.objects.bulk_create(events)
    BureauNotification.objects.bulk_create(notifications)

    # 4. Risk points (LEC), accidents, hours worked, notice boards.
    points: list[RiskPoint] = []
    accidents: list[Accident] = []
    people: list[tuple[Accident, list[AffectedPerson]]] = []
    hours: list[HoursWorked] = []
    for enterprise in enterprises:
        for name, place, factors, l_, e_, c_, measures, level in rng.sample(RISK_POINTS, rng.randint(3, 6)):
            d = Decimal(l_) * Decimal(e_) * Decimal(c_)
            points.append(
                RiskPoint(
                    enterprise=enterprise,
                    name=name,
                    place=place,
                    hazard_factors=factors,
                    method=RiskMethod.LEC,
                    lec_l=Decimal(l_),
                    lec_e=Decimal(e_),
                    lec_c=Decimal(c_),
                    score=d.quantize(Decimal("0.1")),
                    level=level_for_lec(d),
                    control_measures=measures,
                    responsible_level=level,
                    assessed_on=today - dt.timedelta(days=rng.randint(30, 300)),
                )
            )
        # Accidents: more in the year before the programme than in the programme year.
        for days_range, count in (((366, 730), rng.choice([0, 1, 1, 2, 3])), ((1, 365), rng.choice([0, 0, 0, 1]))):
            for _ in range(count):
                kind, place, what, cause, action = rng.choice(ACCIDENTS)
                severity = rng.choices(
                    [
                        AccidentSeverity.NEAR_MISS,
                        AccidentSeverity.FIRST_AID,
                        AccidentSeverity.LOST_TIME,
                        AccidentSeverity.SERIOUS,
                    ],
                    weights=[3, 4, 4, 1],
                )[0]
                accident = Accident(
                    enterprise=enterprise,
                    occurred_on=today - dt.timedelta(days=rng.randint(*days_range)),
                    place=place,
                    accident_type=kind,
                    severity=severity,
                    description=what,
                    cause=cause,
                    corrective_actions=action,
                    recorded_by=manager if enterprise == persona else None,
                )
                accidents.append(accident)
                if severity != AccidentSeverity.NEAR_MISS:
                    days = {"first_aid": 0, "lost_time": rng.randint(2, 20), "serious": rng.randint(30, 120)}[severity]
                    people.append(
                        (
                            accident,
                            [
                                AffectedPerson(
                                    gender=rng.choice(["female", "male", "male"]),
                                    injury={"first_aid": "minor", "lost_time": "lost_time", "serious": "serious"}[
                                        severity
                                    ],
                                    days_lost=days,
                                )
                            ],
                        )
                    )
        if rng.random() < 0.5 or enterprise == persona:
            for year in (today.year - 1, today.year):
                hours.append(
                    HoursWorked(
                        enterprise=enterprise, year=year, hours=enterprise.employees_total * rng.randint(1900, 2300)
                    )
                )
    RiskPoint.objects.bulk_create(points)
    Accident.objects.bulk_create(accidents)
    affected = []
    for accident, persons in people:
        for person in persons:
            person.accident = accident
            affected.append(person)
    AffectedPerson.objects.bulk_create(affected)
    HoursWorked.objects.bulk_create(hours)
    NoticeBoard.objects.bulk_create(NoticeBoard(enterprise=e, token=secrets.token_urlsafe()) for e in enterprises)

    # 5. Two photos on one of the persona enterprise's rectified hazards (made here, not downloaded).
    shown = next((h for h in hazards if h.enterprise == persona and h.rectified_on), None)
    if shown is not None:
        for stage, colour in ((PhotoStage.FINDING, (180, 60, 40)), (PhotoStage.RECTIFICATION, (60, 150, 80))):
            _demo_photo(shown, stage, colour)

    # 6. Planned inspections for a few Huzhou enterprises (not the persona's: its check is in the tests).
    others = [e for e in enterprises if e != persona]
    planned = [e for e in others if e.region_id == "330503"][:1]
    planned += [e for e in others if e.region_id.startswith("3305") and e not in planned][: 3 - len(planned)]
    PlannedInspection.objects.bulk_create(
        PlannedInspection(
            enterprise=e,
            planned_for=today + dt.timedelta(days=7 + 3 * i),
            kind=CheckKind.GOVERNMENT,
            grade="B",
            score=Decimal("40"),
            reason="风险分级计划 / risk-based plan",
            created_by=huzhou_official,
        )
        for i, e in enumerate(planned)
    )
