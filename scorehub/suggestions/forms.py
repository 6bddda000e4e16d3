from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.core.forms import BootstrapFormMixin
from scorehub.core.scoping import Action
from scorehub.enterprises.models import Enterprise

from .models import (
    OPEN_STATUSES,
    CaseStudy,
    Category,
    Gender,
    ImprovementProject,
    Measurement,
    Photo,
    PhotoKind,
    ProjectStatus,
    Suggestion,
    SuggestionStatus,
)
from .services import MAX_PHOTOS


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Zero to ``MAX_PHOTOS`` photos; the service checks and re-encodes them."""

    widget = MultiplePhotoInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": "image/*", "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        files = [f for f in files if f]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)s photos, please."), params={"n": MAX_PHOTOS})
        return files


def enterprise_choices(user: Any, action: str = Action.OPERATE) -> Any:
    return Enterprise.objects.visible_to(user, action).filter(archived_at__isnull=True).order_by("name_zh")


class PublicSuggestionForm(forms.Form):
    """The worker's form on the poster's page: few fields, big targets, anonymous unless they choose."""

    problem = forms.CharField(
        label=_("What is the problem?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("e.g. the guard of press No. 3 is loose")}),
    )
    proposal = forms.CharField(
        label=_("What do you suggest?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("e.g. fix the guard and check it every shift")}),
    )
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect)
    photos = MultiplePhotoField(label=_("Photos (optional)"))
    submitter_name = forms.CharField(label=_("Your name (optional)"), max_length=100, required=False)
    submitter_contact = forms.CharField(
        label=_("Phone or WeChat (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    submitter_gender = forms.ChoiceField(
        label=_("You are (optional)"), choices=Gender.choices, required=False, widget=forms.RadioSelect
    )
    form_key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)


class TrackingLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "placeholder": "ABCD-2345"}
        ),
    )


class SuggestionForm(BootstrapFormMixin, forms.Form):
    """A suggestion entered by staff (from a paper box, a meeting)."""

    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    workshop = forms.CharField(label=_("Workshop"), max_length=100, required=False)
    problem = forms.CharField(label=_("What is the problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    proposal = forms.CharField(label=_("What is suggested"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    submitted_on = forms.DateField(
        label=_("Submitted on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For a suggestion from the paper box: the day it was put in. Empty means today."),
    )
    submitter_name = forms.CharField(label=_("Name of the worker (optional)"), max_length=100, required=False)
    submitter_contact = forms.CharField(label=_("Contact (optional)"), max_length=100, required=False)
    submitter_gender = forms.ChoiceField(label=_("Gender (optional)"), choices=Gender.choices, required=False)
    photos = MultiplePhotoField(label=_("Photos"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        queryset = enterprise_choices(user)
        enterprise_field: Any = self.fields["enterprise"]
        enterprise_field.queryset = queryset
        if queryset.count() == 1:
            enterprise_field.initial = queryset.first()
        self.apply_bootstrap()

    def clean_submitted_on(self) -> dt.date | None:
        value = self.cleaned_data.get("submitted_on")
        if value and value > timezone.localdate():
            raise ValidationError(_("A suggestion cannot be submitted in the future."))
        return value


class TransitionForm(BootstrapFormMixin, forms.Form):
    """The fields a move needs: a reason to reject, an owner and a due date, evidence of implementation."""

    FIELDS_BY_STATUS: dict[str, tuple[str, ...]] = {
        SuggestionStatus.REJECTED: ("reason",),
        SuggestionStatus.IN_PROGRESS: ("owner_name", "due_date"),
        SuggestionStatus.IMPLEMENTED: ("note", "photos"),
        SuggestionStatus.ADOPTED: ("note",),
        SuggestionStatus.UNDER_REVIEW: ("note",),
    }

    to = forms.ChoiceField(choices=SuggestionStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for rejection"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The worker sees this reason on the tracking page. Be clear and respectful."),
    )
    owner_name = forms.CharField(label=_("Owner"), max_length=100)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultiplePhotoField(label=_("Photo of the result"))

    def __init__(self, *args: Any, to: str, suggestion: Suggestion, user: Any = None, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        keep = {"to", *self.FIELDS_BY_STATUS.get(to, ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields["to"].initial = to
        if to == SuggestionStatus.IMPLEMENTED:
            self.fields["note"].required = True
            self.fields["note"].label = _("What was done")
            self.fields["photos"].required = True
        if to == SuggestionStatus.IN_PROGRESS:
            self.fields["owner_name"].initial = suggestion.owner_name
            self.fields["due_date"].initial = suggestion.due_date or timezone.localdate() + dt.timedelta(days=30)
        self.apply_bootstrap()


class MergeForm(BootstrapFormMixin, forms.Form):
    into = forms.ModelChoiceField(
        label=_("The original suggestion"),
        queryset=Suggestion.objects.none(),
        help_text=_("This suggestion is closed as a duplicate; its worker then sees the original's status."),
    )

    def __init__(self, *args: Any, suggestion: Suggestion, user: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        into: Any = self.fields["into"]
        into.queryset = (
            Suggestion.objects.visible_to(user, Action.OPERATE)
            .filter(enterprise_id=suggestion.enterprise_id)
            .exclude(pk=suggestion.pk)
            .exclude(status=SuggestionStatus.MERGED)
            .order_by("-submitted_at")
        )
        self.apply_bootstrap()


class JoinProjectForm(BootstrapFormMixin, forms.Form):
    project = forms.ModelChoiceField(label=_("Improvement project"), queryset=ImprovementProject.objects.none())

    def __init__(self, *args: Any, suggestion: Suggestion, user: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        project: Any = self.fields["project"]
        project.queryset = (
            ImprovementProject.objects.visible_to(user, Action.OPERATE)
            .filter(enterprise_id=suggestion.enterprise_id)
            .exclude(status=ProjectStatus.CANCELLED)
        )
        self.apply_bootstrap()


class ProjectForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())

    class Meta:
        model = ImprovementProject
        fields = [
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
        ]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 3}),
            "team": forms.Textarea(attrs={"rows": 2}),
            "started_on": forms.DateInput(attrs={"type": "date"}),
            "completed_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, user: Any, suggestion: Suggestion | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        enterprise_field: Any = self.fields["enterprise"]
        if self.instance.pk:
            del self.fields["enterprise"]
        else:
            queryset = enterprise_choices(user)
            enterprise_field.queryset = queryset
            if suggestion is not None:
                enterprise_field.initial = suggestion.enterprise_id
                self.fields["title"].initial = suggestion.title
                self.fields["goal"].initial = suggestion.proposal
                self.fields["category"].initial = suggestion.category
            elif queryset.count() == 1:
                enterprise_field.initial = queryset.first()
        self.apply_bootstrap()


class MeasurementForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Measurement
        fields = ["name", "unit", "before", "after"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class ProjectPhotoForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Shows"), choices=[(PhotoKind.BEFORE, PhotoKind.BEFORE.label), (PhotoKind.AFTER, PhotoKind.AFTER.label)]
    )
    photo = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class VerifySavingsForm(BootstrapFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("Verified annual savings (CNY)"), min_value=0, max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("How it was verified"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        instance = kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["amount"].initial = instance.verified_savings or instance.expected_savings
        self.apply_bootstrap()


class PhotoChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Photo) -> str:  # type: ignore[override]
        return f"{obj.get_kind_display()} · {obj.caption or obj.pk}"


class CaseStudyForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    before_photo = PhotoChoiceField(label=_("Photo before"), queryset=Photo.objects.none(), required=False)
    after_photo = PhotoChoiceField(label=_("Photo after"), queryset=Photo.objects.none(), required=False)

    class Meta:
        model = CaseStudy
        fields = [
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "before_text",
            "after_text",
            "show_enterprise_name",
        ]
        widgets = {
            "summary_zh": forms.Textarea(attrs={"rows": 3}),
            "summary_en": forms.Textarea(attrs={"rows": 3}),
            "before_text": forms.Textarea(attrs={"rows": 3}),
            "after_text": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"summary_zh": _("Describe what was done; do not name workers.")}

    def __init__(self, *args: Any, user: Any, project: ImprovementProject, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        photos = Photo.objects.visible_to(user).filter(project=project)
        before: Any = self.fields["before_photo"]
        after: Any = self.fields["after_photo"]
        before.queryset = photos.filter(kind=PhotoKind.BEFORE)
        after.queryset = photos.filter(kind=PhotoKind.AFTER)
        if not self.instance.pk:
            self.fields["title_zh"].initial = project.title
            self.fields["summary_zh"].initial = project.goal
        self.apply_bootstrap()


class ReturnCaseForm(BootstrapFormMixin, forms.Form):
    note = forms.CharField(label=_("What should change"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.apply_bootstrap()


class PosterForm(BootstrapFormMixin, forms.Form):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    workshop = forms.CharField(
        label=_("Workshop"),
        max_length=100,
        required=False,
        help_text=_("Leave empty for a poster for the whole enterprise."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        queryset = enterprise_choices(user)
        enterprise_field: Any = self.fields["enterprise"]
        enterprise_field.queryset = queryset
        if queryset.count() == 1:
            enterprise_field.initial = queryset.first()
        self.apply_bootstrap()


OPEN_STATUS_VALUES = [str(s) for s in OPEN_STATUSES]
