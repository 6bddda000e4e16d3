"""One FilterSet per model serves the HTML list and the API alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.filters import FilterSet
from scorehub.regions.models import Region

from . import industries
from .models import Enterprise, EnterpriseStatus, SizeClass


def _visible_regions(request: Any) -> QuerySet[Region]:
    if request is None:
        return Region.objects.none()
    return Region.objects.visible_to(request.user).order_by("code")


class EnterpriseFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("name or credit code")})
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region (with everything below it)"), queryset=_visible_regions, method="in_region"
    )
    industry_section = django_filters.ChoiceFilter(label=_("Industry section"), choices=industries.section_choices)
    # Choices are a callable, evaluated whenever the field lists them (per request: language).  Setting
    # them on the instance does not last: once anything (the OpenAPI schema) has built the class's field,
    # every copy keeps that field and its empty choices.
    industry_division = django_filters.ChoiceFilter(label=_("Industry division"), choices=industries.division_choices)
    size_class = django_filters.ChoiceFilter(label=_("Size class"), choices=SizeClass.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=EnterpriseStatus.choices)
    archived = django_filters.ChoiceFilter(
        label=_("Archive"),
        choices=[("archived", _("Archived only")), ("all", _("Current and archived"))],
        empty_label=_("Current only"),
        method="archive_state",
    )

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry_section", "industry_division", "size_class", "status", "archived"]

    @property
    def qs(self) -> QuerySet[Enterprise]:
        queryset = super().qs
        # Archived enterprises stay out of the list unless asked for (the filter method below does that).
        if self.data.get("archived") not in ("archived", "all"):
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset

    def archive_state(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        return queryset.filter(archived_at__isnull=False) if value == "archived" else queryset

    def search(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(credit_code__istartswith=value.upper())
        )

    def in_region(self, queryset: QuerySet[Enterprise], name: str, value: Region | None) -> QuerySet[Enterprise]:
        return queryset.in_region(value.prefix) if value else queryset  # type: ignore[attr-defined]


class BuyerEnterpriseFilter(EnterpriseFilter):
    """The list's filters for a buyer: by the summary's fields only (``buyer_summary``).  The search looks at
    names, not credit codes; status and the archive are not offered (archived suppliers are not listed)."""

    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("name of the enterprise")})
    )
    status = None  # type: ignore[assignment]
    archived = None  # type: ignore[assignment]

    class Meta:
        model = Enterprise
        fields = ["q", "region", "industry_section", "industry_division", "size_class"]

    @property
    def qs(self) -> QuerySet[Enterprise]:
        return super(EnterpriseFilter, self).qs.filter(archived_at__isnull=True)

    def search(self, queryset: QuerySet[Enterprise], name: str, value: str) -> QuerySet[Enterprise]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value))
