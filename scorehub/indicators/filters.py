"""One FilterSet per listed model, for the HTML lists and the API alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.filters import FilterSet, IdFilter
from scorehub.regions.models import Region

from .catalogue import module_choices
from .models import Assessment, KpiRecord, Stage


def _visible_regions(request: Any) -> QuerySet[Region]:
    if request is None:
        return Region.objects.none()
    return Region.objects.visible_to(request.user).order_by("code")


class _EnterpriseFilterMixin(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("name or credit code")})
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_visible_regions, method="in_region"
    )

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(enterprise__name_zh__icontains=value)
            | Q(enterprise__name_en__icontains=value)
            | Q(enterprise__credit_code__istartswith=value.upper())
        )

    def in_region(self, queryset: QuerySet[Any], name: str, value: Region | None) -> QuerySet[Any]:
        return queryset.filter(enterprise__region__code__startswith=value.prefix) if value else queryset


class KpiRecordFilter(_EnterpriseFilterMixin):
    month_from = django_filters.DateFilter(
        label=_("From month"),
        field_name="month",
        lookup_expr="gte",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    month_to = django_filters.DateFilter(
        label=_("To month"),
        field_name="month",
        lookup_expr="lte",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    enterprise = IdFilter(field_name="enterprise_id", widget=forms.HiddenInput)

    class Meta:
        model = KpiRecord
        fields = ["q", "region", "month_from", "month_to", "enterprise"]


class AssessmentFilter(_EnterpriseFilterMixin):
    module = django_filters.ChoiceFilter(label=_("Module"), choices=module_choices)
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    assessed_from = django_filters.DateFilter(
        label=_("Assessed from"),
        field_name="assessed_on",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    assessed_to = django_filters.DateFilter(
        label=_("Assessed until"),
        field_name="assessed_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    enterprise = IdFilter(field_name="enterprise_id", widget=forms.HiddenInput)

    class Meta:
        model = Assessment
        fields = ["q", "region", "module", "stage", "assessed_from", "assessed_to", "enterprise"]
