"""Demo suggestion histories, posters, improvement projects with savings and a few approved case studies.

Reproducible (every choice comes from ``ctx.rng``) and quick (bulk inserts).  The persona enterprise (the
``factory_manager``'s, in Nanxun) gets the richest history and a ``team_member`` persona on its improvement team.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile

from scorehub.accounts.demo import make_user
from scorehub.accounts.models import Membership
from scorehub.core.demodata import DemoContext
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import Role

from .importers import SuggestionImporter
from .models import (
    CODE_ALPHABET,
    TRACKING_CODE_LENGTH,
    CaseStudy,
    CaseStudyStatus,
    Category,
    Channel,
    Gender,
    ImprovementProject,
    Measurement,
    Photo,
    PhotoKind,
    Poster,
    ProjectStatus,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
)

# (category, problem, suggestion): what workers in these factories actually write.
IDEAS = [
    (Category.SAFETY, "3号冲床的防护罩松动，操作时手容易伸进去", "加固防护罩并加装双手按钮，每班开机前检查"),
    (Category.SAFETY, "仓库叉车通道和人行通道没有分开，经常有人横穿", "地面划黄线分出人行通道，转角装凸面镜"),
    (Category.SAFETY, "配电箱前堆放纸箱，检修时打不开门", "配电箱前一米划禁放区，贴警示标识"),
    (Category.SAFETY, "化学品仓库没有洗眼器，溅到眼睛来不及冲洗", "在化学品仓库门口安装紧急洗眼器"),
    (Category.SAFETY, "车间灭火器放在角落，被货架挡住", "把灭火器移到通道边，墙上贴定位标识"),
    (Category.SAFETY, "楼梯扶手松了，搬东西上下楼很危险", "修好扶手，楼梯边加防滑条"),
    (Category.QUALITY, "织机断经后接头不牢，布面常有疵点", "统一接头手法，做一张图示贴在机台旁"),
    (Category.QUALITY, "首件检验只凭目测，尺寸偏差发现得晚", "给每条线配一把卡尺，首件必须测量并记录"),
    (Category.QUALITY, "包装时标签贴错规格，客户投诉过两次", "标签按颜色区分规格，打包台放对照表"),
    (Category.PRODUCTIVITY, "换模要找工具，每次多花二十分钟", "做工具墙，按形状画出轮廓，用完放回"),
    (Category.PRODUCTIVITY, "物料离工位太远，来回走路浪费时间", "把常用物料移到工位旁的小推车上"),
    (Category.PRODUCTIVITY, "早班交接没有记录，设备问题说不清", "做一张交接班表，设备异常写清楚再交接"),
    (Category.COST, "空压机下班后还开着，晚上一直漏气", "下班关闭空压机，每月检查管路漏点"),
    (Category.COST, "边角料直接当废品卖，很多还能用", "边角料分类存放，小件产品优先用边角料"),
    (Category.COST, "车间灯一整天都开着，窗边其实很亮", "窗边区域装感光开关，白天自动关灯"),
    (Category.ENVIRONMENT, "染缸排水温度高，直接排走浪费热量", "加装换热器，用排水预热进水"),
    (Category.ENVIRONMENT, "喷漆房废气味道大，周围车间都能闻到", "检查活性炭箱，按时更换并做记录"),
    (Category.WORKING_CONDITIONS, "夏天车间太热，下午很多人头晕", "加装冷风机，下午两点到四点加一次休息"),
    (Category.WORKING_CONDITIONS, "缝纫工位椅子太矮，一天下来腰疼", "换成可调高度的椅子"),
    (Category.WORKING_CONDITIONS, "噪声大的工段耳塞不够用", "耳塞放在工段入口，随取随用，班组长每周补充"),
    (Category.COOPERATION, "改善建议交上去没人回复，大家就不想提了", "每周例会公布建议处理结果，贴在公告栏"),
    (Category.COOPERATION, "新员工不知道找谁反映问题", "入职时发一张联系卡，写明各车间改善团队成员"),
    (Category.COOPERATION, "班组之间互相推活，出了问题不好协调", "每月开一次跨班组协调会，由改善团队主持"),
]
REJECT_REASONS = [
    "已有同类改造计划，今年第四季度统一实施",
    "成本过高，暂不具备条件；改为先加强日常检查",
    "经现场核实，该问题已在上月整改完毕",
]
WORKSHOPS = ["织造车间", "染整车间", "成品仓库", "机修组", "包装车间"]
OWNERS = ["沈国平", "钱红梅", "陆建华", "周晓东", "吴美玲"]
PROJECTS = [
    # title, goal, module, category, cost, expected savings, measurement (name, unit, before, after)
    (
        "空压机管路查漏与夜间停机",
        "减少压缩空气泄漏和夜间空转，降低电费",
        "CP",
        Category.COST,
        3800,
        46000,
        ("空压机月耗电", "kWh", 21500, 15200),
    ),
    (
        "工具墙与快速换模",
        "把换模时间从40分钟降到20分钟以内",
        "QM",
        Category.PRODUCTIVITY,
        2600,
        38000,
        ("换模时间", "分钟", 40, 18),
    ),
    (
        "人车分流与叉车安全",
        "仓库内人车分离，消除叉车碰撞风险",
        "OSH",
        Category.SAFETY,
        5200,
        0,
        ("每月叉车险情", "次", 6, 1),
    ),
    (
        "染缸排水余热回收",
        "用排水余热预热进水，降低蒸汽消耗",
        "CP",
        Category.ENVIRONMENT,
        68000,
        126000,
        ("每吨布蒸汽消耗", "吨", 3.2, 2.5),
    ),
    ("首件检验标准化", "首件必测必记，降低批量返工", "QM", Category.QUALITY, 1500, 22000, ("返工率", "%", 4.8, 1.9)),
]


def _code(ctx: DemoContext, used: set[str]) -> str:
    while True:
        code = "".join(ctx.rng.choice(CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))
        if code not in used:
            used.add(code)
            return code


def _history(ctx: DemoContext, submitted: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """A realistic path through the statuses, with dates, never beyond today."""
    rng = ctx.rng
    now = ctx.aware(ctx.today, 18)
    path: list[tuple[str, dt.datetime]] = []
    age_days = (now - submitted).days
    if age_days < 3 or rng.random() < 0.08:
        return (
            path
            if rng.random() < 0.6
            else [(SuggestionStatus.UNDER_REVIEW, min(now, submitted + dt.timedelta(days=1)))]
        )
    decided = submitted + dt.timedelta(days=rng.randint(1, min(20, age_days)))
    if rng.random() < 0.25:
        return [(SuggestionStatus.REJECTED, decided)]
    path.append((SuggestionStatus.ADOPTED, decided))
    remaining = (now - decided).days
    if remaining < 2:
        return path
    started = decided + dt.timedelta(days=rng.randint(0, min(5, remaining)))
    path.append((SuggestionStatus.IN_PROGRESS, started))
    remaining = (now - started).days
    if remaining > 3 and rng.random() < 0.85:
        path.append((SuggestionStatus.IMPLEMENTED, started + dt.timedelta(days=rng.randint(2, min(45, remaining)))))
    return path


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    factory = ctx.organisations.get("factory")
    persona_enterprise = ctx.notes.get("persona_enterprise")
    manager = ctx.users.get("factory_manager")
    if factory is not None:
        member = make_user("team_member", "钱红梅（企业改善团队）")
        Membership.objects.create(user=member, organisation=factory, role=Role.TEAM_MEMBER)
        ctx.users["team_member"] = member

    posters: list[Poster] = []
    for enterprise in ctx.enterprises:
        posters.append(Poster(enterprise=enterprise, created_by=manager if enterprise == persona_enterprise else None))
        if enterprise == persona_enterprise:
            posters.extend(Poster(enterprise=enterprise, workshop=w, created_by=manager) for w in WORKSHOPS[:3])
    Poster.objects.bulk_create(posters)

    used_codes: set[str] = set()
    suggestions: list[Suggestion] = []
    histories: list[list[tuple[str, dt.datetime]]] = []
    for enterprise in ctx.enterprises:
        is_persona = enterprise == persona_enterprise
        count = 40 if is_persona else rng.randint(3, 14)
        for _ in range(count):
            category, problem, proposal = rng.choice(IDEAS)
            submitted = ctx.aware(ctx.today - dt.timedelta(days=rng.randint(0, 330)), rng.randint(7, 19))
            history = _history(ctx, submitted)
            final = history[-1][0] if history else SuggestionStatus.SUBMITTED
            named = rng.random() < 0.3
            suggestion = Suggestion(
                enterprise=enterprise,
                workshop=rng.choice(WORKSHOPS) if rng.random() < 0.7 else "",
                problem=problem,
                proposal=proposal,
                category=category,
                submitter_name=(rng.choice("王李张刘陈杨黄赵吴周徐") + rng.choice(["师傅", "建军", "秀兰", "海燕"]))
                if named
                else "",
                submitter_gender=rng.choice([Gender.WOMAN, Gender.MAN])
                if named or rng.random() < 0.3
                else Gender.UNKNOWN,
                channel=Channel.QR if rng.random() < 0.7 else Channel.MANUAL,
                tracking_code=_code(ctx, used_codes),
                status=final,
                submitted_at=submitted,
                created_by=None,
            )
            for status, at in history:
                if status in (SuggestionStatus.ADOPTED, SuggestionStatus.REJECTED) and suggestion.decided_at is None:
                    suggestion.decided_at = at
                if status == SuggestionStatus.REJECTED:
                    suggestion.rejection_reason = rng.choice(REJECT_REASONS)
                if status == SuggestionStatus.IN_PROGRESS:
                    suggestion.owner_name = rng.choice(OWNERS)
                    # Some work runs late: a due date already past.
                    suggestion.due_date = (at + dt.timedelta(days=rng.randint(7, 40))).date()
                if status == SuggestionStatus.IMPLEMENTED:
                    suggestion.implemented_at = at
                    suggestion.implementation_note = "已按建议完成整改，班组长验收。"
            suggestions.append(suggestion)
            histories.append(history)
    imported = _imported_register(ctx, suggestions, persona_enterprise, manager)
    Suggestion.objects.bulk_create(suggestions)
    if imported is not None:
        imported.save()

    events: list[SuggestionEvent] = []
    for suggestion, history in zip(suggestions, histories, strict=True):
        actor = manager if suggestion.enterprise == persona_enterprise else None
        events.append(
            SuggestionEvent(
                suggestion=suggestion,
                at=suggestion.submitted_at,
                kind=SuggestionEvent.Kind.SUBMITTED,
                to_status=SuggestionStatus.SUBMITTED,
                note=suggestion.get_channel_display(),
            )
        )
        previous: str = SuggestionStatus.SUBMITTED
        for status, at in history:
            note = ""
            if status == SuggestionStatus.REJECTED:
                note = suggestion.rejection_reason
            elif status == SuggestionStatus.IN_PROGRESS:
                note = f"{suggestion.owner_name} · {suggestion.due_date:%Y-%m-%d}"
            elif status == SuggestionStatus.IMPLEMENTED:
                note = suggestion.implementation_note
            events.append(
                SuggestionEvent(
                    suggestion=suggestion,
                    at=at,
                    actor=actor,
                    kind=SuggestionEvent.Kind.STATUS,
                    from_status=previous,
                    to_status=status,
                    note=note,
                )
            )
            previous = status
    SuggestionEvent.objects.bulk_create(events)

    _projects(ctx, suggestions, persona_enterprise, manager)


def _imported_register(
    ctx: DemoContext, suggestions: list[Suggestion], persona_enterprise: Any, manager: Any
) -> ImportJob | None:
    """The persona enterprise's paper register of its first months, imported by its manager (his job alone)."""
    if persona_enterprise is None or manager is None:
        return None
    cutoff = ctx.aware(ctx.today - dt.timedelta(days=240), 0)
    rows = [s for s in suggestions if s.enterprise == persona_enterprise and s.submitted_at < cutoff]
    for suggestion in rows:
        suggestion.channel = Channel.IMPORT
        suggestion.created_by = manager
    return ImportJob(
        importer=SuggestionImporter.path(),
        started_by=manager,
        file_name="合理化建议登记表.xlsx",
        file_size=9_216,
        status=ImportStatus.DONE,
        total_rows=len(rows),
        created_count=len(rows),
        checked_at=ctx.aware(ctx.today - dt.timedelta(days=200), 10),
        finished_at=ctx.aware(ctx.today - dt.timedelta(days=200), 11),
    )


