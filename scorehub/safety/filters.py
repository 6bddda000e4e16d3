"""One FilterSet per listed model; the HTML lists and the API use the same ones."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scorehub.core.filters import FilterSet, IdFilter
from scorehub.regions.models import Region

from .models import (
    OPEN_STATUSES,
    Accident,
    AccidentSeverity,
    AccidentType,
    BureauNotification,
    CheckKind,
    ChecklistTemplate,
    Hazard,
    HazardClass,
    HazardSource,
    HazardStatus,
    PlannedInspection,
    PlannedStatus,
    ResponsibleLevel,
    RiskLevel,
    RiskPoint,
    SafetyCheck,
)


def _visible_regions(request: Any) -> QuerySet[Region]:
    if request is None:
        return Region.objects.none()
    return Region.objects.visible_to(request.user).order_by("code")


class _EnterpriseScopedFilter(FilterSet):
    """Region (with the subtree) and a search over the enterprise's name."""

    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_visible_regions, method="in_region"
    )
    enterprise = IdFilter(field_name="enterprise_id", widget=forms.HiddenInput)

    def in_region(self, queryset: QuerySet[Any], name: str, value: Region | None) -> QuerySet[Any]:
        return queryset.filter(enterprise__region__code__startswith=value.prefix) if value else queryset


class DateRangeWidget(django_filters.widgets.DateRangeWidget):
    """From and to dates as ``<name>_after`` and ``<name>_before`` (the names the API documents)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"type": "date", **(attrs or {})})


class SafetyCheckFilter(_EnterpriseScopedFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CheckKind.choices)
    checked_on = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangeWidget())

    class Meta:
        model = SafetyCheck
        fields = ["q", "region", "kind", "checked_on", "enterprise"]

    def search(self, queryset: QuerySet[SafetyCheck], name: str, value: str) -> QuerySet[SafetyCheck]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(enterprise__name_zh__icontains=value)
            | Q(enterprise__name_en__icontains=value)
            | Q(place__icontains=value)
        )


class HazardFilter(_EnterpriseScopedFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=HazardStatus.choices)
    state = django_filters.ChoiceFilter(
        label=_("State"),
        choices=[
            ("open", pgettext_lazy("hazard", "open")),
            ("overdue", _("overdue")),
            ("done", _("rectified or later")),
        ],
        method="by_state",
    )
    hazard_class = django_filters.ChoiceFilter(label=_("Class"), choices=HazardClass.choices)
    source_kind = django_filters.ChoiceFilter(label=_("Source"), choices=HazardSource.choices)
    found_on = django_filters.DateFromToRangeFilter(label=_("Found on"), widget=DateRangeWidget())

    class Meta:
        model = Hazard
        fields = ["q", "region", "state", "status", "hazard_class", "source_kind", "found_on", "enterprise"]

    def search(self, queryset: QuerySet[Hazard], name: str, value: str) -> QuerySet[Hazard]:
        value = value.strip()
        if not value:
            return queryset
        q = Q(description__icontains=value) | Q(place__icontains=value) | Q(enterprise__name_zh__icontains=value)
        if value.lstrip("#").isdigit():
            q |= Q(pk=int(value.lstrip("#")))
        return queryset.filter(q)

    def by_state(self, queryset: QuerySet[Hazard], name: str, value: str) -> QuerySet[Hazard]:
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "overdue":
            return queryset.filter(status__in=OPEN_STATUSES, deadline__lt=timezone.localdate())
        if value == "done":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


class RiskPointFilter(_EnterpriseScopedFilter):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    level = django_filters.ChoiceFilter(label=_("Risk level"), choices=RiskLevel.choices)
    responsible_level = django_filters.ChoiceFilter(label=_("Responsible level"), choices=ResponsibleLevel.choices)

    class Meta:
        model = RiskPoint
        fields = ["q", "region", "level", "responsible_level", "enterprise"]

    @property
    def qs(self) -> QuerySet[RiskPoint]:
        return super().qs.filter(archived_at__isnull=True)

    def search(self, queryset: QuerySet[RiskPoint], name: str, value: str) -> QuerySet[RiskPoint]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(place__icontains=value) | Q(enterprise__name_zh__icontains=value)
        )


class AccidentFilter(_EnterpriseScopedFilter):
    severity = django_filters.ChoiceFilter(label=_("Severity"), choices=AccidentSeverity.choices)
    accident_type = django_filters.ChoiceFilter(label=_("Type"), choices=AccidentType.choices)
    occurred_on = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangeWidget())

    class Meta:
        model = Accident
        fields = ["region", "severity", "accident_type", "occurred_on", "enterprise"]


class ChecklistTemplateFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = ChecklistTemplate
        fields = ["q", "is_active"]

    def search(self, queryset: QuerySet[ChecklistTemplate], name: str, value: str) -> QuerySet[ChecklistTemplate]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(code__icontains=value))


class BureauNotificationFilter(_EnterpriseScopedFilter):
    unread = django_filters.BooleanFilter(label=_("Not yet acknowledged"), field_name="read_at", lookup_expr="isnull")
    enterprise = IdFilter(field_name="hazard__enterprise_id", widget=forms.HiddenInput)

    class Meta:
        model = BureauNotification
        fields = ["region", "unread"]

    def in_region(self, queryset: QuerySet[Any], name: str, value: Region | None) -> QuerySet[Any]:
        return queryset.filter(hazard__enterprise__region__code__startswith=value.prefix) if value else queryset


class PlannedInspectionFilter(_EnterpriseScopedFilter):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=PlannedStatus.choices)
    planned_for = django_filters.DateFromToRangeFilter(label=_("Planned for"), widget=DateRangeWidget())

    class Meta:
        model = PlannedInspection
        fields = ["region", "status", "planned_for"]
