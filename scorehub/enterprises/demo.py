"""Demo enterprises over the pilot regions, with valid credit codes whose region part matches."""

from __future__ import annotations

from scorehub.accounts.demo import make_user
from scorehub.accounts.models import Membership, Organisation, OrganisationKind, ProviderAssignment
from scorehub.core.demodata import DemoContext
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import Role

from .credit_code import ALPHABET, build_credit_code
from .importers import EnterpriseImporter
from .models import BuyerConsent, ContactPerson, Enterprise, EnterpriseStatus, SizeClass

# Districts and their share of the demo enterprises (Huzhou carries the pilot, as in the reports).
DISTRICTS = [
    ("330503", "南浔", 0.26),
    ("330521", "德清", 0.18),
    ("330502", "吴兴", 0.12),
    ("330522", "长兴", 0.10),
    ("330523", "安吉", 0.08),
    ("330784", "永康", 0.14),
    ("110111", "房山", 0.12),
]

# Industries of the reports: division, words for a name, English word.
INDUSTRIES = [
    ("17", ["纺织", "丝绸", "织造", "印染"], "Textiles"),
    ("18", ["服饰", "制衣"], "Garments"),
    ("26", ["化工", "涂料", "新材料"], "Chemicals"),
    ("26", ["烟花爆竹"], "Fireworks"),
    ("30", ["玻璃", "建材", "陶瓷"], "Glass"),
    ("34", ["机械", "精密机械", "轴承"], "Machinery"),
    ("21", ["家具", "木业", "实木家具"], "Furniture"),
    ("33", ["五金", "金属制品", "不锈钢"], "Metalware"),
    ("38", ["电机", "电器"], "Electrical"),
    ("29", ["塑业", "橡塑"], "Plastics"),
]
FIRST = "丰华明达恒昌永盛鑫源宏达富康金泰瑞祥天成德润华美新宇隆兴嘉禾正通博远"
PINYIN = {
    "南浔": "Nanxun",
    "德清": "Deqing",
    "吴兴": "Wuxing",
    "长兴": "Changxing",
    "安吉": "Anji",
    "永康": "Yongkang",
    "房山": "Fangshan",
    "丰华": "Fenghua",
    "明达": "Mingda",
    "恒昌": "Hengchang",
    "永盛": "Yongsheng",
    "鑫源": "Xinyuan",
    "宏达": "Hongda",
    "富康": "Fukang",
    "金泰": "Jintai",
    "瑞祥": "Ruixiang",
    "天成": "Tiancheng",
    "德润": "Derun",
    "华美": "Huamei",
    "新宇": "Xinyu",
    "隆兴": "Longxing",
    "嘉禾": "Jiahe",
    "正通": "Zhengtong",
    "博远": "Boyuan",
}
SUFFIXES = ["有限公司", "股份有限公司", "制造有限公司"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡沈陆钱"
GIVEN = ["建国", "丽华", "志强", "秀英", "海燕", "国平", "晓东", "美玲", "红梅", "伟", "芳", "军", "静", "磊"]


def _pick_district(ctx: DemoContext, index: int) -> tuple[str, str]:
    # Deterministic spread by share, so small data sets still cover every district.
    total = len(DISTRICTS)
    if index < total:
        code, place, _ = DISTRICTS[index]
        return code, place
    weights = [share for _, _, share in DISTRICTS]
    code, place, _ = ctx.rng.choices(DISTRICTS, weights=weights)[0]
    return code, place


def _size_for(employees: int) -> str:
    if employees < 20:
        return SizeClass.MICRO
    if employees < 300:
        return SizeClass.SMALL
    if employees < 1000:
        return SizeClass.MEDIUM
    return SizeClass.LARGE


def build(ctx: DemoContext) -> None:
    rng = ctx.rng
    used_names: set[str] = set()
    used_codes: set[str] = set()
    enterprises = []
    for index in range(ctx.enterprise_count):
        region_code, place = _pick_district(ctx, index)
        division, words, english = rng.choice(INDUSTRIES)
        if index == 0:
            # The enterprise of the factory_manager persona: always the same, in Nanxun.
            region_code, place, division, words, english = "330503", "南浔", "17", ["丝绸"], "Silk"
            first = "丰华"
        else:
            first = rng.choice([FIRST[i : i + 2] for i in range(0, len(FIRST), 2)])
        word = rng.choice(words)
        name = f"{place}{first}{word}{rng.choice(SUFFIXES)}"
        while name in used_names:
            name = f"{place}{first}{word}{rng.choice('一二三四五六七八九')}厂{rng.choice(SUFFIXES)}"
        used_names.add(name)
        code = build_credit_code(region_code, "".join(rng.choice(ALPHABET) for _ in range(9)))
        while code in used_codes:
            code = build_credit_code(region_code, "".join(rng.choice(ALPHABET) for _ in range(9)))
        used_codes.add(code)
        employees = rng.choice([rng.randint(12, 60), rng.randint(60, 280), rng.randint(280, 900)])
        enterprise = Enterprise(
            name_zh=name,
            name_en=f"{PINYIN[place]} {PINYIN[first]} {english} Co., Ltd." if rng.random() < 0.6 else "",
            credit_code=code,
            region_id=region_code,
            address=f"{place}{rng.choice(['经济开发区', '工业园区', '镇'])}{rng.randint(1, 399)}号",
            industry_division=division,
            size_class=_size_for(employees),
            employees_total=employees,
            employees_women=int(employees * rng.uniform(0.15, 0.65)),
            status=EnterpriseStatus.ACTIVE if rng.random() < 0.95 else EnterpriseStatus.SUSPENDED,
        )
        enterprise.save()
        enterprises.append(enterprise)
        ContactPerson.objects.create(
            enterprise=enterprise,
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            position=rng.choice(["总经理", "安全主管", "生产经理", "人事经理"]),
            phone=f"13{rng.randint(100000000, 999999999)}",
            is_primary=True,
        )
    ctx.enterprises = enterprises

    # The factory_manager persona runs the first (Nanxun) enterprise.
    persona_enterprise = enterprises[0]
    ctx.notes["persona_enterprise"] = persona_enterprise
    enterprise_org = Organisation.objects.create(
        kind=OrganisationKind.ENTERPRISE,
        name_zh=persona_enterprise.name_zh,
        name_en=persona_enterprise.name_en,
        region_id=persona_enterprise.region_id,
        enterprise=persona_enterprise,
    )
    ctx.organisations["factory"] = enterprise_org
    manager = make_user("factory_manager", "沈国平（企业负责人）")
    Membership.objects.create(user=manager, organisation=enterprise_org, role=Role.ENTERPRISE_MANAGER)
    ctx.users["factory_manager"] = manager

    # Providers are assigned the enterprises they train: the national centre has Nanxun, Deqing and
    # Fangshan; the Zhejiang provider the rest of Huzhou and Yongkang.
    for enterprise in enterprises:
        provider = "cec" if enterprise.region_id in ("330503", "330521", "110111") else "zjtrain"
        ProviderAssignment.objects.create(provider=ctx.organisations[provider], enterprise=enterprise)

    # Three suppliers let the buyer follow them, one of which later revoked.
    buyer = ctx.organisations["buyer"]
    suppliers = [e for e in enterprises if e.industry_division in ("17", "18")][:4]
    for supplier in suppliers[:3]:
        BuyerConsent.objects.create(enterprise=supplier, buyer=buyer, granted_by=manager)
    if len(suppliers) > 3:
        from django.utils import timezone

        BuyerConsent.objects.create(
            enterprise=suppliers[3], buyer=buyer, granted_by=manager, revoked_at=timezone.now(), revoked_by=manager
        )

    # The Huzhou official once imported a list of enterprises: her import page shows the job (hers alone).
    ImportJob.objects.create(
        importer=EnterpriseImporter.path(),
        started_by=ctx.users["huzhou_official"],
        file_name="南浔区企业名录.xlsx",
        file_size=18_432,
        status=ImportStatus.DONE,
        total_rows=len([e for e in enterprises if e.region_id == "330503"]),
        created_count=len([e for e in enterprises if e.region_id == "330503"]),
        checked_at=ctx.aware(ctx.today, 9),
        finished_at=ctx.aware(ctx.today, 10),
    )
