"""Demo organisations and personas (the enterprise-bound ones are finished by ``enterprises.demo``)."""

from __future__ import annotations

from scorehub.core.demodata import DEMO_PASSWORD, DemoContext
from scorehub.core.scoping import Role

from .models import Membership, Organisation, OrganisationKind, User

ORGANISATIONS = [
    # key, kind, name_zh, name_en, region
    ("office", OrganisationKind.PROGRAMME_OFFICE, "SCORE 项目办公室", "SCORE Programme Office", None),
    ("mem", OrganisationKind.BUREAU, "应急管理部", "Ministry of Emergency Management", None),
    ("zhejiang", OrganisationKind.BUREAU, "浙江省应急管理厅", "Zhejiang Emergency Management Department", "330000"),
    ("huzhou", OrganisationKind.BUREAU, "湖州市应急管理局", "Huzhou Emergency Management Bureau", "330500"),
    ("nanxun", OrganisationKind.BUREAU, "南浔区应急管理局", "Nanxun District Emergency Management Bureau", "330503"),
    ("deqing", OrganisationKind.BUREAU, "德清县应急管理局", "Deqing County Emergency Management Bureau", "330521"),
    ("yongkang", OrganisationKind.BUREAU, "永康市应急管理局", "Yongkang Emergency Management Bureau", "330784"),
    (
        "fangshan",
        OrganisationKind.BUREAU,
        "房山区应急管理局",
        "Fangshan District Emergency Management Bureau",
        "110111",
    ),
    (
        "cec",
        OrganisationKind.PROVIDER,
        "中国企业联合会培训中心",
        "China Enterprise Confederation Training Centre",
        "110000",
    ),
    (
        "zjtrain",
        OrganisationKind.PROVIDER,
        "浙江安全生产培训服务中心",
        "Zhejiang Work Safety Training Services",
        "330500",
    ),
    ("buyer", OrganisationKind.BUYER, "环球品牌采购（上海）有限公司", "GlobalBrand Sourcing (Shanghai)", None),
]

PERSONAS = [
    # username, display name, organisation key, role
    ("admin", "项目管理员", "office", Role.PROGRAMME_ADMIN),
    ("zhejiang_official", "王建国（浙江省应急管理厅）", "zhejiang", Role.OFFICIAL),
    ("huzhou_official", "沈丽华（湖州市应急管理局）", "huzhou", Role.OFFICIAL),
    ("nanxun_inspector", "陆志强（南浔区安全监管执法）", "nanxun", Role.INSPECTOR),
    ("trainer", "李敏（SCORE 培训师）", "cec", Role.TRAINER),
    ("buyer", "Emma Clarke (GlobalBrand)", "buyer", Role.BUYER_VIEWER),
    ("fangshan_official", "张伟（房山区应急管理局）", "fangshan", Role.OFFICIAL),
]


def make_user(username: str, display_name: str, *, superuser: bool = False) -> User:
    user = User(username=username, display_name=display_name, is_staff=superuser, is_superuser=superuser)
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def build(ctx: DemoContext) -> None:
    for key, kind, name_zh, name_en, region in ORGANISATIONS:
        ctx.organisations[key] = Organisation.objects.create(
            kind=kind, name_zh=name_zh, name_en=name_en, region_id=region
        )
    for username, display_name, org_key, role in PERSONAS:
        user = make_user(username, display_name, superuser=username == "admin")
        Membership.objects.create(user=user, organisation=ctx.organisations[org_key], role=role)
        ctx.users[username] = user
