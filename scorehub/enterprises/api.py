from __future__ import annotations

from typing import Any

from django.db.models import Manager, QuerySet
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.response import Response

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedViewSet
from scorehub.core.scoping import Action
from scorehub.regions.models import Region

from . import services
from .buyer_summary import BUYER_ORDERING_FIELDS, BUYER_SUMMARY_FIELDS, participations, sees_summary_only
from .filters import BuyerEnterpriseFilter, EnterpriseFilter
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


# ---------------------------------------------------------------------------------------------------
# The buyer summary (``buyer_summary``): what a buyer reads of a consenting supplier, and nothing more.


class ProgrammePartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    enrolled_on = serializers.DateField(read_only=True)


class ModulePartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    completed_on = serializers.DateField(read_only=True, allow_null=True)
    certified_on = serializers.DateField(read_only=True, allow_null=True)


class ParticipationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    programmes = ProgrammePartSerializer(many=True, read_only=True)
    modules = ModulePartSerializer(many=True, read_only=True)


class BuyerEnterpriseListSerializer(serializers.ListSerializer):  # type: ignore[type-arg]
    """Reads the participation of a whole page of suppliers at once (three queries, not three per row)."""

    def to_representation(self, data: Any) -> list[Any]:
        items = list(data.all() if isinstance(data, Manager) else data)
        self.context["participations"] = participations([e.pk for e in items])
        return super().to_representation(items)


class BuyerEnterpriseSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A consenting supplier as its buyer sees it: the fields of ``BUYER_SUMMARY_FIELDS``, read-only."""

    name = BilingualNameField()
    region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(slug_field="code", read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="api:enterprise-detail")
    participation = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = list(BUYER_SUMMARY_FIELDS)
        read_only_fields = list(BUYER_SUMMARY_FIELDS)
        list_serializer_class = BuyerEnterpriseListSerializer

    @extend_schema_field(ParticipationSerializer)
    def get_participation(self, obj: Enterprise) -> dict[str, Any]:
        known = self.context.get("participations") or {}
        found = known.get(obj.pk) or participations([obj.pk])[obj.pk]
        return ParticipationSerializer(found).data  # type: ignore[return-value]


def _enterprise_or_summary(*, many: bool = False) -> PolymorphicProxySerializer:
    """The answer of a read: the full record, or for a buyer the summary of a consenting supplier."""
    return PolymorphicProxySerializer(
        component_name="EnterpriseOrBuyerSummary",
        serializers=[EnterpriseSerializer, BuyerEnterpriseSerializer],
        resource_type_field_name=None,
        many=many,
    )


@extend_schema_view(
    list=extend_schema(responses=_enterprise_or_summary(many=True)),
    retrieve=extend_schema(responses=_enterprise_or_summary()),
)
class EnterpriseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet
):
    """Enterprises in the caller's scope.  Filters are the same as the enterprise list page.

    A buyer reads the buyer summary of its consenting suppliers (``BuyerEnterpriseSerializer``), with the
    list's filters and sorting narrowed to the summary's fields.
    """

    model = Enterprise
    ordering = ["name_zh"]
    _summary_only: bool

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def summary_only(self) -> bool:
        """Whether this request reads the buyer summary (decided once per request): for one enterprise,
        whether the caller follows it only as a buyer; for the list, whether the list holds such a supplier.
        Every action but creation is answered with the summary then, the browsable API's forms included."""
        if not hasattr(self, "_summary_only"):
            user = self.request.user
            pk = str(self.kwargs.get("pk", ""))
            if getattr(self, "swagger_fake_view", False) or self.action == "create":
                self._summary_only = False
            elif pk:
                one = Enterprise.objects.filter(pk=int(pk)) if pk.isdigit() else Enterprise.objects.none()
                self._summary_only = sees_summary_only(user, one)
            else:
                self._summary_only = sees_summary_only(user)
        return self._summary_only

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:  # type: ignore[type-arg]
        return BuyerEnterpriseSerializer if self.summary_only() else EnterpriseSerializer

    @property
    def filterset_class(self) -> type[EnterpriseFilter]:
        return BuyerEnterpriseFilter if self.summary_only() else EnterpriseFilter

    @property
    def ordering_fields(self) -> list[str]:
        if self.summary_only():
            return list(BUYER_ORDERING_FIELDS)
        return ["name_zh", "credit_code", "region", "employees_total", "updated_at"]

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
