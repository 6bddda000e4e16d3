from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Region


class RegionTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"), linkify=True, attrs={"td": {"class": "font-monospace"}})
    name_zh = tables.Column(verbose_name=_("Name (Chinese)"))
    name_en = tables.Column(verbose_name=_("Name (English)"))
    level = tables.Column(verbose_name=_("Level"))
    parent = tables.Column(verbose_name=_("Parent"), accessor="parent__name_zh", order_by=("parent_id",))

    class Meta:
        model = Region
        fields = ("code", "name_zh", "name_en", "level", "parent")
        attrs = {"class": "table table-sm table-hover", "data-testid": "region-table"}

    def render_parent(self, record: Region) -> str:
        return record.parent.name if record.parent else "—"
