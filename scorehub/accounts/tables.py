from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Organisation


class OrganisationTable(tables.Table):
    name_zh = tables.Column(verbose_name=_("Name"), linkify=True)
    kind = tables.Column(verbose_name=_("Kind"))
    region = tables.Column(verbose_name=_("Region"), accessor="region__name_zh", order_by=("region_id",))
    members = tables.Column(verbose_name=_("Members"), accessor="member_count", orderable=True)

    class Meta:
        model = Organisation
        fields = ("name_zh", "kind", "region", "members")
        attrs = {"class": "table table-sm table-hover", "data-testid": "organisation-table"}

    def render_name_zh(self, record: Organisation) -> str:
        return record.name

    def render_region(self, record: Organisation) -> str:
        return record.region.full_name if record.region else "—"
