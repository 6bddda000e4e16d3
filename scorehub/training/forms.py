"""Forms for SCORE training.  Every choice list is scoped to what the user may reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scorehub.accounts.models import Organisation, OrganisationKind, User
from scorehub.core.forms import BootstrapFormMixin, style_filter_form
from scorehub.core.images import upload_help_text
from scorehub.core.scoping import Action
from scorehub.enterprises.credit_code import normalise
from scorehub.enterprises.models import Enterprise
from scorehub.regions.models import Region

from .models import (
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
    ImprovementTeam,
    Module,
    Participant,
    PlanItem,
    Programme,
    ProgrammePhase,
    ProgrammeTarget,
    ProviderAccreditation,
    StaffRole,
    SurveyResponse,
    TeamMeeting,
    TeamMember,
    TrainerCertification,
    TrainerProfile,
    Visit,
    VisitAction,
    VisitFinding,
    VisitKind,
)
from .policies import trainer_provider_ids
from .services import inspectors_for, plan_link_types


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class RatingWidget(forms.RadioSelect):
    template_name = "training/widgets/rating.html"


def tidy_choice_widgets(form: forms.BaseForm) -> None:
    """Radio buttons and check-box lists are drawn as Bootstrap form-checks (one per line, label clickable)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, RatingWidget):
            continue
        if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            widget.attrs["class"] = "form-check-input"
            widget.template_name = "training/widgets/choices.html"


class UserChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:  # type: ignore[override]
        return str(obj)


class BaseModelForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            if isinstance(field, forms.DateField):
                field.widget = DateInput()
        self.setup()
        self.apply_bootstrap()
        tidy_choice_widgets(self)

    def setup(self) -> None:
        """Narrow choices to the user's scope (subclasses)."""


class BaseForm(BootstrapFormMixin, forms.Form):
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.user = user
        self.setup()
        self.apply_bootstrap()
        tidy_choice_widgets(self)

    def setup(self) -> None:
        pass


def trainer_users(user: Any, provider: Organisation | None = None) -> QuerySet[Any]:
    """Users with a trainer profile the user can see (optionally of one provider)."""
    profiles = TrainerProfile.objects.visible_to(user, Action.VIEW)
    if provider is not None:
        profiles = profiles.filter(provider=provider)
    return User.objects.filter(pk__in=profiles.values("user_id")).order_by("display_name", "username")


# ---------------------------------------------------------------------------------------------------------
# Modules and programmes


class ModuleForm(BaseModelForm):
    class Meta:
        model = Module
        fields = [
            "code",
            "name_zh",
            "name_en",
            "description_zh",
            "description_en",
            "classroom_days",
            "default_followup_visits",
            "prerequisites",
            "order",
            "is_active",
        ]
        widgets = {
            "description_zh": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }

    def setup(self) -> None:
        prerequisites: Any = self.fields["prerequisites"]
        prerequisites.queryset = Module.objects.visible_to(self.user).exclude(pk=self.instance.pk)
        if self.instance.pk:
            self.fields["code"].disabled = True


class ProgrammeForm(BaseModelForm):
    class Meta:
        model = Programme
        fields = [
            "name_zh",
            "name_en",
            "region",
            "starts_on",
            "ends_on",
            "description",
            "bureau",
            "providers",
            "funders",
            "modules",
            "followup_visits",
            "followup_window_days",
            "requires_baseline",
            "plans_year_after_visit",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "providers": forms.CheckboxSelectMultiple}

    def setup(self) -> None:
        region: Any = self.fields["region"]
        region.queryset = Region.objects.visible_to(self.user, Action.MANAGE).order_by("code")
        region.label_from_instance = lambda r: f"{r.code} {r.name}"
        bureau: Any = self.fields["bureau"]
        bureau.queryset = Organisation.objects.visible_to(self.user).filter(kind=OrganisationKind.BUREAU)
        providers: Any = self.fields["providers"]
        providers.queryset = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)
        modules: Any = self.fields["modules"]
        modules.queryset = Module.objects.visible_to(self.user).filter(is_active=True)
        modules.widget = forms.CheckboxSelectMultiple()
        modules.widget.choices = modules.choices
        modules.help_text = _("Leave empty to offer every module of the catalogue.")


class TargetForm(BaseModelForm):
    class Meta:
        model = ProgrammeTarget
        fields = ["kind", "module", "value", "due_on"]

    def setup(self) -> None:
        module: Any = self.fields["module"]
        module.queryset = Module.objects.visible_to(self.user).filter(version=1)


class PhaseForm(BaseModelForm):
    class Meta:
        model = ProgrammePhase
        fields = ["name", "starts_on", "ends_on"]


