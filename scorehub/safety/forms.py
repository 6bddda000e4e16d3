from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.core.forms import BootstrapFormMixin
from scorehub.enterprises import industries

from .models import (
    Accident,
    AffectedPerson,
    ChecklistItem,
    ChecklistTemplate,
    HazardClass,
    HazardSource,
    RiskPoint,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each is decoded and cleaned by the service."""

    widget = MultipleFileInput(attrs={"accept": "image/*"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class _Form(BootstrapFormMixin, forms.Form):
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.user = user
        self.apply_bootstrap()


class _ModelForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.apply_bootstrap()


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


class ChecklistTemplateForm(_ModelForm):
    industries = forms.MultipleChoiceField(
        label=_("Industries"),
        required=False,
        help_text=_("Leave empty for a checklist that fits every industry."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = ChecklistTemplate
        fields = ["code", "name_zh", "name_en", "description", "industries", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["industries"].choices = industries.division_choices()  # type: ignore[attr-defined]


class ChecklistItemForm(_ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["code", "category", "text_zh", "text_en", "reference", "default_hazard_class"]
        widgets = {"text_zh": forms.Textarea(attrs={"rows": 3}), "text_en": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:
        # The service decides which version the item lands in and checks uniqueness there.
        return None


# --------------------------------------------------------------------------------------------------
# Hazards
# --------------------------------------------------------------------------------------------------


class HazardReportForm(_Form):
    source_kind = forms.ChoiceField(
        label=_("Source"), choices=[(k, v) for k, v in HazardSource.choices if k != HazardSource.CHECK]
    )
    source_reference = forms.CharField(
        label=_("Source reference"), max_length=200, required=False, help_text=_("e.g. visit 2 of 3, suggestion no.")
    )
    place = forms.CharField(label=_("Place"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}))
    hazard_class = forms.ChoiceField(label=_("Class"), choices=HazardClass.choices, initial=HazardClass.GENERAL)
    found_on = forms.DateField(label=_("Found on"), widget=DateInput(), initial=timezone.localdate)
    photos = PhotosField(label=_("Photos"), required=False)


class HazardAssignForm(_Form):
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    required_measures = forms.CharField(label=_("Required measures"), widget=forms.Textarea(attrs={"rows": 3}))


class RectificationPlanForm(_Form):
    objective = forms.CharField(label=_("Objective"), widget=forms.Textarea(attrs={"rows": 2}))
    measures = forms.CharField(label=_("Measures"), widget=forms.Textarea(attrs={"rows": 3}))
    funds = forms.DecimalField(label=_("Funds (CNY)"), min_value=0, max_digits=12, decimal_places=2)
    responsible_person = forms.CharField(label=_("Responsible person"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    interim_measures = forms.CharField(label=_("Interim safety measures"), widget=forms.Textarea(attrs={"rows": 3}))


class HazardRectifyForm(_Form):
    note = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The evidence of rectification: what was changed, by whom, what it cost."),
    )
    rectified_on = forms.DateField(label=_("Rectified on"), widget=DateInput(), initial=timezone.localdate)
    photos = PhotosField(label=_("Photos of the rectification"), required=False)


class HazardVerifyForm(_Form):
    passed = forms.TypedChoiceField(
        label=_("Result of verification"),
        choices=[("yes", _("Accepted: the hazard is removed")), ("no", _("Not accepted: reopen the hazard"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class NoteForm(_Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


# --------------------------------------------------------------------------------------------------
# Risk points
# --------------------------------------------------------------------------------------------------


class RiskPointForm(_ModelForm):
    class Meta:
        model = RiskPoint
        fields = [
            "name",
            "place",
            "hazard_factors",
            "method",
            "lec_l",
            "lec_e",
            "lec_c",
            "likelihood",
            "severity",
            "control_measures",
            "responsible_level",
            "responsible_person",
            "emergency_measures",
            "assessed_on",
        ]
        widgets = {
            "hazard_factors": forms.Textarea(attrs={"rows": 2}),
            "control_measures": forms.Textarea(attrs={"rows": 3}),
            "emergency_measures": forms.Textarea(attrs={"rows": 2}),
            "assessed_on": DateInput(),
        }


# --------------------------------------------------------------------------------------------------
# Accidents
# --------------------------------------------------------------------------------------------------


class AccidentForm(_ModelForm):
    class Meta:
        model = Accident
        fields = ["occurred_on", "place", "accident_type", "severity", "description", "cause", "corrective_actions"]
        widgets = {
            "occurred_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "cause": forms.Textarea(attrs={"rows": 2}),
            "corrective_actions": forms.Textarea(attrs={"rows": 2}),
        }


class AffectedPersonForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AffectedPerson
        fields = ["gender", "role", "injury", "days_lost"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


AffectedPeopleFormSet = forms.formset_factory(AffectedPersonForm, extra=2, can_delete=True, max_num=50)


class AccidentHazardForm(_Form):
    place = forms.CharField(label=_("Place"), max_length=200)
    description = forms.CharField(label=_("Hazard to rectify"), widget=forms.Textarea(attrs={"rows": 3}))
    hazard_class = forms.ChoiceField(label=_("Class"), choices=HazardClass.choices)


class HoursWorkedForm(_Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, initial=lambda: dt.date.today().year)
    hours = forms.IntegerField(label=_("Hours worked by all employees"), min_value=1)


# --------------------------------------------------------------------------------------------------
# Inspection planning
# --------------------------------------------------------------------------------------------------


class PlanInspectionForm(_Form):
    planned_for = forms.DateField(label=_("Planned for"), widget=DateInput())
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .models import PlannedInspection

        self.fields["kind"].choices = PlannedInspection._meta.get_field("kind").choices  # type: ignore[attr-defined]
        self.fields["planned_for"].initial = timezone.localdate() + dt.timedelta(days=7)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=DateInput(attrs={"class": "form-control form-control-sm"}))
    end = forms.DateField(label=_("To"), widget=DateInput(attrs={"class": "form-control form-control-sm"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data
