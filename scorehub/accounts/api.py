from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedReadOnlyViewSet

from .filters import OrganisationFilter
from .models import Organisation


class OrganisationSerializer(ModelSerializer):
    name = BilingualNameField()
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "name_zh", "name_en", "region", "enterprise", "is_active"]


class OrganisationViewSet(ScopedReadOnlyViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering = ["kind", "name_zh"]

    def refine_queryset(self, queryset: QuerySet[Organisation]) -> QuerySet[Organisation]:
        return queryset.select_related("region")


routes = [("organisations", OrganisationViewSet, "organisation")]