class EnrolmentStatusForm(BaseModelForm):
    class Meta:
        model = Enrolment
        fields = ["status", "dropped_reason", "status_changed_on"]

    def setup(self) -> None:
        self.initial["status_changed_on"] = timezone.localdate()


class EnterpriseChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Enterprise) -> str:  # type: ignore[override]
        return f"{obj.name} · {obj.region.name}"


class EnrolForm(BaseForm):
    """Enrol enterprises in a programme: tick them in the filtered list, or paste credit codes."""

    enterprises = EnterpriseChoiceField(
        label=_("Enterprises"), queryset=Enterprise.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    all_matching = forms.BooleanField(label=_("Enrol every enterprise that matches the filter"), required=False)
    credit_codes = forms.CharField(
        label=_("Credit codes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Paste unified social credit codes, one per line (for example from a spreadsheet column)."),
    )
    enrolled_on = forms.DateField(label=_("Enrolled on"), widget=DateInput())

    def __init__(self, *args: Any, eligible: QuerySet[Enterprise], programme: Programme, **kwargs: Any) -> None:
        self.eligible = eligible
        self.programme = programme
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        field: Any = self.fields["enterprises"]
        field.queryset = self.eligible.select_related("region")
        self.fields["enrolled_on"].initial = min(
            max(timezone.localdate(), self.programme.starts_on), self.programme.ends_on
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = list(data.get("enterprises") or [])
        if data.get("all_matching"):
            chosen = list(self.eligible)
        codes = [normalise(c) for c in (data.get("credit_codes") or "").split() if c.strip()]
        if codes:
            reachable = Enterprise.objects.visible_to(self.user, Action.MANAGE).filter(credit_code__in=codes)
            found = {e.credit_code: e for e in reachable}
            unknown = [c for c in codes if c not in found]
            if unknown:
                self.add_error(
                    "credit_codes",
                    _("No enterprise in your area has these credit codes: %(codes)s") % {"codes": ", ".join(unknown)},
                )
            chosen.extend(found.values())
        unique = {e.pk: e for e in chosen}
        data["chosen"] = list(unique.values())
        if not data["chosen"] and not self.errors:
            raise forms.ValidationError(_("Choose at least one enterprise to enrol."))
        return data


class EnrolFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    industry_division = forms.CharField(label=_("Industry division (code)"), required=False, max_length=2)

    def __init__(self, *args: Any, programme: Programme, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        region: Any = self.fields["region"]
        region.queryset = Region.objects.visible_to(user).filter(code__startswith=programme.region.prefix)
        region.label_from_instance = lambda r: f"{r.code} {r.name}"
        style_filter_form(self)

    def apply(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data.get("q"):
            value = data["q"].strip()
            queryset = queryset.filter(
                Q(name_zh__icontains=value) | Q(name_en__icontains=value) | Q(credit_code__istartswith=value.upper())
            )
        if data.get("region"):
            queryset = queryset.filter(region__code__startswith=data["region"].prefix)
        if data.get("industry_division"):
            queryset = queryset.filter(industry_division=data["industry_division"].strip())
        return queryset


# ---------------------------------------------------------------------------------------------------------
# Cohorts and sessions


class CohortForm(BaseModelForm):
    trainers = UserChoiceField(
        label=_("Co-trainers"), queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Cohort
        fields = ["programme", "module", "provider", "name", "lead_trainer", "supervisor", "trainers"]

    def setup(self) -> None:
        programme: Any = self.fields["programme"]
        programme.queryset = Programme.objects.visible_to(self.user).select_related("region")
        module: Any = self.fields["module"]
        module.queryset = Module.objects.visible_to(self.user).filter(is_active=True)
        provider: Any = self.fields["provider"]
        from scorehub.core.scoping import scope_for

        scope = scope_for(self.user)
        own = trainer_provider_ids(scope, Action.COACH)
        providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)
        if own and not scope.reaches_everything(Action.COACH):
            providers = providers.filter(pk__in=own)
        provider.queryset = providers
        if providers.count() == 1:
            self.initial["provider"] = self.initial.get("provider") or providers.first()
        people = trainer_users(self.user)
        for name in ("lead_trainer", "supervisor", "trainers"):
            field: Any = self.fields[name]
            field.queryset = people
        if self.instance.pk:
            for name in ("programme", "module", "provider"):
                self.fields[name].disabled = True
        new = not self.instance.pk and self.user is not None and not self.initial.get("lead_trainer")
        if new and len(own) == 1 and people.filter(pk=self.user.pk).exists():
            self.initial["lead_trainer"] = self.user.pk


class CohortEnrolForm(BaseForm):
    enterprises = EnterpriseChoiceField(
        label=_("Enterprises"), queryset=Enterprise.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput())

    def __init__(self, *args: Any, cohort: Cohort, **kwargs: Any) -> None:
        self.cohort = cohort
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        enrolled = Enrolment.objects.filter(programme=self.cohort.programme_id).exclude(status=EnrolmentStatus.DROPPED)
        reach = Enterprise.objects.visible_to(self.user, Action.COACH) | Enterprise.objects.visible_to(
            self.user, Action.MANAGE
        )
        field: Any = self.fields["enterprises"]
        field.queryset = (
            Enterprise.objects.filter(pk__in=reach.values("pk"))
            .filter(pk__in=enrolled.values("enterprise_id"))
            .exclude(pk__in=self.cohort.members.values("enterprise_id"))
            .select_related("region")
            .order_by("name_zh")
        )
        self.fields["joined_on"].initial = timezone.localdate()


class SessionForm(BaseModelForm):
    trainers = UserChoiceField(label=_("Trainers"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ClassroomSession
        fields = ["title", "starts_on", "ends_on", "venue", "trainers"]

    def __init__(self, *args: Any, cohort: Cohort, **kwargs: Any) -> None:
        self.cohort = cohort
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        field: Any = self.fields["trainers"]
        field.queryset = User.objects.filter(pk__in=self.cohort.all_trainer_ids()).order_by("display_name")
        if not self.instance.pk:
            self.initial["trainers"] = [self.cohort.lead_trainer_id]
            self.initial["title"] = _("Classroom training: %(module)s") % {"module": self.cohort.module.name}


class ParticipantForm(BaseModelForm):
    class Meta:
        model = Participant
        fields = ["enterprise", "name", "role", "gender", "position"]

    def __init__(self, *args: Any, session: Any, **kwargs: Any) -> None:
        self.session = session
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        field: Any = self.fields["enterprise"]
        field.queryset = Enterprise.objects.visible_to(self.user).filter(
            pk__in=self.session.cohort.members.values("enterprise_id")
        )
        for name in ("role", "gender"):
            widget = forms.RadioSelect(choices=self.fields[name].choices[1:])  # type: ignore[attr-defined]
            self.fields[name].widget = widget


RATING_CHOICES = [
    (5, _("5 · very good")),
    (4, _("4 · good")),
    (3, _("3 · fair")),
    (2, _("2 · poor")),
    (1, _("1 · very poor")),
]


class SurveyForm(BootstrapFormMixin, forms.ModelForm):  # type: ignore[type-arg]
    overall = forms.TypedChoiceField(
        label=_("Overall, how satisfied are you with this training?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=RatingWidget,
    )
    usefulness = forms.TypedChoiceField(
        label=_("How useful is it for your work?"), choices=RATING_CHOICES, coerce=int, widget=RatingWidget
    )
    trainers = forms.TypedChoiceField(
        label=_("How good were the trainers?"), choices=RATING_CHOICES, coerce=int, widget=RatingWidget
    )

    class Meta:
        model = SurveyResponse
        fields = ["overall", "usefulness", "trainers", "role", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].widget = forms.RadioSelect(choices=[("", _("rather not say")), *StaffRole.choices])
        self.fields["comment"].label = _("Anything you want to tell the trainers? (optional)")
        self.apply_bootstrap()
        tidy_choice_widgets(self)


# ---------------------------------------------------------------------------------------------------------
# Visits


class VisitPlanForm(BaseModelForm):
    class Meta:
        model = Visit
        fields = ["kind", "planned_on"]


class VisitRecordForm(BaseModelForm):
    consultants = UserChoiceField(
        label=_("Consultants"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Visit
        fields = ["done_on", "consultants", "inspector", "observations", "next_visit_on"]
        widgets = {"observations": forms.Textarea(attrs={"rows": 5})}

    def setup(self) -> None:
        visit: Visit = self.instance
        cohort = visit.participation.cohort
        consultants: Any = self.fields["consultants"]
        consultants.queryset = User.objects.filter(pk__in=cohort.all_trainer_ids()).order_by("display_name")
        if not visit.done_on:
            self.initial["done_on"] = min(visit.planned_on, timezone.localdate())
        if not self.initial.get("consultants"):
            self.initial["consultants"] = [
                self.user.pk
                if self.user is not None and self.user.pk in cohort.all_trainer_ids()
                else cohort.lead_trainer_id
            ]
        inspector: Any = self.fields["inspector"]
        inspector.queryset = inspectors_for(visit.enterprise)
        inspector.empty_label = _("— no inspector (not a joint visit) —")
        self.fields["done_on"].required = True


class FindingForm(BaseModelForm):
    class Meta:
        model = VisitFinding
        fields = ["text", "kind"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}

    def setup(self) -> None:
        self.fields["kind"].widget = forms.RadioSelect(choices=self.fields["kind"].choices[1:])  # type: ignore[attr-defined]


class ActionForm(BaseModelForm):
    class Meta:
        model = VisitAction
        fields = ["text", "owner", "due_on"]


class PhotoForm(BaseForm):
    image = forms.FileField(
        label=_("Photo"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)

    def setup(self) -> None:
        self.fields["image"].help_text = upload_help_text()


class SignOffForm(BaseForm):
    signed_by = forms.CharField(label=_("Signed off by (name)"), max_length=100)
    signed_on = forms.DateField(label=_("Date"), widget=DateInput())

    def setup(self) -> None:
        self.fields["signed_on"].initial = timezone.localdate()


class RevokeForm(BaseForm):
    reason = forms.CharField(label=_("Reason"), max_length=300)


# ---------------------------------------------------------------------------------------------------------
# Improvement team and plan


class TeamForm(BaseModelForm):
    class Meta:
        model = ImprovementTeam
        fields = ["name", "formed_on"]

    def setup(self) -> None:
        if not self.instance.pk:
            self.initial["formed_on"] = timezone.localdate()


class MemberForm(BaseModelForm):
    class Meta:
        model = TeamMember
        fields = ["name", "role", "gender", "position", "joined_on", "left_on"]

    def setup(self) -> None:
        for name in ("role", "gender"):
            self.fields[name].widget = forms.RadioSelect(choices=self.fields[name].choices[1:])  # type: ignore[attr-defined]


class MeetingForm(BaseModelForm):
    attendees = forms.ModelMultipleChoiceField(
        label=_("Attendees"), queryset=TeamMember.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TeamMeeting
        fields = ["held_on", "attendees", "minutes"]
        widgets = {"minutes": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, team: ImprovementTeam, **kwargs: Any) -> None:
        self.team = team
        super().__init__(*args, **kwargs)

    def setup(self) -> None:
        attendees: Any = self.fields["attendees"]
        attendees.queryset = self.team.members.filter(left_on__isnull=True)
        if not self.instance.pk:
            self.initial["held_on"] = timezone.localdate()


class PlanItemForm(BaseModelForm):
    link_type = forms.TypedChoiceField(label=_("Linked to"), required=False, coerce=int, empty_value=None)
    link_id = forms.IntegerField(
        label=_("Number of the linked record"),
        required=False,
        min_value=1,
        help_text=_("Optional: the record this item is about (a suggestion, a hazard, a visit finding...)."),
    )

    class Meta:
        model = PlanItem
        # link_type / link_id are form fields, not copied onto the item: the service checks the link.
        fields = ["objective", "actions", "owner", "due_on", "status"]
        widgets = {"actions": forms.Textarea(attrs={"rows": 3})}

    def setup(self) -> None:
        types = plan_link_types()
        field: Any = self.fields["link_type"]
        field.choices = [("", _("— nothing —")), *[(t.pk, str(t.model_class()._meta.verbose_name)) for t in types]]  # type: ignore[union-attr]
        if self.instance.pk and self.instance.link_type_id:
            self.initial.setdefault("link_type", self.instance.link_type_id)
            self.initial.setdefault("link_id", self.instance.link_id)

    def clean_link_type(self) -> Any:
        value = self.cleaned_data.get("link_type")
        if value is None:
            return None
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.filter(pk=value).first()


# ---------------------------------------------------------------------------------------------------------
# Trainers and providers


class TrainerForm(BaseModelForm):
    class Meta:
        model = TrainerProfile
        fields = ["user", "provider", "gender", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def setup(self) -> None:
        user_field: Any = self.fields["user"]
        user_field.queryset = User.objects.filter(trainer_profile__isnull=True, is_active=True).order_by("username")
        provider: Any = self.fields["provider"]
        provider.queryset = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)


class CertificationForm(BaseModelForm):
    class Meta:
        model = TrainerCertification
        fields = ["module"]

    def setup(self) -> None:
        module: Any = self.fields["module"]
        module.queryset = Module.objects.visible_to(self.user).filter(is_active=True)


class AccreditationForm(BaseModelForm):
    class Meta:
        model = ProviderAccreditation
        fields = ["provider", "module"]

    def setup(self) -> None:
        provider: Any = self.fields["provider"]
        provider.queryset = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, is_active=True)
        module: Any = self.fields["module"]
        module.queryset = Module.objects.visible_to(self.user).filter(is_active=True)


def default_visit_kind(participation: CohortEnterprise) -> str:
    kinds = set(participation.visits.values_list("kind", flat=True))
    return VisitKind.FOLLOW_UP if VisitKind.BASELINE in kinds else VisitKind.BASELINE


def parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