def _projects(ctx: DemoContext, suggestions: list[Suggestion], persona_enterprise: Any, manager: Any) -> None:
    rng = ctx.rng
    trainer = ctx.users.get("trainer")
    projects: list[ImprovementProject] = []
    for enterprise in ctx.enterprises:
        is_persona = enterprise == persona_enterprise
        chosen = PROJECTS if is_persona else rng.sample(PROJECTS, rng.randint(0, 2))
        for index, (title, goal, module, category, cost, expected, _m) in enumerate(chosen):
            started = ctx.today - dt.timedelta(days=rng.randint(40, 300))
            status = ProjectStatus.COMPLETED if (index < 3 or rng.random() < 0.5) else ProjectStatus.IN_PROGRESS
            completed = started + dt.timedelta(days=rng.randint(20, 35)) if status == ProjectStatus.COMPLETED else None
            project = ImprovementProject(
                enterprise=enterprise,
                title=title,
                goal=goal,
                team="设备主管、班组长、两名一线员工",
                module=module,
                category=category,
                status=status,
                started_on=started,
                completed_on=min(completed, ctx.today) if completed else None,
                cost=Decimal(cost),
                expected_savings=Decimal(expected),
                created_by=manager if is_persona else None,
            )
            # Trainers verify most completed projects of the enterprises they coach (a little below the estimate).
            if status == ProjectStatus.COMPLETED and expected and rng.random() < 0.7:
                project.verified_savings = (Decimal(expected) * Decimal(rng.choice(["0.8", "0.9", "1.0"]))).quantize(
                    Decimal("1")
                )
                project.verified_by = trainer
                project.verified_at = ctx.aware(project.completed_on or ctx.today, 15)
                project.verification_note = "现场核对电费单和生产记录。"
            projects.append(project)
    ImprovementProject.objects.bulk_create(projects)

    measurements = []
    for project in projects:
        spec = next(p for p in PROJECTS if p[0] == project.title)
        name, unit, before, after = spec[6]
        measurements.append(
            Measurement(
                project=project,
                name=name,
                unit=unit,
                before=Decimal(str(before)),
                after=Decimal(str(after)) if project.status == ProjectStatus.COMPLETED else None,
            )
        )
    Measurement.objects.bulk_create(measurements)

    # Adopted suggestions of the persona enterprise join the project of their category.
    by_title = {p.title: p for p in projects if p.enterprise == persona_enterprise}
    joined = []
    for suggestion in suggestions:
        if suggestion.enterprise != persona_enterprise or suggestion.status not in (
            SuggestionStatus.IMPLEMENTED,
            SuggestionStatus.IN_PROGRESS,
        ):
            continue
        match = next((p for p in by_title.values() if p.category == suggestion.category), None)
        if match is not None:
            suggestion.project = match
            joined.append(suggestion)
    Suggestion.objects.bulk_update(joined, ["project"])

    # Two approved case studies and one waiting for the programme office.
    verified_done = [p for p in projects if p.status == ProjectStatus.COMPLETED and p.is_verified]
    admin = ctx.users.get("admin")
    cases = []
    for index, project in enumerate(verified_done[:3]):
        approved = index < 2
        cases.append(
            CaseStudy(
                project=project,
                enterprise=project.enterprise,
                title_zh=project.title,
                title_en={
                    "空压机管路查漏与夜间停机": "Compressed-air leaks fixed and night shutdown",
                    "工具墙与快速换模": "A shadow board and quick die change",
                    "人车分流与叉车安全": "Separating people and forklifts",
                    "染缸排水余热回收": "Heat recovery from dyeing wastewater",
                    "首件检验标准化": "Standard first-piece inspection",
                }.get(project.title, ""),
                summary_zh=f"一线员工提出建议，改善团队组织实施：{project.goal}。",
                summary_en="Frontline workers proposed it; the improvement team carried it out.",
                before_text="问题长期存在，大家习以为常，没有人负责跟进。",
                after_text="措施落实到班组，每周检查，效果有测量记录。",
                annual_savings=project.verified_savings or project.expected_savings,
                savings_verified=project.is_verified,
                module=project.module,
                show_enterprise_name=index == 0,
                status=CaseStudyStatus.APPROVED if approved else CaseStudyStatus.PROPOSED,
                proposed_by=manager if project.enterprise == persona_enterprise else trainer,
                proposed_at=ctx.aware(project.completed_on or ctx.today, 10),
                approved_by=admin if approved else None,
                approved_at=ctx.aware(project.completed_on or ctx.today, 16) if approved else None,
            )
        )
    CaseStudy.objects.bulk_create(cases)
    _photos(ctx, suggestions, projects, cases, persona_enterprise, manager)


