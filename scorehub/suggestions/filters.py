"""One FilterSet per listed model, for the HTML lists, the board and the API alike."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from scorehub.core.filters import FilterSet
from scorehub.enterprises.models import Enterprise

from .models import (
    MODULE_CHOICES,
    CaseStudy,
    Category,
    ImprovementProject,
    Poster,
    ProjectStatus,
    Suggestion,
    SuggestionStatus,
)


def _visible_enterprises(request: Any) -> QuerySet[Enterprise]:
    if request is None:
        return Enterprise.objects.none()
    return Enterprise.objects.visible_to(request.user).filter(archived_at__isnull=True).order_by("name_zh")


class SuggestionFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"placeholder": _("text, workshop or tracking code")}),
    )
    enterprise = django_filters.ModelChoiceFilter(label=_("Enterprise"), queryset=_visible_enterprises)
    status = django_filters.MultipleChoiceFilter(label=_("Status"), choices=SuggestionStatus.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    workshop = django_filters.CharFilter(label=_("Workshop"), lookup_expr="icontains")
    submitted_after = django_filters.DateFilter(
        label=_("Submitted from"),
        field_name="submitted_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    submitted_before = django_filters.DateFilter(
        label=_("Submitted until"),
        field_name="submitted_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="only_overdue", widget=forms.CheckboxInput)

    class Meta:
        model = Suggestion
        fields = ["q", "enterprise", "status", "category", "workshop", "submitted_after", "submitted_before", "overdue"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form.fields["status"].widget.attrs["size"] = 4
        self.form.fields["overdue"].widget.attrs["class"] = "form-check-input"

    def search(self, queryset: QuerySet[Suggestion], name: str, value: str) -> QuerySet[Suggestion]:
        value = value.strip()
        if not value:
            return queryset
        code = "".join(ch for ch in value.upper() if ch.isalnum())
        return queryset.filter(
            Q(problem__icontains=value)
            | Q(proposal__icontains=value)
            | Q(workshop__icontains=value)
            | Q(tracking_code=code)
        )

    def only_overdue(self, queryset: QuerySet[Suggestion], name: str, value: bool | None) -> QuerySet[Suggestion]:
        return queryset.overdue() if value else queryset  # type: ignore[attr-defined]


class ProjectFilter(FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    enterprise = django_filters.ModelChoiceFilter(label=_("Enterprise"), queryset=_visible_enterprises)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices)
    module = django_filters.ChoiceFilter(label=_("SCORE module"), choices=MODULE_CHOICES)
    verified = django_filters.BooleanFilter(
        label=_("Savings verified"), field_name="verified_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = ImprovementProject
        fields = ["q", "enterprise", "status", "module", "verified"]

    def search(self, queryset: QuerySet[ImprovementProject], name: str, value: str) -> QuerySet[ImprovementProject]:
        value = value.strip()
        return queryset.filter(Q(title__icontains=value) | Q(goal__icontains=value)) if value else queryset


class CaseStudyFilter(FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", widget=forms.TextInput(attrs={"placeholder": _("title or text")})
    )
    module = django_filters.ChoiceFilter(label=_("SCORE module"), choices=MODULE_CHOICES)

    class Meta:
        model = CaseStudy
        fields = ["q", "module"]

    def search(self, queryset: QuerySet[CaseStudy], name: str, value: str) -> QuerySet[CaseStudy]:
        value = value.strip()
        if not value:
            return queryset
        q = Q()
        for field in ("title_zh", "title_en", "summary_zh", "summary_en", "before_text", "after_text"):
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)


class PosterFilter(FilterSet):
    enterprise = django_filters.ModelChoiceFilter(label=_("Enterprise"), queryset=_visible_enterprises)
    revoked = django_filters.BooleanFilter(
        label=pgettext_lazy("poster", "Revoked"), field_name="revoked_at", lookup_expr="isnull", exclude=True
    )

    class Meta:
        model = Poster
        fields = ["enterprise", "revoked"]
