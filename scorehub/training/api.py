"""REST endpoints for SCORE training, scoped like the pages (``ScopedViewSet``) and filtered with the same
FilterSets.  Reading is open to everyone in scope; enrolling enterprises goes through the same service as
the page (all or none, in the caller's area)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from rest_framework import mixins, serializers
from rest_framework.response import Response

from scorehub.core.api import BilingualNameField, ModelSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from scorehub.core.scoping import Action
from scorehub.enterprises.models import Enterprise

from . import selectors, services
from .filters import (
    CertificateFilter,
    CohortFilter,
    EnrolmentFilter,
    ModuleFilter,
    PlanItemFilter,
    ProgrammeFilter,
    ProgressFilter,
    SessionFilter,
    TeamFilter,
    TrainerFilter,
    VisitFilter,
)
from .models import (
    Certificate,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    ImprovementTeam,
    Module,
    PlanItem,
    Programme,
    ProgrammeTarget,
    TeamMember,
    TrainerCertification,
    TrainerProfile,
    Visit,
    VisitAction,
    VisitFinding,
)


class ModuleSerializer(ModelSerializer):
    name = BilingualNameField()
    prerequisites: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True
    )

    class Meta:
        model = Module
        fields = [
            "id",
            "code",
            "version",
            "name",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "classroom_days",
            "default_followup_visits",
            "prerequisites",
            "is_active",
        ]


class TargetSerializer(ModelSerializer):
    # A target may be for the programme as a whole (enrolments): no module.
    module: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = ProgrammeTarget
        fields = ["id", "kind", "module", "value", "due_on"]


class ProgrammeSerializer(ModelSerializer):
    name = BilingualNameField()
    region: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    targets = TargetSerializer(many=True, read_only=True)
    enrolled = serializers.IntegerField(read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "name_zh",
            "name_en",
            "region",
            "starts_on",
            "ends_on",
            "funders",
            "followup_visits",
            "followup_window_days",
            "requires_baseline",
            "plans_year_after_visit",
            "targets",
            "enrolled",
        ]


class EnrolmentSerializer(ModelSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.none())
    credit_code = serializers.CharField(source="enterprise.credit_code", read_only=True)

    class Meta:
        model = Enrolment
        fields = ["id", "programme", "enterprise", "credit_code", "enrolled_on", "status", "dropped_reason"]
        read_only_fields = ["status", "dropped_reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user, Action.MANAGE)  # type: ignore[attr-defined]
            self.fields["programme"].queryset = Programme.objects.visible_to(request.user, Action.MANAGE)  # type: ignore[attr-defined]


class CohortSerializer(ModelSerializer):
    module: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provider: serializers.StringRelatedField = serializers.StringRelatedField()
    lead_trainer: serializers.StringRelatedField = serializers.StringRelatedField()
    enterprise_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cohort
        fields = ["id", "name", "programme", "module", "provider", "lead_trainer", "enterprise_count", "created_at"]


class ProgressSerializer(ModelSerializer):
    module = serializers.CharField(source="cohort.module.code", read_only=True)
    programme = serializers.IntegerField(source="cohort.programme_id", read_only=True)
    steps = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = CohortEnterprise
        fields = ["id", "cohort", "programme", "module", "enterprise", "joined_on", "completed_on", "steps", "reasons"]

    def get_steps(self, obj: CohortEnterprise) -> dict[str, bool]:
        return {step.key: step.done for step in selectors.progress_of(obj).steps}

    def get_reasons(self, obj: CohortEnterprise) -> list[str]:
        return selectors.progress_of(obj).reasons


class SessionSerializer(ModelSerializer):
    participant_count = serializers.IntegerField(read_only=True)
    response_count = serializers.IntegerField(read_only=True)
    satisfied_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ClassroomSession
        fields = [
            "id",
            "cohort",
            "title",
            "starts_on",
            "ends_on",
            "venue",
            "participant_count",
            "response_count",
            "satisfied_count",
        ]


class FindingSerializer(ModelSerializer):
    class Meta:
        model = VisitFinding
        fields = ["id", "text", "kind"]


class ActionSerializer(ModelSerializer):
    class Meta:
        model = VisitAction
        fields = ["id", "text", "owner", "due_on", "done_on"]


class VisitSerializer(ModelSerializer):
    module = serializers.CharField(source="participation.cohort.module.code", read_only=True)
    cohort = serializers.IntegerField(source="participation.cohort_id", read_only=True)
    consultants: serializers.StringRelatedField = serializers.StringRelatedField(many=True)
    inspector: serializers.StringRelatedField = serializers.StringRelatedField(allow_null=True)  # joint visits only
    findings = FindingSerializer(many=True, read_only=True)
    actions = ActionSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "enterprise",
            "cohort",
            "module",
            "kind",
            "status",
            "planned_on",
            "done_on",
            "consultants",
            "inspector",
            "observations",
            "next_visit_on",
            "findings",
            "actions",
            "signed_by",
            "signed_on",
        ]


class MemberSerializer(ModelSerializer):
    class Meta:
        model = TeamMember
        fields = ["id", "name", "role", "gender", "position", "joined_on", "left_on"]


class TeamSerializer(ModelSerializer):
    members = MemberSerializer(many=True, read_only=True)

    class Meta:
        model = ImprovementTeam
        fields = ["id", "enterprise", "name", "formed_on", "members"]


class PlanItemSerializer(ModelSerializer):
    link_type = serializers.SerializerMethodField()

    class Meta:
        model = PlanItem
        fields = ["id", "enterprise", "objective", "actions", "owner", "due_on", "status", "link_type", "link_id"]

    def get_link_type(self, obj: PlanItem) -> str | None:
        return f"{obj.link_type.app_label}.{obj.link_type.model}" if obj.link_type_id else None  # type: ignore[union-attr]


class CertificateSerializer(ModelSerializer):
    module: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Certificate
        fields = ["id", "enterprise", "programme", "module", "issued_on", "verification_code", "revoked_on"]


class CertificationSerializer(ModelSerializer):
    module: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TrainerCertification
        fields = ["module", "status", "since", "recommended_status"]


class TrainerSerializer(ModelSerializer):
    name = serializers.CharField(source="user.__str__", read_only=True)
    provider: serializers.StringRelatedField = serializers.StringRelatedField()
    certifications = CertificationSerializer(many=True, read_only=True)
    session_count = serializers.IntegerField(read_only=True)
    visit_count = serializers.IntegerField(read_only=True)
    enterprise_count = serializers.IntegerField(read_only=True)
    satisfaction_rate = serializers.SerializerMethodField()

    class Meta:
        model = TrainerProfile
        fields = [
            "id",
            "name",
            "provider",
            "certifications",
            "session_count",
            "visit_count",
            "enterprise_count",
            "satisfaction_rate",
        ]

    def get_satisfaction_rate(self, obj: Any) -> float | None:
        return selectors.rate(obj.satisfied_count, obj.response_count)


class ModuleViewSet(ScopedReadOnlyViewSet):
    model = Module
    serializer_class = ModuleSerializer
    filterset_class = ModuleFilter

    def refine_queryset(self, queryset: QuerySet[Module]) -> QuerySet[Module]:
        return queryset.prefetch_related("prerequisites")


class ProgrammeViewSet(ScopedReadOnlyViewSet):
    model = Programme
    serializer_class = ProgrammeSerializer
    filterset_class = ProgrammeFilter

    def refine_queryset(self, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
        return (
            queryset.select_related("region")
            .prefetch_related("targets__module")
            .annotate(enrolled=Count("enrolments", filter=~Q(enrolments__status="dropped")))
            .order_by("-starts_on", "name_zh")
        )


class EnrolmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Enrolments in the caller's scope; POST enrols one enterprise (officials, in their area)."""

    model = Enrolment
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    write_action = Action.MANAGE

    def refine_queryset(self, queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        return queryset.select_related("enterprise")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        self.check_can_create()
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: EnrolmentSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        created = self.run_service(
            services.enrolment_create_many,
            programme=data["programme"],
            enterprises=[data["enterprise"]],
            enrolled_on=data["enrolled_on"],
        )
        serializer.instance = created[0]


class CohortViewSet(ScopedReadOnlyViewSet):
    model = Cohort
    serializer_class = CohortSerializer
    filterset_class = CohortFilter

    def refine_queryset(self, queryset: QuerySet[Cohort]) -> QuerySet[Cohort]:
        return (
            queryset.select_related("module", "provider", "lead_trainer")
            .annotate(enterprise_count=Count("members"))
            .order_by("-created_at", "name")
        )


class ProgressViewSet(ScopedReadOnlyViewSet):
    """Each enterprise's progress path in each module (enrolled → baseline → classroom → visits → completed)."""

    model = CohortEnterprise
    serializer_class = ProgressSerializer
    filterset_class = ProgressFilter

    def refine_queryset(self, queryset: QuerySet[CohortEnterprise]) -> QuerySet[CohortEnterprise]:
        return selectors.with_progress(queryset)


class SessionViewSet(ScopedReadOnlyViewSet):
    model = ClassroomSession
    serializer_class = SessionSerializer
    filterset_class = SessionFilter

    def refine_queryset(self, queryset: QuerySet[ClassroomSession]) -> QuerySet[ClassroomSession]:
        return selectors.with_session_numbers(queryset)


class VisitViewSet(ScopedReadOnlyViewSet):
    model = Visit
    serializer_class = VisitSerializer
    filterset_class = VisitFilter

    def refine_queryset(self, queryset: QuerySet[Visit]) -> QuerySet[Visit]:
        return queryset.select_related("participation__cohort__module", "inspector").prefetch_related(
            "consultants", "findings", "actions"
        )


class TeamViewSet(ScopedReadOnlyViewSet):
    model = ImprovementTeam
    serializer_class = TeamSerializer
    filterset_class = TeamFilter

    def refine_queryset(self, queryset: QuerySet[ImprovementTeam]) -> QuerySet[ImprovementTeam]:
        return queryset.prefetch_related("members")


class PlanItemViewSet(ScopedReadOnlyViewSet):
    model = PlanItem
    serializer_class = PlanItemSerializer
    filterset_class = PlanItemFilter

    def refine_queryset(self, queryset: QuerySet[PlanItem]) -> QuerySet[PlanItem]:
        return queryset.select_related("link_type")


class CertificateViewSet(ScopedReadOnlyViewSet):
    model = Certificate
    serializer_class = CertificateSerializer
    filterset_class = CertificateFilter

    def refine_queryset(self, queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
        return queryset.select_related("module")


class TrainerViewSet(ScopedReadOnlyViewSet):
    model = TrainerProfile
    serializer_class = TrainerSerializer
    filterset_class = TrainerFilter

    def refine_queryset(self, queryset: QuerySet[TrainerProfile]) -> QuerySet[TrainerProfile]:
        return selectors.with_trainer_numbers(
            queryset.select_related("user", "provider").prefetch_related("certifications__module")
        )


routes = [
    ("training/modules", ModuleViewSet, "training-module"),
    ("training/programmes", ProgrammeViewSet, "training-programme"),
    ("training/enrolments", EnrolmentViewSet, "training-enrolment"),
    ("training/cohorts", CohortViewSet, "training-cohort"),
    ("training/progress", ProgressViewSet, "training-progress"),
    ("training/sessions", SessionViewSet, "training-session"),
    ("training/visits", VisitViewSet, "training-visit"),
    ("training/teams", TeamViewSet, "training-team"),
    ("training/plan-items", PlanItemViewSet, "training-plan-item"),
    ("training/certificates", CertificateViewSet, "training-certificate"),
    ("training/trainers", TrainerViewSet, "training-trainer"),
]