_PICTURES: dict[bool, bytes] = {}


def _picture(ctx: DemoContext, *, tidy: bool) -> bytes:
    if tidy not in _PICTURES:
        _PICTURES[tidy] = _draw(ctx, tidy=tidy)
    return _PICTURES[tidy]


def _draw(ctx: DemoContext, *, tidy: bool) -> bytes:
    """A small synthetic workshop picture: boxes scattered across the floor (before) or lined up along a
    yellow walkway (after)."""
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(tidy)  # its own generator: the demo's sequence must not depend on this cache
    image = Image.new("RGB", (640, 480), (188, 190, 184))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(120, 124, 118))
    if tidy:
        draw.rectangle((0, 380, 640, 396), fill=(240, 200, 40))
        for i in range(6):
            x = 30 + i * 100
            draw.rectangle((x, 220, x + 80, 300), fill=(150, 110, 70), outline=(60, 40, 20))
    else:
        for _ in range(9):
            x, y = rng.randint(0, 560), rng.randint(230, 400)
            draw.rectangle((x, y, x + rng.randint(40, 90), y + rng.randint(30, 70)), fill=(150, 110, 70))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def _photos(
    ctx: DemoContext,
    suggestions: list[Suggestion],
    projects: list[ImprovementProject],
    cases: list[CaseStudy],
    persona_enterprise: Any,
    manager: Any,
) -> None:
    """A few photos for the persona enterprise: a problem photo, before / after photos of two projects, and
    the pictures of the case studies (stored under MEDIA_ROOT like uploaded ones)."""
    if persona_enterprise is None:
        return
    first_safety = next(
        (s for s in suggestions if s.enterprise == persona_enterprise and s.category == Category.SAFETY), None
    )
    if first_safety is not None:
        photo = Photo(
            enterprise=persona_enterprise, suggestion=first_safety, kind=PhotoKind.PROBLEM, width=640, height=480
        )
        photo.image.save("demo.jpg", ContentFile(_picture(ctx, tidy=False)), save=False)
        photo.save()
    own = [p for p in projects if p.enterprise == persona_enterprise][:2]
    for project in own:
        for kind, tidy in ((PhotoKind.BEFORE, False), (PhotoKind.AFTER, True)):
            photo = Photo(
                enterprise=persona_enterprise, project=project, kind=kind, uploaded_by=manager, width=640, height=480
            )
            photo.image.save("demo.jpg", ContentFile(_picture(ctx, tidy=tidy)), save=False)
            photo.save()
    for case in cases:
        case.before_image.save("case.jpg", ContentFile(_picture(ctx, tidy=False)), save=False)
        case.after_image.save("case.jpg", ContentFile(_picture(ctx, tidy=True)), save=False)
    CaseStudy.objects.bulk_update(cases, ["before_image", "after_image"])
