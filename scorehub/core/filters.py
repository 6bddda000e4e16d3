"""The base of every FilterSet: styled for the list pages and strict for pages and API alike.

A filter value that cannot be used is an error, never silently "no filter": the API answers 400 with
the message under the parameter's name, the list page shows the message next to the field (and no rows).
On top of what django-filter's form fields check already:

* a yes/no filter takes ``true`` or ``false`` (``1``/``0``, the select's ``unknown``, a checkbox's ``on``);
  Django's widgets read anything else, ``null`` included, as "any";
* dates and times lie within the years of ``scorehub.core.validators``;
* numbers fit the database's 64-bit integers (a larger one would fail in the database, not in the form);
* an id (``IdFilter``) is a whole number from 1 up.

An empty value still means "not filtered": the list pages' filter forms send every field.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .forms import style_filter_form
from .validators import validate_plausible_date

#: What a yes/no filter accepts, in any case: the API's words and what Django's widgets send.
BOOLEAN_WORDS = frozenset({"true", "false", "1", "0", "on", "unknown"})
LARGEST_INTEGER = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """A record's id: a whole number from 1 to the largest the database holds."""

    MIN_ID = 1
    MAX_ID = LARGEST_INTEGER
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", self.MIN_ID)
        kwargs.setdefault("max_value", self.MAX_ID)
        super().__init__(*args, **kwargs)


class StrictFilterForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            for part in getattr(field, "fields", None) or (field,):  # a range field checks each end
                _bound(part)

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        for name, field in self.fields.items():
            if not isinstance(field, forms.BooleanField):
                continue
            raw = self.data.get(self.add_prefix(name))
            if raw not in (None, "") and str(raw).strip().lower() not in BOOLEAN_WORDS:
                self.add_error(name, ValidationError(_("Enter true or false."), code="invalid"))
        return cleaned


def _bound(field: forms.Field) -> None:
    if isinstance(field, forms.DateField | forms.DateTimeField):
        field.validators.append(validate_plausible_date)
    elif isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        field.validators += [MinValueValidator(-LARGEST_INTEGER), MaxValueValidator(LARGEST_INTEGER)]


class FilterSet(django_filters.FilterSet):
    """Subclass this, not django-filter's FilterSet: its form is styled and strict (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style_filter_form(self.form)

    @property
    def qs(self) -> QuerySet[Any]:
        # Invalid filters select nothing (django-filter would drop the invalid ones and select the rest).
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return super().qs  # type: ignore[no-any-return]

    def get_form_class(self) -> type[forms.Form]:
        form_class: type[forms.Form] = super().get_form_class()
        if issubclass(form_class, StrictFilterForm):
            return form_class
        return type(form_class.__name__, (StrictFilterForm, form_class), {})
