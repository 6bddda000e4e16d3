from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.views import ScopedDetailView, ScopedListView
from scorehub.enterprises.models import Enterprise

from .filters import RegionFilter
from .models import Region
from .tables import RegionTable


class RegionListView(ScopedListView):
    model = Region
    table_class = RegionTable
    filterset_class = RegionFilter
    title = _("Regions")
    paginate_by = 50

    def refine_queryset(self, queryset: QuerySet[Region]) -> QuerySet[Region]:
        return queryset.select_related("parent")


class RegionDetailView(ScopedDetailView):
    model = Region
    template_name = "regions/region_detail.html"
    active_tab = "regions:detail"

    def refine_queryset(self, queryset: QuerySet[Region]) -> QuerySet[Region]:
        return queryset.select_related("parent__parent")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        region: Region = self.object
        user = self.request.user
        context["children"] = Region.objects.visible_to(user).filter(parent=region)
        # Counted through the same scope: an official never sees a count that includes enterprises
        # outside their jurisdiction, even for a region above it.
        context["enterprise_count"] = (
            Enterprise.objects.visible_to(user)
            .filter(region__code__startswith=region.prefix, archived_at__isnull=True)
            .count()
        )
        return context
