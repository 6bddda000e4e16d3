"""Importing enterprises from a spreadsheet (the web import and ``scorehub import enterprises FILE``).

One row is one enterprise, optionally with its primary contact person.  Headers may be Chinese or
English (or the bilingual headers of the template).  Rows are checked as the single-record form checks
them, plus: the region must lie inside the importer's jurisdiction (a region outside it gets the same
message as an unknown one), and the credit code must be new, in the file and in the registry.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scorehub.core.importing import (
    BATCH_SIZE,
    Column,
    Importer,
    Progress,
    Row,
    choice_lookup,
    chunked,
    parse_choice,
    parse_int,
)
from scorehub.core.scoping import Action
from scorehub.regions.models import Region

from . import industries
from .credit_code import build_credit_code, normalise
from .models import ContactPerson, Enterprise, EnterpriseStatus, SizeClass

SIZE_WORDS = {
    SizeClass.MICRO: ["微型", "微型企业", "微", "micro enterprise"],
    SizeClass.SMALL: ["小型", "小型企业", "小", "small enterprise"],
    SizeClass.MEDIUM: ["中型", "中型企业", "中", "medium-sized", "medium enterprise"],
    SizeClass.LARGE: ["大型", "大型企业", "大", "large enterprise"],
}
STATUS_WORDS = {
    EnterpriseStatus.ACTIVE: ["在营", "存续", "开业", "正常", "营业", "operating", "open"],
    EnterpriseStatus.SUSPENDED: ["停业", "歇业", "停产", "暂停"],
    EnterpriseStatus.CLOSED: ["注销", "吊销", "关闭", "关停", "已注销"],
}

EXAMPLE_CREDIT_CODE = build_credit_code("330503", "MA2B3C4D5")
#: What people call the credit-code column in the sheets bureaus and providers keep.
CREDIT_CODE_ALIASES = (
    "信用代码",
    "社会信用代码",
    "企业信用代码",
    "统一代码",
    "credit code",
    "enterprise credit code",
    "uscc",
)


def credit_code_column(*, help_zh: str, help_en: str) -> Column:
    """The column that names an enterprise by its unified social credit code, as every import reads it."""
    return Column(
        "credit_code",
        "统一社会信用代码",
        "Unified social credit code",
        aliases=CREDIT_CODE_ALIASES,
        required=True,
        example=EXAMPLE_CREDIT_CODE,
        help_zh=help_zh,
        help_en=help_en,
    )


def enterprises_by_credit_code(rows: list[Row], actor: Any, action: str) -> dict[str, Enterprise]:
    """The enterprises the rows name in their ``credit_code`` column on which ``actor`` holds ``action``
    (every one for the command line's actor-less import), by normalised code, a query per batch.
    Any other code is unknown to the import, whether the enterprise exists or not."""
    enterprises = Enterprise.objects.all() if actor is None else Enterprise.objects.visible_to(actor, action)
    codes = sorted({normalise(row.values.get("credit_code", "")) for row in rows} - {""})
    found: dict[str, Enterprise] = {}
    for batch in chunked(codes):
        for enterprise in enterprises.filter(credit_code__in=list(batch)):
            found[enterprise.credit_code] = enterprise
    return found


class EnterpriseImporter(Importer):
    model = Enterprise
    title = gettext_lazy("Import enterprises")
    action = Action.MANAGE
    url_namespace = "enterprises"
    list_url_name = "enterprises:list"
    unique_fields = ("credit_code",)
    # The region is resolved (and scope-checked) in ``build``; full_clean would query it once per row.
    clean_exclude = ("region",)
    template_name = "enterprise-import-template"

    columns: ClassVar[tuple[Column, ...]] = (
        Column(
            "name_zh",
            "企业名称",
            "Name (Chinese)",
            aliases=("名称", "单位名称", "企业名称（中文）", "中文名称", "name", "enterprise name", "company name"),
            required=True,
            example="示例丝绸有限公司",
        ),
        Column(
            "name_en",
            "英文名称",
            "Name (English)",
            aliases=("企业英文名称", "英文名", "english name"),
            example="Example Silk Co., Ltd.",
        ),
        credit_code_column(
            help_zh="18 位，最后一位为校验码", help_en="18 characters; the last one is a check character"
        ),
        Column(
            "region",
            "行政区划代码",
            "Region code",
            aliases=("区划代码", "地区代码", "所属区县", "所属区县代码", "区县", "所在地区", "region", "district"),
            required=True,
            example="330503",
            help_zh="区县的 6 位 GB/T 2260 代码（如 330503）或名称（如 南浔区），须在您的管辖范围内",
            help_en="six-digit GB/T 2260 code of the district or county (e.g. 330503) or its name; "
            "it must lie inside your jurisdiction",
        ),
        Column(
            "address",
            "地址",
            "Address",
            aliases=("企业地址", "详细地址", "经营地址", "生产经营地址"),
            example="南浔区示例路 1 号",
        ),
        Column(
            "industry_division",
            "行业",
            "Industry",
            aliases=(
                "行业大类",
                "行业代码",
                "所属行业",
                "国民经济行业",
                "国民经济行业分类",
                "industry division",
                "industry code",
            ),
            required=True,
            example="17",
            help_zh="GB/T 4754 行业大类：代码（17 或 C17）或名称（纺织业）",
            help_en="GB/T 4754 division: code (17 or C17) or name (Textiles)",
        ),
        Column(
            "size_class",
            "企业规模",
            "Size class",
            aliases=("规模", "企业类型", "size"),
            required=True,
            example="小型",
            help_zh="微型、小型、中型 或 大型",
            help_en="micro, small, medium or large",
        ),
        Column(
            "employees_total",
            "从业人数",
            "Employees",
            aliases=("职工人数", "员工人数", "从业人员数", "职工总数", "人数", "number of employees"),
            example="120",
            help_zh="整数，空白为 0",
            help_en="whole number; empty means 0",
        ),
        Column(
            "employees_women",
            "女职工人数",
            "Women employees",
            aliases=("女职工", "女职工数", "女性员工人数", "女员工人数", "women"),
            example="80",
            help_zh="整数，不超过从业人数",
            help_en="whole number, not more than the employees",
        ),
        Column(
            "status",
            "经营状态",
            "Status",
            aliases=("状态", "企业状态", "登记状态"),
            example="在营",
            help_zh="在营、停业 或 注销；空白为在营",
            help_en="operating, suspended or closed; empty means operating",
        ),
        Column(
            "contact_name",
            "联系人",
            "Contact person",
            aliases=("联系人姓名", "负责人", "contact", "contact name"),
            example="张丽华",
            help_zh="可选：主要联系人",
            help_en="optional: the primary contact",
        ),
        Column(
            "contact_phone",
            "联系电话",
            "Contact phone",
            aliases=("电话", "联系人电话", "手机", "手机号码", "phone", "telephone", "mobile"),
            example="13800000000",
        ),
    )

    def prepare(self, rows: list[Row]) -> None:
        self.sizes = choice_lookup(SizeClass, SIZE_WORDS)
        self.statuses = choice_lookup(EnterpriseStatus, STATUS_WORDS)
        self.size_words = [str(label) for label in SizeClass.labels]
        self.status_words = [str(label) for label in EnterpriseStatus.labels]
        wanted = {row.values.get("region", "").strip() for row in rows} - {""}
        # Only regions the actor may manage: anything else is "unknown", whether it exists or not.
        regions = Region.objects.all() if self.actor is None else Region.objects.visible_to(self.actor, self.action)
        self.regions_by_code: dict[str, Region] = {}
        self.regions_by_name: dict[str, list[Region]] = {}
        names = sorted(wanted)
        for batch in chunked(names, 300):
            condition = Q(code__in=batch) | Q(name_zh__in=batch) | Q(name_en__in=batch)
            for region in regions.filter(condition):
                self.regions_by_code[region.code] = region
                for name in {region.name_zh, region.name_en} - {""}:
                    self.regions_by_name.setdefault(name, []).append(region)

    def find_region(self, text: str) -> Region:
        value = text.strip()
        if value.isdigit():
            region = self.regions_by_code.get(value)
            if region is not None:
                return region
        else:
            matches = {r.code: r for r in self.regions_by_name.get(value, [])}
            if len(matches) == 1:
                return next(iter(matches.values()))
            if len(matches) > 1:
                raise ValidationError(
                    _("More than one region is called “%(value)s”: use the six-digit region code.") % {"value": value}
                )
        # The same words for "does not exist" and "not yours": the answer must not reveal which.
        raise ValidationError(
            _("Unknown region “%(value)s”: use the six-digit code of a district or county in your jurisdiction.")
            % {"value": value}
        )

    def build(self, row: Row) -> Enterprise:
        values = row.values
        enterprise = Enterprise(
            name_zh=values.get("name_zh", "").strip(),
            name_en=values.get("name_en", "").strip(),
            credit_code=normalise(values.get("credit_code", "")),
            address=values.get("address", "").strip(),
            status=EnterpriseStatus.ACTIVE,
        )
        if values.get("region", "").strip():
            self._cell(row, "region", lambda text: setattr(enterprise, "region", self.find_region(text)))
        if values.get("industry_division", "").strip():
            self._cell(row, "industry_division", lambda text: self._set_division(enterprise, text))
        if values.get("size_class", "").strip():
            self._cell(
                row,
                "size_class",
                lambda text: setattr(
                    enterprise, "size_class", parse_choice(text, self.sizes, accepted=self.size_words)
                ),
            )
        if values.get("status", "").strip():
            self._cell(
                row,
                "status",
                lambda text: setattr(
                    enterprise, "status", parse_choice(text, self.statuses, accepted=self.status_words)
                ),
            )
        for name in ("employees_total", "employees_women"):
            if values.get(name, "").strip():
                self._cell(row, name, lambda text, name=name: setattr(enterprise, name, parse_int(text)))
        self._contact(row)
        return enterprise

    def _cell(self, row: Row, field_name: str, parse: Any) -> None:
        try:
            parse(row.values[field_name].strip())
        except ValidationError as exc:
            for message in exc.messages:
                row.add_error(field_name, message)

    def _set_division(self, enterprise: Enterprise, text: str) -> None:
        division = industries.find_division(text)
        if division is None:
            raise ValidationError(
                _("Unknown industry “%(value)s”: use a GB/T 4754 division code such as 17 or C17, or its name.")
                % {"value": text}
            )
        # bulk_create skips Enterprise.save(), which derives the section; set it here.
        enterprise.industry_division = division.code
        enterprise.industry_section = division.section

    def _contact(self, row: Row) -> None:
        name = row.values.get("contact_name", "").strip()
        phone = row.values.get("contact_phone", "").strip()
        if not name and not phone:
            return
        if not name:
            row.add_error("contact_name", _("A contact phone needs the contact person's name."))
            return
        contact = ContactPerson(name=name, phone=phone, is_primary=True)
        try:
            contact.full_clean(exclude=["enterprise"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                column = {"name": "contact_name", "phone": "contact_phone"}.get(field_name)
                for message in messages:
                    row.add_error(column, message)
            return
        row.extra["contact"] = contact

    def preview_values(self, row: Row) -> list[str]:
        enterprise = row.record
        if not isinstance(enterprise, Enterprise) or row.errors:
            return super().preview_values(row)
        division = enterprise.industry
        contact = row.extra.get("contact")
        return [
            enterprise.name_zh,
            enterprise.name_en,
            enterprise.credit_code,
            f"{enterprise.region.code} {enterprise.region.name}",
            enterprise.address,
            f"{division.code} {division.name}" if division else "",
            str(enterprise.get_size_class_display()),
            str(enterprise.employees_total),
            str(enterprise.employees_women),
            str(enterprise.get_status_display()),
            contact.name if contact else "",
            contact.phone if contact else "",
        ]

    def save(self, rows: list[Row], progress: Progress) -> list[models.Model]:
        enterprises = [row.record for row in rows if isinstance(row.record, Enterprise)]
        created: list[models.Model] = []
        for batch in chunked(enterprises):
            created.extend(Enterprise.objects.bulk_create(batch))
            progress("saving", len(created), len(enterprises))
        contacts = []
        for row in rows:
            contact = row.extra.get("contact")
            if contact is not None:
                contact.enterprise = row.record
                contacts.append(contact)
        created.extend(ContactPerson.objects.bulk_create(contacts, batch_size=BATCH_SIZE))
        return created
