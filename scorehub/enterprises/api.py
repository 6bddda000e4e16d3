from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers
from rest_framework.response import Response

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedViewSet
from scorehub.core.scoping import Action
from scorehub.regions.models import Region

from . import services
from .filters import EnterpriseFilter
from .models import Enterprise


class EnterpriseSerializer(ModelSerializer):
    name = BilingualNameField()
    region = serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.none())
    url = serializers.HyperlinkedIdentityField(view_name="api:enterprise-detail")

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "url",
            "name",
            "name_zh",
            "name_en",
            "credit_code",
            "region",
            "address",
            "industry_section",
            "industry_division",
            "size_class",
            "employees_total",
            "employees_women",
            "status",
            "archived_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["industry_section", "archived_at", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only regions where the caller may place an enterprise are accepted (the model then asks for a
            # district), and the enterprise's own region, where whoever may edit it may leave it.
            action = Action.CHANGE if isinstance(self.instance, Enterprise) else Action.MANAGE
            regions = Region.objects.visible_to(request.user, action)
            if isinstance(self.instance, Enterprise):
                regions = regions | Region.objects.filter(pk=self.instance.region_id)
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Run the model's own validation (credit code, region level, workforce) so the API and the
        # forms refuse the same things with the same messages.
        instance = Enterprise(**{**self._current_values(), **attrs})
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            instance.full_clean(exclude=["id"], validate_unique=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def _current_values(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {f.name: getattr(self.instance, f.name) for f in Enterprise._meta.concrete_fields if f.name != "id"}


class EnterpriseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet
):
    """Enterprises in the caller's scope.  Filters are the same as the enterprise list page."""

    model = Enterprise
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    ordering_fields = ["name_zh", "credit_code", "region", "employees_total", "updated_at"]
    ordering = ["name_zh"]

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        self.check_can_create()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: EnterpriseSerializer) -> None:  # type: ignore[override]
        serializer.instance = self.run_service(services.enterprise_create, data=dict(serializer.validated_data))

    def perform_update(self, serializer: EnterpriseSerializer) -> None:  # type: ignore[override]
        serializer.instance = self.run_service(
            services.enterprise_update, enterprise=serializer.instance, data=dict(serializer.validated_data)
        )


routes = [("enterprises", EnterpriseViewSet, "enterprise")]
