"""REST API: suggestions (with idempotent submission and board moves), improvement projects, case studies."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from scorehub.core.api import BoundedDateField, ModelSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from scorehub.core.scoping import Action
from scorehub.enterprises.models import Enterprise

from . import services
from .filters import CaseStudyFilter, ProjectFilter, SuggestionFilter
from .models import CaseStudy, Channel, ImprovementProject, Suggestion, SuggestionStatus


class SuggestionSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:suggestion-detail")
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())
    # The worker's identity can be given on entry but is never sent back by the API.
    submitter_name = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=100)
    submitter_contact = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=100)

    class Meta:
        model = Suggestion
        fields = [
            "id",
            "url",
            "tracking_code",
            "enterprise",
            "workshop",
            "problem",
            "proposal",
            "category",
            "status",
            "channel",
            "submitted_at",
            "decided_at",
            "implemented_at",
            "rejection_reason",
            "owner_name",
            "due_date",
            "implementation_note",
            "project",
            "duplicate_of",
            "submitter_name",
            "submitter_contact",
            "submitter_gender",
        ]
        read_only_fields = [
            "tracking_code",
            "status",
            "channel",
            "decided_at",
            "implemented_at",
            "rejection_reason",
            "owner_name",
            "due_date",
            "implementation_note",
            "project",
            "duplicate_of",
        ]
        extra_kwargs = {"submitted_at": {"required": False}, "submitter_gender": {"write_only": True}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user, Action.OPERATE)  # type: ignore[attr-defined]


class TransitionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    to = serializers.ChoiceField(choices=[s for s in SuggestionStatus.values if s != SuggestionStatus.MERGED])
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    owner_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    due_date = BoundedDateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.ImageField(), required=False, default=list)


class SuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Suggestions in the caller's scope.  Filters are those of the suggestion list page.

    ``POST`` enters a suggestion; send an ``Idempotency-Key`` header so that a retried request returns the
    suggestion the first one created (``200``) instead of creating a second one (``201``).
    """

    model = Suggestion
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    write_action = Action.OPERATE
    create_action = Action.OPERATE
    ordering_fields = ["submitted_at", "status", "due_date"]
    ordering = ["-submitted_at"]

    def refine_queryset(self, queryset: QuerySet[Suggestion]) -> QuerySet[Suggestion]:
        return queryset.select_related("enterprise")

    @extend_schema(
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={
            201: SuggestionSerializer,
            200: OpenApiResponse(SuggestionSerializer, description="A retry: the suggestion entered first."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_can_create()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        key = (request.headers.get("Idempotency-Key") or "").strip()[:64] or None
        suggestion, created = self.run_service(
            services.suggestion_create,
            enterprise=data.pop("enterprise"),
            data=data,
            channel=Channel.API,
            idempotency_key=f"api:{key}" if key else None,
            submitted_at=data.get("submitted_at"),
        )
        output = self.get_serializer(suggestion)
        return Response(output.data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=TransitionSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """Move the suggestion (the same rules as the board: a reason to reject, an owner and due date, evidence)."""
        suggestion = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        photos = self.run_service(lambda actor, uploads: services.clean_photos(uploads), uploads=data.pop("photos"))
        moved = self.run_service(services.suggestion_transition, suggestion=suggestion, photos=photos, **data)
        return Response(self.get_serializer(moved).data)


class ProjectSerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:improvement-project-detail")
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())

    class Meta:
        model = ImprovementProject
        fields = [
            "id",
            "url",
            "enterprise",
            "title",
            "goal",
            "team",
            "module",
            "category",
            "status",
            "started_on",
            "completed_on",
            "cost",
            "expected_savings",
            "verified_savings",
            "verified_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["verified_savings", "verified_at", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user, Action.OPERATE)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            self.fields["enterprise"].read_only = True


class VerifySerializer(serializers.Serializer):  # type: ignore[type-arg]
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ProjectViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet
):
    model = ImprovementProject
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    write_action = Action.OPERATE
    create_action = Action.OPERATE
    ordering_fields = ["started_on", "expected_savings", "verified_savings"]
    ordering = ["-started_on"]

    def refine_queryset(self, queryset: QuerySet[ImprovementProject]) -> QuerySet[ImprovementProject]:
        return queryset.select_related("enterprise")

    def scope_action(self) -> str:
        if getattr(self, "action", None) == "verify":
            return Action.COACH
        return super().scope_action()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_can_create()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: ProjectSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        serializer.instance = self.run_service(services.project_create, enterprise=data.pop("enterprise"), data=data)

    def perform_update(self, serializer: ProjectSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        data.pop("enterprise", None)
        serializer.instance = self.run_service(services.project_update, project=serializer.instance, data=data)

    @extend_schema(request=VerifySerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None, **kwargs: Any) -> Response:
        """A trainer confirms the project's annual savings."""
        project = self.get_object()
        serializer = VerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verified = self.run_service(services.project_verify_savings, project=project, **serializer.validated_data)
        return Response(self.get_serializer(verified).data)


class CaseStudySerializer(ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:case-study-detail")
    industry = serializers.CharField(source="enterprise.industry_division", read_only=True)
    region = serializers.CharField(source="enterprise.region_id", read_only=True)

    class Meta:
        model = CaseStudy
        fields = [
            "id",
            "url",
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "before_text",
            "after_text",
            "annual_savings",
            "savings_verified",
            "module",
            "industry",
            "region",
            "status",
            "approved_at",
        ]


class CaseStudyViewSet(ScopedReadOnlyViewSet):
    """The good-practice library: approved case studies for everyone in the programme (no personal data)."""

    model = CaseStudy
    serializer_class = CaseStudySerializer
    filterset_class = CaseStudyFilter

    def refine_queryset(self, queryset: QuerySet[CaseStudy]) -> QuerySet[CaseStudy]:
        return queryset.select_related("enterprise")


routes = [
    ("suggestions", SuggestionViewSet, "suggestion"),
    ("improvement-projects", ProjectViewSet, "improvement-project"),
    ("case-studies", CaseStudyViewSet, "case-study"),
]
