"""One FilterSet per listed model, used by the HTML lists and the API alike.  Choice lists are scoped."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.accounts.models import Organisation, OrganisationKind
from scorehub.core.filters import FilterSet
from scorehub.regions.models import Region

from .models import (
    Certificate,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
    FindingKind,
    ImprovementTeam,
    Module,
    PlanItem,
    PlanItemStatus,
    Programme,
    TrainerProfile,
    Visit,
    VisitKind,
    VisitStatus,
)


def _programmes(request: Any) -> QuerySet[Programme]:
    if request is None:
        return Programme.objects.none()
    return Programme.objects.visible_to(request.user)


def _modules(request: Any) -> QuerySet[Module]:
    if request is None:
        return Module.objects.none()
    return Module.objects.visible_to(request.user)


def _cohorts(request: Any) -> QuerySet[Cohort]:
    if request is None:
        return Cohort.objects.none()
    return Cohort.objects.visible_to(request.user)


def _regions(request: Any) -> QuerySet[Region]:
    if request is None:
        return Region.objects.none()
    return Region.objects.visible_to(request.user).order_by("code")


def _providers(request: Any) -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)


class StyledFilterSet(FilterSet):
    """The training lists' filters (styled and strict, like every FilterSet of the project)."""


def search_widget(placeholder: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"placeholder": placeholder})


class ModuleFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("code or name")))
    is_active = django_filters.BooleanFilter(label=_("Offered"))

    class Meta:
        model = Module
        fields = ["q", "is_active"]

    def search(self, queryset: QuerySet[Module], name: str, value: str) -> QuerySet[Module]:
        value = value.strip()
        return queryset.filter(Q(code__iexact=value) | Q(name_zh__icontains=value) | Q(name_en__icontains=value))


class ProgrammeFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("name")))
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_regions, method="in_region"
    )
    running = django_filters.BooleanFilter(label=_("Running today"), method="running_today")

    class Meta:
        model = Programme
        fields = ["q", "region", "running"]

    def search(self, queryset: QuerySet[Programme], name: str, value: str) -> QuerySet[Programme]:
        value = value.strip()
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value))

    def in_region(self, queryset: QuerySet[Programme], name: str, value: Region | None) -> QuerySet[Programme]:
        return queryset.filter(region__code__startswith=value.prefix) if value else queryset

    def running_today(self, queryset: QuerySet[Programme], name: str, value: bool | None) -> QuerySet[Programme]:
        if value is None:
            return queryset
        today = timezone.localdate()
        running = Q(starts_on__lte=today, ends_on__gte=today)
        return queryset.filter(running) if value else queryset.exclude(running)


class EnrolmentFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("enterprise or credit code"))
    )
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=_programmes)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnrolmentStatus.choices)
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_regions, method="in_region"
    )
    in_cohort = django_filters.BooleanFilter(label=_("In a cohort"), method="filter_in_cohort")

    class Meta:
        model = Enrolment
        fields = ["q", "programme", "status", "region", "in_cohort"]

    def search(self, queryset: QuerySet[Enrolment], name: str, value: str) -> QuerySet[Enrolment]:
        value = value.strip()
        return queryset.filter(
            Q(enterprise__name_zh__icontains=value)
            | Q(enterprise__name_en__icontains=value)
            | Q(enterprise__credit_code__istartswith=value.upper())
        )

    def in_region(self, queryset: QuerySet[Enrolment], name: str, value: Region | None) -> QuerySet[Enrolment]:
        return queryset.filter(enterprise__region__code__startswith=value.prefix) if value else queryset

    def filter_in_cohort(self, queryset: QuerySet[Enrolment], name: str, value: bool | None) -> QuerySet[Enrolment]:
        if value is None:
            return queryset
        return queryset.filter(participations__isnull=not value).distinct()


class CohortFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("name")))
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=_programmes)
    module = django_filters.ModelChoiceFilter(label=_("Module"), queryset=_modules)
    provider = django_filters.ModelChoiceFilter(label=_("Training provider"), queryset=_providers)

    class Meta:
        model = Cohort
        fields = ["q", "programme", "module", "provider"]

    def search(self, queryset: QuerySet[Cohort], name: str, value: str) -> QuerySet[Cohort]:
        return queryset.filter(name__icontains=value.strip())


