from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from scorehub.core.forms import style_filter_form

from .models import Organisation, OrganisationKind


class OrganisationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OrganisationKind.choices)

    class Meta:
        model = Organisation
        fields = ["q", "kind"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        style_filter_form(self.form)

    def search(self, queryset: QuerySet[Organisation], name: str, value: str) -> QuerySet[Organisation]:
        return queryset.filter(Q(name_zh__icontains=value) | Q(name_en__icontains=value))
