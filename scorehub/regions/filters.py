from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.filters import FilterSet

from .models import Region, RegionLevel


class RegionFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    level = django_filters.ChoiceFilter(label=_("Level"), choices=RegionLevel.choices)
    within = django_filters.CharFilter(label=_("Code prefix"), field_name="code", lookup_expr="startswith")

    class Meta:
        model = Region
        fields = ["q", "level", "within"]

    def search(self, queryset: QuerySet[Region], name: str, value: str) -> QuerySet[Region]:
        value = value.strip()
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(code__startswith=value))
