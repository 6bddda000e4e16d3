"""Checklist items from a spreadsheet (the web import and ``scorehub import checklists FILE``), and back.

One row is one checklist item.  The first column names the checklist template (its code, e.g.
``GEN-MFG``); one file may hold the items of several templates.  Every template named in the file gets
exactly the file's rows as its items, in the file's order; templates the file does not name are left
alone.  A template whose current version no check has used is changed in place; one whose current
version has been used gets a new version, so every check keeps the items it was made against.

Rows are checked as the item form checks them, plus: the template must exist, an item code must not
appear twice for the same template, and one template takes at most ``IMPORT_MAX_ROWS`` items.  All
rows or none, as for every import (``scorehub.core.importing``).

The XLSX export of a version (:func:`export_version`) writes the same columns with the same bilingual
headers, so an exported file imports back unchanged.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scorehub.core.importing import (
    BATCH_SIZE,
    Column,
    Importer,
    Progress,
    Row,
    choice_lookup,
    normalise_header,
    parse_choice,
)
from scorehub.core.scoping import Action
from scorehub.core.spreadsheets import write_row

from . import conf
from .models import ChecklistItem, ChecklistTemplate, ChecklistVersion, HazardClass, ItemCategory

CLASS_WORDS = {
    HazardClass.GENERAL: ["一般", "一般事故隐患", "general"],
    HazardClass.MAJOR: ["重大", "重大事故隐患", "major"],
}
CATEGORY_WORDS = {
    ItemCategory.MANAGEMENT: ["安全生产管理", "管理", "management"],
    ItemCategory.ELECTRICAL: ["电气", "用电安全", "electrical"],
    ItemCategory.FIRE: ["消防", "fire"],
    ItemCategory.MACHINERY: ["机械", "机械安全", "machinery"],
    ItemCategory.CHEMICALS: ["危化品", "危险化学品安全", "chemicals"],
    ItemCategory.DUST: ["粉尘", "粉尘防爆", "dust"],
    ItemCategory.CONFINED_SPACE: ["有限空间作业", "confined space"],
    ItemCategory.PPE: ["劳动防护用品", "劳保用品", "ppe"],
    ItemCategory.HOUSEKEEPING: ["现场管理", "作业环境", "housekeeping"],
    ItemCategory.EMERGENCY: ["应急", "应急管理", "emergency"],
    ItemCategory.OCCUPATIONAL_HEALTH: ["职业卫生", "occupational health"],
    ItemCategory.EXPLOSIVES: ["烟花爆竹", "民用爆炸物品", "explosives"],
}


class ChecklistImporter(Importer):
    model = ChecklistItem
    title = gettext_lazy("Import checklist items")
    # Importing is managing (as for enterprises): officials and the programme office, the editors of
    # checklists.  Enterprise managers hold "change" for their own records, not for reference data.
    action = Action.MANAGE
    url_namespace = "safety"
    list_url_name = "safety:checklist-list"
    # Set in ``save``, once the version to fill is known.
    clean_exclude = ("version",)
    template_name = "checklist-import-template"

    columns: ClassVar[tuple[Column, ...]] = (
        Column(
            "template",
            "检查表编号",
            "Checklist code",
            aliases=("检查表", "检查表代码", "模板编号", "checklist", "template", "template code"),
            required=True,
            example="GEN-MFG",
            help_zh="已有检查表的编号（如 GEN-MFG）；一个文件可含多张检查表",
            help_en="the code of an existing checklist (e.g. GEN-MFG); one file may hold several checklists",
        ),
        Column(
            "code",
            "编号",
            "Code",
            aliases=("检查项编号", "项目编号", "条款编号", "item code", "item"),
            required=True,
            example="X01",
            help_zh="同一检查表内不重复，最多 20 个字符",
            help_en="unique within the checklist; at most 20 characters",
        ),
        Column(
            "category",
            "类别",
            "Category",
            aliases=("分类", "检查类别", "项目类别"),
            required=True,
            example="消防安全",
            help_zh="类别名称（如 消防安全、电气安全）或代码（fire）",
            help_en="the category's name (e.g. fire safety) or code (fire)",
        ),
        Column(
            "text_zh",
            "检查内容（中文）",
            "Text (Chinese)",
            aliases=("检查内容", "检查项目", "检查内容中文", "中文内容", "text"),
            required=True,
            example="（示例）灭火器在有效期内，压力正常",
        ),
        Column(
            "text_en",
            "检查内容（英文）",
            "Text (English)",
            aliases=("检查内容英文", "英文内容", "english text"),
            example="(Example) Fire extinguishers are in date and charged",
        ),
        Column(
            "reference",
            "依据",
            "Reference",
            aliases=("法规标准依据", "检查依据", "标准依据", "法规依据", "legal reference", "standard"),
            example="GB 50140-2005",
            help_zh="法规或标准条款，最多 300 个字符",
            help_en="legal or standard reference; at most 300 characters",
        ),
        Column(
            "default_hazard_class",
            "隐患级别",
            "Hazard class",
            aliases=("默认隐患级别", "隐患等级", "隐患类别", "default hazard class"),
            example="一般",
            help_zh="一般 或 重大；空白为一般",
            help_en="general or major; empty means general",
        ),
    )

    def prepare(self, rows: list[Row]) -> None:
        codes = {row.values.get("template", "").strip() for row in rows} - {""}
        self.templates = {t.code: t for t in ChecklistTemplate.objects.filter(code__in=codes)}
        self.categories = choice_lookup(ItemCategory, CATEGORY_WORDS)
        self.classes = choice_lookup(HazardClass, CLASS_WORDS)
        self.category_words = [str(label) for label in ItemCategory.labels]
        self.class_words = [str(label) for label in HazardClass.labels]
        #: Per template: item code → the row that first had it; and how many items it has so far.
        self.seen: dict[str, dict[str, int]] = defaultdict(dict)
        self.max_items = conf.get("IMPORT_MAX_ROWS")

    def build(self, row: Row) -> ChecklistItem | None:
        values = row.values
        template_code = values.get("template", "").strip()
        template = self.templates.get(template_code)
        if template_code and template is None:
            row.add_error(
                "template",
                _("There is no checklist “%(code)s”: create it first, or use the code of an existing checklist.")
                % {"code": template_code},
            )
        item = ChecklistItem(
            code=values.get("code", "").strip(),
            text_zh=values.get("text_zh", "").strip(),
            text_en=values.get("text_en", "").strip(),
            reference=values.get("reference", "").strip(),
            default_hazard_class=HazardClass.GENERAL,
        )
        for name, lookup, words in (
            ("category", self.categories, self.category_words),
            ("default_hazard_class", self.classes, self.class_words),
        ):
            text = values.get(name, "").strip()
            if not text:
                continue
            try:
                setattr(item, name, parse_choice(text, lookup, accepted=words))
            except ValidationError as exc:
                for message in exc.messages:
                    row.add_error(name, message)
        if template is not None:
            row.extra["template"] = template
            items = self.seen[template.code]
            key = normalise_header(item.code)
            if item.code and key in items:
                row.add_error(
                    "code",
                    _("Code %(code)s is used twice for checklist %(template)s (row %(row)d).")
                    % {"code": item.code, "template": template.code, "row": items[key]},
                )
            elif len(items) >= self.max_items:
                row.add_error(
                    "template",
                    _("A checklist takes at most %(n)d items.") % {"n": self.max_items},
                )
            else:
                items[key] = row.number
                item.position = len(items)
        return item

    def preview_values(self, row: Row) -> list[str]:
        item = row.record
        template = row.extra.get("template")
        if not isinstance(item, ChecklistItem) or template is None or row.errors:
            return super().preview_values(row)
        return [
            f"{template.code} {template.name}",
            item.code,
            str(item.get_category_display()),
            item.text_zh,
            item.text_en,
            item.reference,
            str(item.get_default_hazard_class_display()),
        ]

    def save(self, rows: list[Row], progress: Progress) -> list[models.Model]:
        """Give every template of the file exactly its rows as items (a new version if checks used it)."""
        by_template: dict[int, list[ChecklistItem]] = defaultdict(list)
        templates: dict[int, ChecklistTemplate] = {}
        for row in rows:
            template = row.extra["template"]
            templates[template.pk] = template
            by_template[template.pk].append(row.record)  # type: ignore[arg-type]
        note = _("Imported from %(file)s") % {"file": self.context.get("file") or _("a spreadsheet")}
        created: list[models.Model] = []
        items: list[ChecklistItem] = []
        for pk, template_items in by_template.items():
            # One query per template: a file holds a handful of checklists, not thousands.
            current = (
                ChecklistVersion.objects.filter(template_id=pk)
                .annotate(n_checks=Count("checks"))
                .order_by("-number")
                .first()
            )
            version: ChecklistVersion
            if current is None or current.n_checks:
                number = (current.number if current is not None else 0) + 1
                version = ChecklistVersion.objects.create(
                    template=templates[pk], number=number, created_by=self.actor, note=note[:300]
                )
                created.append(version)
            else:
                version = current
                version.items.all().delete()
                version.note = note[:300]
                version.save(update_fields=["note"])
            for item in template_items:
                item.version = version
                items.append(item)
        for start in range(0, len(items), BATCH_SIZE):
            created.extend(ChecklistItem.objects.bulk_create(items[start : start + BATCH_SIZE]))
            progress("saving", min(start + BATCH_SIZE, len(items)), len(items))
        return created


def export_version(version: ChecklistVersion) -> bytes:
    """The version's items as an XLSX file in the import's layout (bilingual headers, Chinese words)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.title = version.template.code[:31]
    columns = ChecklistImporter.columns
    # Item texts are entered by users: every cell is written as text (core.spreadsheets), never as a formula.
    write_row(
        sheet,
        1,
        [c.template_header for c in columns],
        font=Font(bold=True),
        fill=PatternFill("solid", fgColor="DDEBF7"),
    )
    with translation.override("zh-hans"):
        for row, item in enumerate(version.items.all(), start=2):
            write_row(
                sheet,
                row,
                [
                    version.template.code,
                    item.code,
                    str(item.get_category_display()),
                    item.text_zh,
                    item.text_en,
                    item.reference,
                    "重大" if item.default_hazard_class == HazardClass.MAJOR else "一般",
                ],
            )
    for letter, width in {"A": 14, "B": 10, "C": 16, "D": 60, "E": 60, "F": 30, "G": 12}.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
