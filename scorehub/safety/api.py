"""The work-safety API: checklists, checks (submitted with an idempotency key), hazards, risk points
and accidents, all scoped to the caller through the same choke point as the pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from scorehub.core.scoping import Action, OutOfScope, scope_for
from scorehub.enterprises.models import Enterprise

from . import services
from .filters import AccidentFilter, HazardFilter, RiskPointFilter, SafetyCheckFilter
from .models import (
    Accident,
    AffectedPerson,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    CheckResult,
    Hazard,
    Outcome,
    RiskPoint,
    SafetyCheck,
)


class ChecklistItemSerializer(ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "position", "code", "category", "text_zh", "text_en", "reference", "default_hazard_class"]


class ChecklistTemplateSerializer(ModelSerializer):
    name = BilingualNameField()
    current_version = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "code", "name", "name_zh", "name_en", "industries", "is_active", "current_version"]

    def get_current_version(self, obj: ChecklistTemplate) -> dict[str, Any] | None:
        versions = list(obj.versions.all())
        if not versions:
            return None
        version = max(versions, key=lambda v: v.number)
        data: dict[str, Any] = {"id": version.pk, "number": version.number}
        if self.context.get("with_items"):
            data["items"] = ChecklistItemSerializer(version.items.all(), many=True).data
        return data


class ChecklistTemplateViewSet(ScopedReadOnlyViewSet):
    """Checklist templates (programme-wide); the detail includes the current version's items."""

    model = ChecklistTemplate
    serializer_class = ChecklistTemplateSerializer

    def refine_queryset(self, queryset: QuerySet[ChecklistTemplate]) -> QuerySet[ChecklistTemplate]:
        return queryset.prefetch_related("versions").order_by("code")

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["with_items"] = self.action == "retrieve"
        return context


class ResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    item = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CheckResultOutSerializer(ModelSerializer):
    code = serializers.CharField(source="item.code", read_only=True)
    hazard = serializers.SerializerMethodField()

    class Meta:
        model = CheckResult
        fields = ["item", "code", "outcome", "note", "hazard"]

    def get_hazard(self, obj: CheckResult) -> int | None:
        hazard = getattr(obj, "hazard", None)
        return hazard.pk if hazard is not None else None


class SafetyCheckSerializer(ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())
    version = serializers.PrimaryKeyRelatedField(queryset=ChecklistVersion.objects.all())
    client_uuid = serializers.UUIDField(
        help_text="Idempotency key made by the client; a retry with the same key returns the first check."
    )
    confirm_industry = serializers.BooleanField(write_only=True, required=False, default=False)
    results = ResultSerializer(many=True, write_only=True)
    result_rows = CheckResultOutSerializer(source="results", many=True, read_only=True)
    failed = serializers.IntegerField(read_only=True)

    class Meta:
        model = SafetyCheck
        fields = [
            "id",
            "enterprise",
            "kind",
            "version",
            "checked_on",
            "place",
            "participants",
            "note",
            "client_uuid",
            "confirm_industry",
            "results",
            "result_rows",
            "failed",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user, Action.HISTORY)  # type: ignore[attr-defined]


class SafetyCheckViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Safety checks.  ``POST`` records a check; ``client_uuid`` (or the ``Idempotency-Key`` header) makes a
    retry safe: the same key answers ``200`` with the check already recorded instead of a second one."""

    model = SafetyCheck
    read_action = Action.HISTORY
    write_action = Action.HISTORY
    serializer_class = SafetyCheckSerializer
    filterset_class = SafetyCheckFilter
    ordering_fields = ["checked_on", "created_at"]
    ordering = ["-checked_on"]

    def refine_queryset(self, queryset: QuerySet[SafetyCheck]) -> QuerySet[SafetyCheck]:
        return (
            queryset.select_related("enterprise")
            .prefetch_related("results__item", "results__hazard")
            .annotate(failed=Count("results", filter=Q(results__outcome=Outcome.FAIL)))
        )

    @extend_schema(
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.UUID, OpenApiParameter.HEADER, required=False)],
        responses={
            201: SafetyCheckSerializer,
            200: OpenApiResponse(SafetyCheckSerializer, description="A retry: the check recorded first."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        scope = scope_for(request.user)
        if not any(scope.can_anywhere(a) for a in (Action.OPERATE, Action.INSPECT, Action.COACH)):
            raise NotFound
        data = request.data
        key = request.headers.get("Idempotency-Key")
        # A body that is not an object (a list, a number) is left to the serializer, which refuses it.
        if key and isinstance(data, Mapping) and not data.get("client_uuid"):
            data = data.copy()
            data["client_uuid"] = key
        serializer = self.get_serializer(data=data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        try:
            check, created = self.run_service(
                services.check_submit,
                enterprise=v["enterprise"],
                client_uuid=v["client_uuid"],
                kind=v["kind"],
                version=v["version"],
                checked_on=v["checked_on"],
                place=v.get("place", ""),
                participants=v.get("participants", ""),
                note=v.get("note", ""),
                confirm_industry=v.get("confirm_industry", False),
                results=[
                    services.ResultInput(item_id=r["item"], outcome=r["outcome"], note=r.get("note", ""))
                    for r in v["results"]
                ],
            )
        except OutOfScope as exc:
            raise NotFound from exc
        check = self.refine_queryset(SafetyCheck.objects.filter(pk=check.pk)).get()
        out = self.get_serializer(check)
        return Response(out.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class HazardSerializer(ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name_zh", read_only=True)

    class Meta:
        model = Hazard
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "source_kind",
            "source_reference",
            "check_result",
            "place",
            "description",
            "hazard_class",
            "nature",
            "status",
            "found_on",
            "responsible_person",
            "deadline",
            "required_measures",
            "rectified_on",
            "verified_on",
            "closed_on",
            "reopened_count",
            "is_overdue",
        ]


class HazardViewSet(ScopedReadOnlyViewSet):
    model = Hazard
    read_action = Action.HISTORY
    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    ordering_fields = ["found_on", "deadline"]
    ordering = ["-found_on"]

    def refine_queryset(self, queryset: QuerySet[Hazard]) -> QuerySet[Hazard]:
        return queryset.select_related("enterprise")


class RiskPointSerializer(ModelSerializer):
    class Meta:
        model = RiskPoint
        fields = [
            "id",
            "enterprise",
            "name",
            "place",
            "hazard_factors",
            "method",
            "lec_l",
            "lec_e",
            "lec_c",
            "likelihood",
            "severity",
            "score",
            "level",
            "control_measures",
            "responsible_level",
            "assessed_on",
        ]


class RiskPointViewSet(ScopedReadOnlyViewSet):
    model = RiskPoint
    read_action = Action.HISTORY
    serializer_class = RiskPointSerializer
    filterset_class = RiskPointFilter
    ordering = ["-score"]

    def refine_queryset(self, queryset: QuerySet[RiskPoint]) -> QuerySet[RiskPoint]:
        return queryset.filter(archived_at__isnull=True)


class AffectedPersonSerializer(ModelSerializer):
    class Meta:
        model = AffectedPerson
        fields = ["gender", "role", "injury", "days_lost"]


class AccidentSerializer(ModelSerializer):
    people = AffectedPersonSerializer(many=True, read_only=True)

    class Meta:
        model = Accident
        fields = [
            "id",
            "enterprise",
            "occurred_on",
            "place",
            "accident_type",
            "severity",
            "description",
            "cause",
            "corrective_actions",
            "people",
        ]


class AccidentViewSet(ScopedReadOnlyViewSet):
    model = Accident
    read_action = Action.HISTORY
    serializer_class = AccidentSerializer
    filterset_class = AccidentFilter
    ordering = ["-occurred_on"]

    def refine_queryset(self, queryset: QuerySet[Accident]) -> QuerySet[Accident]:
        return queryset.prefetch_related("people")


routes = [
    ("safety/checklists", ChecklistTemplateViewSet, "safety-checklist"),
    ("safety/checks", SafetyCheckViewSet, "safety-check"),
    ("safety/hazards", HazardViewSet, "safety-hazard"),
    ("safety/risk-points", RiskPointViewSet, "safety-risk-point"),
    ("safety/accidents", AccidentViewSet, "safety-accident"),
]
