from __future__ import annotations

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedReadOnlyViewSet

from .filters import RegionFilter
from .models import Region


class RegionSerializer(ModelSerializer):
    name = BilingualNameField()

    class Meta:
        model = Region
        fields = ["code", "level", "name", "name_zh", "name_en", "parent", "prefix"]


class RegionViewSet(ScopedReadOnlyViewSet):
    """GB/T 2260 regions in the caller's scope (their jurisdiction, what lies below it and above it)."""

    model = Region
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_value_regex = r"\d{6,12}"
    ordering = ["code"]


routes = [("regions", RegionViewSet, "region")]