class SessionFilter(StyledFilterSet):
    cohort = django_filters.ModelChoiceFilter(label=_("Cohort"), queryset=_cohorts)
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=_programmes, field_name="cohort__programme"
    )
    starts_after = django_filters.DateFilter(
        label=_("From"), field_name="starts_on", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_before = django_filters.DateFilter(
        label=_("Until"), field_name="starts_on", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = ClassroomSession
        fields = ["cohort", "programme", "starts_after", "starts_before"]


class VisitFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("enterprise")))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=VisitStatus.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=VisitKind.choices)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")
    joint = django_filters.BooleanFilter(label=_("Joint visit with an inspector"), method="filter_joint")
    finding_kind = django_filters.ChoiceFilter(
        label=_("Has findings marked"), choices=FindingKind.choices, method="filter_finding_kind"
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=_programmes, field_name="participation__cohort__programme"
    )
    cohort = django_filters.ModelChoiceFilter(label=_("Cohort"), queryset=_cohorts, field_name="participation__cohort")

    class Meta:
        model = Visit
        fields = ["q", "status", "kind", "overdue", "joint", "finding_kind", "programme", "cohort"]

    def search(self, queryset: QuerySet[Visit], name: str, value: str) -> QuerySet[Visit]:
        value = value.strip()
        return queryset.filter(Q(enterprise__name_zh__icontains=value) | Q(enterprise__name_en__icontains=value))

    def filter_overdue(self, queryset: QuerySet[Visit], name: str, value: bool | None) -> QuerySet[Visit]:
        if value is None:
            return queryset
        overdue = Q(status=VisitStatus.PLANNED, planned_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)

    def filter_joint(self, queryset: QuerySet[Visit], name: str, value: bool | None) -> QuerySet[Visit]:
        if value is None:
            return queryset
        return queryset.filter(inspector__isnull=not value)

    def filter_finding_kind(self, queryset: QuerySet[Visit], name: str, value: str) -> QuerySet[Visit]:
        return queryset.filter(findings__kind=value).distinct() if value else queryset


class CertificateFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("enterprise or code")))
    programme = django_filters.ModelChoiceFilter(label=_("Programme"), queryset=_programmes)
    module = django_filters.ModelChoiceFilter(label=_("Module"), queryset=_modules)
    valid = django_filters.BooleanFilter(label=_("Valid"), field_name="revoked_on", lookup_expr="isnull")

    class Meta:
        model = Certificate
        fields = ["q", "programme", "module", "valid"]

    def search(self, queryset: QuerySet[Certificate], name: str, value: str) -> QuerySet[Certificate]:
        value = value.strip()
        return queryset.filter(
            Q(enterprise__name_zh__icontains=value)
            | Q(enterprise__name_en__icontains=value)
            | Q(verification_code__iexact=value)
        )


class TeamFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("enterprise")))
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_regions, method="in_region"
    )

    class Meta:
        model = ImprovementTeam
        fields = ["q", "region"]

    def search(self, queryset: QuerySet[ImprovementTeam], name: str, value: str) -> QuerySet[ImprovementTeam]:
        value = value.strip()
        return queryset.filter(Q(enterprise__name_zh__icontains=value) | Q(name__icontains=value))

    def in_region(
        self, queryset: QuerySet[ImprovementTeam], name: str, value: Region | None
    ) -> QuerySet[ImprovementTeam]:
        return queryset.filter(enterprise__region__code__startswith=value.prefix) if value else queryset


class PlanItemFilter(StyledFilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=search_widget(_("objective or enterprise"))
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PlanItemStatus.choices)
    overdue = django_filters.BooleanFilter(label=_("Overdue"), method="filter_overdue")

    class Meta:
        model = PlanItem
        fields = ["q", "status", "overdue"]

    def search(self, queryset: QuerySet[PlanItem], name: str, value: str) -> QuerySet[PlanItem]:
        value = value.strip()
        return queryset.filter(Q(objective__icontains=value) | Q(enterprise__name_zh__icontains=value))

    def filter_overdue(self, queryset: QuerySet[PlanItem], name: str, value: bool | None) -> QuerySet[PlanItem]:
        if value is None:
            return queryset
        overdue = Q(status__in=[PlanItemStatus.OPEN, PlanItemStatus.IN_PROGRESS], due_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class TrainerFilter(StyledFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", widget=search_widget(_("name")))
    provider = django_filters.ModelChoiceFilter(label=_("Training provider"), queryset=_providers)
    module = django_filters.ModelChoiceFilter(label=_("Certified in"), queryset=_modules, method="certified_in")

    class Meta:
        model = TrainerProfile
        fields = ["q", "provider", "module"]

    def search(self, queryset: QuerySet[TrainerProfile], name: str, value: str) -> QuerySet[TrainerProfile]:
        value = value.strip()
        return queryset.filter(Q(user__display_name__icontains=value) | Q(user__username__icontains=value))

    def certified_in(
        self, queryset: QuerySet[TrainerProfile], name: str, value: Module | None
    ) -> QuerySet[TrainerProfile]:
        if value is None:
            return queryset
        return queryset.filter(
            certifications__module__code=value.code, certifications__status__in=["certified", "expert"]
        ).distinct()


def _enterprises(request: Any) -> QuerySet[Any]:
    from scorehub.enterprises.models import Enterprise

    if request is None:
        return Enterprise.objects.none()
    return Enterprise.objects.visible_to(request.user)


class ProgressFilter(FilterSet):
    """The progress API's filters; their choices are scoped like everything else (no unscoped select box)."""

    cohort = django_filters.ModelChoiceFilter(label=_("Cohort"), queryset=_cohorts)
    enterprise = django_filters.ModelChoiceFilter(label=_("Enterprise"), queryset=_enterprises)

    class Meta:
        model = CohortEnterprise
        fields = ["cohort", "enterprise"]
