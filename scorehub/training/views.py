"""Pages of SCORE training.  Thin: fetch through the scoped base classes, call one service, render.

Views that more than one kind of user may act through name ``scope_actions`` (for example trainers
``coach`` a cohort, officials ``manage`` it); the view acts with the first of them the user holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Prefetch, Q, QuerySet
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import TemplateView

from scorehub.core.ratelimit import rate_limited
from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404, is_programme_admin, is_visible, scope_for
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedFormView, ScopedListView, ScopedViewMixin
from scorehub.enterprises.models import Enterprise

from . import forms as f
from . import selectors, services
from .filters import (
    CertificateFilter,
    CohortFilter,
    EnrolmentFilter,
    ModuleFilter,
    PlanItemFilter,
    ProgrammeFilter,
    SessionFilter,
    TeamFilter,
    TrainerFilter,
    VisitFilter,
)
from .models import (
    Certificate,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    ImprovementTeam,
    Module,
    Participant,
    PlanItem,
    Programme,
    ProgrammePhase,
    ProgrammeTarget,
    ProviderAccreditation,
    SurveyResponse,
    TeamMeeting,
    TeamMember,
    TrainerCertification,
    TrainerProfile,
    Visit,
    VisitAction,
    VisitFinding,
    VisitPhoto,
    VisitStatus,
)
from .pdf import qr_data_uri, render_pdf
from .tables import (
    AccreditationTable,
    CertificateTable,
    CohortTable,
    EnrolmentTable,
    ModuleTable,
    PlanItemTable,
    ProgrammeTable,
    SessionTable,
    TeamTable,
    TrainerTable,
    VisitTable,
)

COACH_OR_MANAGE = (Action.COACH, Action.MANAGE)
OPERATE_OR_COACH = (Action.OPERATE, Action.COACH)
COACH_OR_INSPECT = (Action.COACH, Action.INSPECT)


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's errors on the form: on their field where the form has it, else on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


class ActionChoice:
    """Mixin: act with the first of ``scope_actions`` the user holds anywhere (404 when none)."""

    scope_actions: ClassVar[tuple[str, ...]] = ()
    requires_programme_admin: ClassVar[bool] = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.requires_programme_admin and not is_programme_admin(request.user):
            raise OutOfScope
        if self.scope_actions:
            scope = scope_for(request.user)
            held = [a for a in self.scope_actions if scope.can_anywhere(a)]
            if not held:
                raise OutOfScope
            # An instance attribute: this request acts with the action the user holds.
            setattr(self, "scope_action", held[0])  # noqa: B010
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


class TrainingFormView(ActionChoice, ScopedFormView):
    template_name = "training/form.html"
    #: Show a "save and add another" button (for lists entered one by one: participants, findings...).
    offers_add_another: ClassVar[bool] = False
    #: A message computed by ``perform`` (e.g. with a count), shown instead of ``success_message``.
    result_message: Any = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["add_another"] = self.offers_add_another
        return context

    def form_valid(self, form: BaseForm) -> HttpResponse:
        try:
            saved = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.result_message or self.success_message)
        return HttpResponseRedirect(self.get_success_url_for(saved))


class TrainingActionView(ActionChoice, ScopedActionView):
    """A POST action whose service may refuse with a message (shown, nothing saved)."""

    result_message: Any = None

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            obj = self.get_queryset().get(pk=kwargs["pk"])
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        try:
            redirect_to = self.perform(obj)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(self.back_url(obj))
        messages.success(request, self.result_message or self.success_message)
        return HttpResponseRedirect(redirect_to)

    def back_url(self, obj: Any) -> str:
        return str(obj.get_absolute_url())


def can(user: Any, obj: Any, *actions: str) -> bool:
    return any(is_visible(obj, user, a) for a in actions)


# ---------------------------------------------------------------------------------------------------------
# Overview


class TrainingHomeView(TemplateView):
    template_name = "training/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        scope = scope_for(user)
        visits = selectors.upcoming_and_overdue(Visit.objects.visible_to(user), today, days=30)
        context.update(
            title=_("Training"),
            programmes=Programme.objects.visible_to(user).select_related("region")[:8],
            cohorts=Cohort.objects.visible_to(user).select_related("programme", "module", "provider")[:8],
            sessions=ClassroomSession.objects.visible_to(user)
            .filter(ends_on__gte=today - dt.timedelta(days=14))
            .select_related("cohort__module")
            .order_by("starts_on")[:8],
            overdue=visits["overdue"][:10],
            upcoming=visits["upcoming"][:10],
            can_manage=scope.can_anywhere(Action.MANAGE),
            can_coach=scope.can_anywhere(Action.COACH),
        )
        return context


# ---------------------------------------------------------------------------------------------------------
# Module catalogue


class ModuleListView(ScopedListView):
    model = Module
    table_class = ModuleTable
    filterset_class = ModuleFilter
    title = _("Module catalogue")
    create_url_name = "training:module-create"
    optional_columns = ("version", "classroom_days", "default_followup_visits", "is_active")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not scope_for(self.request.user).reaches_everything(Action.MANAGE):
            context["create_url_name"] = None
        return context


class ModuleDetailView(ScopedDetailView):
    model = Module
    template_name = "training/module_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["versions"] = Module.objects.visible_to(self.request.user).filter(code=self.object.code)
        context["can_manage"] = scope_for(self.request.user).reaches_everything(Action.MANAGE)
        return context


class ModuleFormMixin(TrainingFormView):
    model = Module
    scope_action = Action.MANAGE
    requires_programme_admin = True  # the catalogue is the programme office's (checked in dispatch)
    form_class = f.ModuleForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_for(request.user).reaches_everything(Action.MANAGE):
            raise OutOfScope
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form: Any) -> Module:
        return services.module_save(
            actor=self.request.user,
            module=form.instance,
            prerequisites=form.cleaned_data["prerequisites"],  # type: ignore[attr-defined]
        )


class ModuleCreateView(ModuleFormMixin):
    title = _("New module")


class ModuleUpdateView(ModuleFormMixin):
    title = _("Edit module")


class ModuleNewVersionView(TrainingActionView):
    model = Module
    scope_action = Action.MANAGE
    success_message = _("A new version of the module was created; the old version stays with its cohorts.")

    def perform(self, obj: Module) -> str:
        return services.module_new_version(actor=self.request.user, module=obj).get_absolute_url()


# ---------------------------------------------------------------------------------------------------------
# Programmes


class ProgrammeListView(ScopedListView):
    model = Programme
    table_class = ProgrammeTable
    filterset_class = ProgrammeFilter
    title = _("Programmes")
    create_url_name = "training:programme-create"
    optional_columns = ("region", "starts_on", "ends_on", "enrolled")

    def refine_queryset(self, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
        return (
            queryset.select_related("region")
            .annotate(enrolled=Count("enrolments", filter=~Q(enrolments__status="dropped")))
            .order_by("-starts_on", "name_zh")
        )


class ProgrammeDetailView(ScopedDetailView):
    model = Programme
    template_name = "training/programme_detail.html"

    def refine_queryset(self, queryset: QuerySet[Programme]) -> QuerySet[Programme]:
        return queryset.select_related("region", "bureau").prefetch_related("providers", "modules")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        programme = self.object
        enrolments = Enrolment.objects.visible_to(user)
        participations = CohortEnterprise.objects.visible_to(user)
        context.update(
            can_manage=is_visible(programme, user, Action.MANAGE),
            can_create_cohort=scope_for(user).can_anywhere(Action.COACH),
            numbers=selectors.programme_numbers(programme, user),
            provider_satisfaction=selectors.satisfaction_by_provider(
                SurveyResponse.objects.visible_to(user).filter(session__cohort__programme=programme)
            ),
            targets=selectors.target_progress(programme, enrolments, participations),
            chart=selectors.enrolment_series(programme, enrolments),
            phases=programme.phases.all(),
            cohorts=Cohort.objects.visible_to(user)
            .filter(programme=programme)
            .select_related("module", "provider", "lead_trainer")
            .annotate(enterprise_count=Count("members")),
        )
        return context


class ProgrammeCreateView(TrainingFormView):
    model = Programme
    scope_action = Action.MANAGE
    form_class = f.ProgrammeForm
    title = _("New programme")
    success_message = _("The programme was created.")

    def perform(self, form: Any) -> Programme:
        data = form.cleaned_data
        return services.programme_save(
            actor=self.request.user,
            programme=form.instance,  # type: ignore[attr-defined]
            providers=data["providers"],
            modules=data["modules"],
        )


class ProgrammeUpdateView(ProgrammeCreateView):
    title = _("Edit programme")
    success_message = _("Saved.")


class ProgrammeChildMixin(TrainingFormView):
    """Adds a child record to the programme in the URL."""

    model = Programme
    scope_action = Action.MANAGE
    child_model: ClassVar[Any]

    def get_form_instance(self) -> Any:
        return self.child_model(programme=self.object)

    def get_success_url_for(self, saved: Any) -> str:
        return str(self.object.get_absolute_url())  # type: ignore[union-attr]


class TargetAddView(ProgrammeChildMixin):
    form_class = f.TargetForm
    child_model = ProgrammeTarget
    title = _("Add a target")

    def perform(self, form: Any) -> Any:
        return services.target_add(actor=self.request.user, programme=self.object, target=form.instance)  # type: ignore[arg-type,attr-defined]


class PhaseAddView(ProgrammeChildMixin):
    form_class = f.PhaseForm
    child_model = ProgrammePhase
    title = _("Add a phase")

    def perform(self, form: Any) -> Any:
        return services.phase_add(actor=self.request.user, programme=self.object, phase=form.instance)  # type: ignore[arg-type,attr-defined]


class TargetDeleteView(TrainingActionView):
    model = ProgrammeTarget
    scope_action = Action.MANAGE
    success_message = _("The target was removed.")

    def perform(self, obj: ProgrammeTarget) -> str:
        url = obj.programme.get_absolute_url()
        services.target_delete(actor=self.request.user, target=obj)
        return url

    def back_url(self, obj: Any) -> str:
        return str(obj.programme.get_absolute_url())


class PhaseDeleteView(TargetDeleteView):
    model = ProgrammePhase  # type: ignore[assignment]
    success_message = _("The phase was removed.")

    def perform(self, obj: ProgrammePhase) -> str:  # type: ignore[override]
        url = obj.programme.get_absolute_url()
        services.phase_delete(actor=self.request.user, phase=obj)
        return url


class ProgrammeEnrolView(TrainingFormView):
    """Enrol enterprises: filter the eligible ones, tick them (or all), or paste credit codes."""

    model = Programme
    scope_action = Action.MANAGE
    form_class = f.EnrolForm
    template_name = "training/programme_enrol.html"
    title = _("Enrol enterprises")
    shown_limit = 200

    def eligible(self) -> QuerySet[Enterprise]:
        programme: Any = self.object
        queryset = (
            Enterprise.objects.visible_to(self.request.user, Action.MANAGE)
            .current()  # type: ignore[attr-defined]
            .filter(region__code__startswith=programme.region.prefix)
            .exclude(pk__in=programme.enrolments.values("enterprise_id"))
            .order_by("name_zh")
        )
        return self.filter_form().apply(queryset)

    def filter_form(self) -> f.EnrolFilterForm:
        if not hasattr(self, "_filter_form"):
            programme: Any = self.object
            self._filter_form = f.EnrolFilterForm(self.request.GET or None, programme=programme, user=self.request.user)
        return self._filter_form

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.update(eligible=self.eligible(), programme=self.object)
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        eligible = self.eligible()
        context["filter_form"] = self.filter_form()
        context["eligible_count"] = eligible.count()
        context["shown_limit"] = self.shown_limit
        return context

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        if self.request.method == "GET":
            field = form.fields["enterprises"]
            field.queryset = field.queryset[: self.shown_limit]
        return form

    def perform(self, form: Any) -> Programme:
        created = services.enrolment_create_many(
            actor=self.request.user,
            programme=self.object,  # type: ignore[arg-type]
            enterprises=form.cleaned_data["chosen"],
            enrolled_on=form.cleaned_data["enrolled_on"],
        )
        self.result_message = _("%(count)s enterprises were enrolled.") % {"count": len(created)}
        return self.object  # type: ignore[return-value]


class EnrolmentListView(ScopedListView):
    model = Enrolment
    table_class = EnrolmentTable
    filterset_class = EnrolmentFilter
    title = _("Enrolments")
    optional_columns = ("region", "enrolled_on", "status", "dropped_reason")

    def refine_queryset(self, queryset: QuerySet[Enrolment]) -> QuerySet[Enrolment]:
        return queryset.select_related("programme", "enterprise__region")


class EnrolmentUpdateView(TrainingFormView):
    model = Enrolment
    scope_action = Action.MANAGE
    form_class = f.EnrolmentStatusForm
    title = _("Enrolment status")

    def perform(self, form: Any) -> Enrolment:
        data = form.cleaned_data
        enrolment: Any = self.object
        return services.enrolment_set_status(
            actor=self.request.user,
            enrolment=enrolment,
            status=data["status"],
            reason=data.get("dropped_reason") or "",
            on=data.get("status_changed_on"),
        )

    def get_success_url_for(self, saved: Any) -> str:
        return reverse("training:programme-detail", kwargs={"pk": saved.programme_id})


# ---------------------------------------------------------------------------------------------------------
# Cohorts


class CohortListView(ScopedListView):
    model = Cohort
    table_class = CohortTable
    filterset_class = CohortFilter
    title = _("Cohorts")
    create_url_name = "training:cohort-create"
    create_action = Action.COACH
    optional_columns = ("programme", "module", "provider", "lead_trainer", "enterprise_count", "created_at")

    def refine_queryset(self, queryset: QuerySet[Cohort]) -> QuerySet[Cohort]:
        return (
            queryset.select_related("programme", "module", "provider", "lead_trainer")
            .annotate(enterprise_count=Count("members", distinct=True))
            .order_by("-created_at", "name")
        )


class CohortDetailView(ScopedDetailView):
    model = Cohort
    template_name = "training/cohort_detail.html"

    def refine_queryset(self, queryset: QuerySet[Cohort]) -> QuerySet[Cohort]:
        return queryset.select_related(
            "programme__region", "module", "provider", "lead_trainer", "supervisor"
        ).prefetch_related("trainers")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        cohort = self.object
        members = list(selectors.with_progress(CohortEnterprise.objects.visible_to(user).filter(cohort=cohort)))
        sessions = selectors.with_session_numbers(
            ClassroomSession.objects.visible_to(user).filter(cohort=cohort)
        ).prefetch_related("trainers")
        accredited = ProviderAccreditation.objects.filter(
            provider=cohort.provider, module__code=cohort.module.code, status="accredited"
        ).exists()
        context.update(
            can_coach=can(user, cohort, *COACH_OR_MANAGE),
            members=[(m, selectors.progress_of(m)) for m in members],
            sessions=sessions,
            provider_accredited=accredited,
            upcoming_visits=Visit.objects.visible_to(user)
            .filter(participation__cohort=cohort, status=VisitStatus.PLANNED)
            .select_related("enterprise")
            .order_by("planned_on")[:20],
        )
        return context


class CohortCreateView(TrainingFormView):
    model = Cohort
    scope_actions = COACH_OR_MANAGE
    form_class = f.CohortForm
    title = _("New cohort")
    success_message = _("The cohort was created. Now add its enterprises.")

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        programme = self.request.GET.get("programme")
        if programme and programme.isdigit():
            initial["programme"] = int(programme)
        return initial

    def perform(self, form: Any) -> Cohort:
        return services.cohort_save(
            actor=self.request.user,
            cohort=form.instance,  # type: ignore[attr-defined]
            co_trainers=form.cleaned_data["trainers"],
        )

    def get_success_url_for(self, saved: Any) -> str:
        if self.object is None:
            return reverse("training:cohort-enrol", kwargs={"pk": saved.pk})
        return str(saved.get_absolute_url())


class CohortUpdateView(CohortCreateView):
    title = _("Edit cohort")
    success_message = _("Saved.")


class CohortEnrolView(TrainingFormView):
    model = Cohort
    scope_actions = COACH_OR_MANAGE
    form_class = f.CohortEnrolForm
    title = _("Add enterprises to the cohort")
    success_message = _("The enterprises joined the cohort.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["cohort"] = self.object
        return kwargs

    def perform(self, form: Any) -> Cohort:
        services.cohort_enrol(
            actor=self.request.user,
            cohort=self.object,  # type: ignore[arg-type]
            enterprises=list(form.cleaned_data["enterprises"]),
            joined_on=form.cleaned_data["joined_on"],
        )
        return self.object  # type: ignore[return-value]


class CohortPlanVisitsView(TrainingActionView):
    model = Cohort
    scope_actions = COACH_OR_MANAGE
    success_message = _("The visits the programme expects were planned.")

    def perform(self, obj: Cohort) -> str:
        count = services.cohort_plan_visits(actor=self.request.user, cohort=obj)
        self.result_message = _("%(count)s visits were planned.") % {"count": count}
        return obj.get_absolute_url()


# ---------------------------------------------------------------------------------------------------------
# Progress, completion, certificates


class ProgressDetailView(ScopedDetailView):
    model = CohortEnterprise
    template_name = "training/progress_detail.html"

    def refine_queryset(self, queryset: QuerySet[CohortEnterprise]) -> QuerySet[CohortEnterprise]:
        return selectors.with_progress(queryset)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        participation = self.object
        context.update(
            progress=selectors.progress_of(participation),
            can_coach=can(user, participation.cohort, *COACH_OR_MANAGE) and can(user, participation, *COACH_OR_MANAGE),
            visits=Visit.objects.visible_to(user)
            .filter(participation=participation)
            .select_related("inspector")
            .prefetch_related("consultants")
            .order_by("planned_on"),
            certificate=Certificate.objects.visible_to(user).filter(participation=participation).first(),
            cohort_visible=is_visible(participation.cohort, user),
        )
        return context


class ProgressActionView(TrainingActionView):
    model = CohortEnterprise
    scope_actions = COACH_OR_MANAGE


class ProgressCompleteView(ProgressActionView):
    success_message = _("The module is completed.")

    def perform(self, obj: CohortEnterprise) -> str:
        services.participation_complete(actor=self.request.user, participation=obj)
        return obj.get_absolute_url()


class CertificateIssueView(ProgressActionView):
    success_message = _("The certificate was issued.")

    def perform(self, obj: CohortEnterprise) -> str:
        return services.certificate_issue(actor=self.request.user, participation=obj).get_absolute_url()


class ProgressPlanVisitsView(ProgressActionView):
    success_message = _("The visits the programme expects were planned.")

    def perform(self, obj: CohortEnterprise) -> str:
        planned = services.participation_plan_visits(actor=self.request.user, participation=obj)
        self.result_message = _("%(count)s visits were planned.") % {"count": len(planned)}
        return obj.get_absolute_url()


class CertificateListView(ScopedListView):
    model = Certificate
    table_class = CertificateTable
    filterset_class = CertificateFilter
    title = _("Certificates")
    optional_columns = ("module", "programme", "issued_on", "verification_code", "revoked_on")

    def refine_queryset(self, queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
        return queryset.select_related("enterprise", "module", "programme")


class CertificateDetailView(ScopedDetailView):
    model = Certificate
    template_name = "training/certificate_detail.html"

    def refine_queryset(self, queryset: QuerySet[Certificate]) -> QuerySet[Certificate]:
        return queryset.select_related("enterprise", "module", "programme", "participation__cohort", "issued_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        url = verification_url(self.request, self.object)
        context.update(
            verify_url=url,
            qr=qr_data_uri(url),
            can_manage=is_visible(self.object, self.request.user, Action.MANAGE),
            revoke_form=f.RevokeForm(user=self.request.user),
        )
        return context


def verification_url(request: HttpRequest, certificate: Certificate) -> str:
    return request.build_absolute_uri(
        reverse("training:certificate-verify", kwargs={"code": certificate.verification_code})
    )


@require_safe
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_visible_or_404(Certificate, request.user, Action.VIEW, pk=pk)
    certificate = Certificate.objects.select_related("enterprise", "module", "programme").get(pk=certificate.pk)
    url = verification_url(request, certificate)
    pdf = render_pdf(
        "training/pdf/certificate.html",
        {"certificate": certificate, "verify_url": url, "qr": qr_data_uri(url)},
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.verification_code}.pdf"'
    return response


certificate_pdf.model = Certificate  # type: ignore[attr-defined]


class CertificateRevokeView(TrainingFormView):
    model = Certificate
    scope_action = Action.MANAGE
    form_class = f.RevokeForm
    title = _("Revoke the certificate")
    success_message = _("The certificate was revoked; its verification page now says so.")

    def perform(self, form: Any) -> Certificate:
        return services.certificate_revoke(
            actor=self.request.user,
            certificate=self.object,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
        )


@login_not_required
@rate_limited("training-verify", rate="60/minute", template="training/public/throttled.html")
@require_http_methods(["GET"])
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: confirms a certificate from its code, and shows nothing else about the enterprise."""
    normalised = code.strip().upper()
    # The public page reads the certificate by its unguessable code, outside any user's scope: that is its
    # purpose.  It shows only the facts printed on the certificate itself.
    certificate = (
        Certificate._default_manager.select_related("enterprise", "module", "programme")
        .filter(verification_code=normalised)
        .first()
    )
    if certificate is None:
        return render(request, "training/public/verify.html", {"code": normalised, "found": False}, status=404)
    return render(request, "training/public/verify.html", {"certificate": certificate, "found": True})


@login_not_required
@rate_limited("training-verify-form", rate="60/minute", template="training/public/throttled.html")
@require_http_methods(["GET"])
def certificate_verify_form(request: HttpRequest) -> HttpResponse:
    """Public: type a verification code to check a certificate."""
    code = request.GET.get("code", "").strip()
    if code:
        return HttpResponseRedirect(reverse("training:certificate-verify", kwargs={"code": code[:20]}))
    return render(request, "training/public/verify_form.html")


# ---------------------------------------------------------------------------------------------------------
# Classroom sessions


class SessionListView(ScopedListView):
    model = ClassroomSession
    table_class = SessionTable
    filterset_class = SessionFilter
    title = _("Classroom sessions")
    optional_columns = ("cohort", "module", "ends_on", "venue", "participant_count", "satisfaction")

    def refine_queryset(self, queryset: QuerySet[ClassroomSession]) -> QuerySet[ClassroomSession]:
        return selectors.with_session_numbers(queryset.select_related("cohort__module"))


class SessionDetailView(ScopedDetailView):
    model = ClassroomSession
    template_name = "training/session_detail.html"

    def refine_queryset(self, queryset: QuerySet[ClassroomSession]) -> QuerySet[ClassroomSession]:
        return queryset.select_related("cohort__module", "cohort__programme", "cohort__provider").prefetch_related(
            "trainers"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        session = self.object
        participants = Participant.objects.visible_to(user).filter(session=session)
        attended_ids = set(participants.filter(attendance__isnull=False).values_list("pk", flat=True).distinct())
        mix_rows = selectors.mix_by_enterprise(participants)
        context.update(
            can_coach=can(user, session, *COACH_OR_MANAGE),
            participants=participants.select_related("enterprise").prefetch_related("attendance"),
            attended_ids=attended_ids,
            mix=selectors.participant_mix(participants),
            mix_rows=mix_rows,
            only_managers=[row for row in mix_rows if row.only_managers],
            satisfaction=selectors.satisfaction(SurveyResponse.objects.visible_to(user).filter(session=session)),
            comments=SurveyResponse.objects.visible_to(user).filter(session=session).exclude(comment="")[:20],
        )
        return context


class SessionCreateView(TrainingFormView):
    model = Cohort
    scope_actions = COACH_OR_MANAGE
    form_class = f.SessionForm
    title = _("New classroom session")
    success_message = _("The session was scheduled.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["cohort"] = self.object
        return kwargs

    def get_form_instance(self) -> Any:
        return ClassroomSession(cohort=self.object)  # type: ignore[misc]

    def perform(self, form: Any) -> ClassroomSession:
        return services.session_save(
            actor=self.request.user,
            session=form.instance,  # type: ignore[attr-defined]
            trainers=list(form.cleaned_data["trainers"]),
        )


class SessionUpdateView(SessionCreateView):
    model = ClassroomSession  # type: ignore[assignment]
    title = _("Edit classroom session")
    success_message = _("Saved.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = TrainingFormView.get_form_kwargs(self)
        kwargs["cohort"] = self.object.cohort  # type: ignore[union-attr]
        return kwargs

    def get_form_instance(self) -> Any:
        return self.object


class ParticipantAddView(TrainingFormView):
    offers_add_another = True
    model = ClassroomSession
    scope_actions = COACH_OR_MANAGE
    form_class = f.ParticipantForm
    title = _("Add a participant")
    success_message = _("The participant was added.")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["session"] = self.object
        return kwargs

    def get_form_instance(self) -> Any:
        return Participant(session=self.object)  # type: ignore[misc]

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        enterprise = self.request.GET.get("enterprise")
        if enterprise and enterprise.isdigit():
            initial["enterprise"] = int(enterprise)
        return initial

    def perform(self, form: Any) -> Participant:
        return services.participant_add(
            actor=self.request.user,
            session=self.object,  # type: ignore[arg-type]
            participant=form.instance,  # type: ignore[attr-defined]
        )

    def get_success_url_for(self, saved: Any) -> str:
        if "add_another" in self.request.POST:
            url = reverse("training:participant-add", kwargs={"pk": saved.session_id})
            return f"{url}?enterprise={saved.enterprise_id}"
        return str(saved.session.get_absolute_url())


class ParticipantDeleteView(TrainingActionView):
    model = Participant
    scope_actions = COACH_OR_MANAGE
    success_message = _("The participant was removed.")

    def perform(self, obj: Participant) -> str:
        url = obj.session.get_absolute_url()
        services.participant_delete(actor=self.request.user, participant=obj)
        return url

    def back_url(self, obj: Any) -> str:
        return str(obj.session.get_absolute_url())


class AttendanceView(ActionChoice, ScopedViewMixin, TemplateView):
    """Attendance per participant and day, as a grid of check boxes."""

    model = ClassroomSession
    scope_actions = COACH_OR_MANAGE
    template_name = "training/session_attendance.html"
    http_method_names = ["get", "post"]

    def get_object(self) -> ClassroomSession:
        try:
            return self.get_queryset().select_related("cohort__module").get(pk=self.kwargs["pk"])  # type: ignore[no-any-return]
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        session = self.get_object()
        participants = list(
            Participant.objects.visible_to(self.request.user)
            .filter(session=session)
            .select_related("enterprise")
            .prefetch_related("attendance")
        )
        rows = []
        for participant in participants:
            present = {a.day for a in participant.attendance.all()}
            rows.append(
                (participant, [(day, day in present, f"{participant.pk}:{day:%Y-%m-%d}") for day in session.days])
            )
        context.update(object=session, session=session, rows=rows, days=session.days, title=_("Attendance"))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = self.get_object()
        pairs = []
        for value in request.POST.getlist("present"):
            participant_id, _sep, day = value.partition(":")
            parsed = f.parse_day(day)
            if not participant_id.isdigit() or parsed is None:
                messages.error(request, _("The attendance form was not understood; nothing was saved."))
                return HttpResponseRedirect(request.path)
            pairs.append((int(participant_id), parsed))
        try:
            count = services.attendance_record(actor=request.user, session=session, present=pairs)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(request.path)
        messages.success(request, _("Attendance saved: %(count)s participant-days.") % {"count": count})
        return HttpResponseRedirect(session.get_absolute_url())


class SessionSurveyView(ActionChoice, ScopedDetailView):
    """The QR code shown in the room; participants scan it to answer the survey on their phone."""

    model = ClassroomSession
    scope_actions = COACH_OR_MANAGE
    template_name = "training/session_survey.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        url = self.request.build_absolute_uri(reverse("training:survey", kwargs={"token": self.object.survey_token}))
        context.update(survey_url=url, qr=qr_data_uri(url))
        return context


class SurveyOpenView(TrainingActionView):
    model = ClassroomSession
    scope_actions = COACH_OR_MANAGE
    success_message = _("The survey is open with a new QR code for three days.")

    def perform(self, obj: ClassroomSession) -> str:
        services.survey_open(actor=self.request.user, session=obj)
        return reverse("training:session-survey", kwargs={"pk": obj.pk})


class SurveyCloseView(TrainingActionView):
    model = ClassroomSession
    scope_actions = COACH_OR_MANAGE
    success_message = _("The survey is closed.")

    def perform(self, obj: ClassroomSession) -> str:
        services.survey_close(actor=self.request.user, session=obj)
        return reverse("training:session-survey", kwargs={"pk": obj.pk})


@login_not_required
@rate_limited("training-survey", rate="60/minute", post_rate="10/minute", template="training/public/throttled.html")
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the satisfaction survey, reached through the session's QR code (no account needed).

    The token in the URL is the only key; it changes when the survey is reopened and stops working when
    the survey closes.  The page shows the module and date, nothing about the enterprises or people.
    """
    session = (
        ClassroomSession._default_manager.select_related("cohort__module").filter(survey_token=token).first()
        if token
        else None
    )
    if session is None:
        raise Http404
    context: dict[str, Any] = {"session": session, "module": session.cohort.module}
    if not session.survey_is_open:
        return render(request, "training/public/survey_closed.html", context, status=410)
    answered_key = f"training-survey-{session.pk}"
    if request.session.get(answered_key):
        return render(request, "training/public/survey_thanks.html", {**context, "again": True})
    form = f.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_submit(session=session, response=form.instance)
        except ValidationError:
            return render(request, "training/public/survey_closed.html", context, status=410)
        request.session[answered_key] = True
        return render(request, "training/public/survey_thanks.html", context)
    return render(request, "training/public/survey.html", {**context, "form": form})


# ---------------------------------------------------------------------------------------------------------
# Visits


class VisitListView(ScopedListView):
    model = Visit
    table_class = VisitTable
    filterset_class = VisitFilter
    title = _("In-factory visits")
    optional_columns = ("module", "kind", "planned_on", "done_on", "status", "inspector")
    extra_actions = ((_("Calendar"), "training:visit-calendar", Action.VIEW),)

    def refine_queryset(self, queryset: QuerySet[Visit]) -> QuerySet[Visit]:
        return queryset.select_related("enterprise", "participation__cohort__module", "inspector")


class VisitCalendarView(ScopedViewMixin, TemplateView):
    """Upcoming and overdue visits: by default the user's own (as consultant, trainer or inspector)."""

    model = Visit
    template_name = "training/visit_calendar.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: Any = self.request.user
        visits = self.get_queryset()
        mine = self.request.GET.get("all") != "1"
        if mine:
            visits = visits.filter(
                Q(consultants=user)
                | Q(inspector=user)
                | Q(participation__cohort__lead_trainer=user)
                | Q(participation__cohort__trainers=user)
            ).distinct()
        today = timezone.localdate()
        grouped = selectors.upcoming_and_overdue(visits, today, days=90)
        weeks: dict[dt.date, list[Visit]] = {}
        for visit in grouped["upcoming"]:
            monday = visit.planned_on - dt.timedelta(days=visit.planned_on.weekday())
            weeks.setdefault(monday, []).append(visit)
        context.update(
            title=_("Visit calendar"),
            mine=mine,
            overdue=grouped["overdue"],
            weeks=sorted(weeks.items()),
            today=today,
        )
        return context


class VisitDetailView(ScopedDetailView):
    model = Visit
    template_name = "training/visit_detail.html"

    def refine_queryset(self, queryset: QuerySet[Visit]) -> QuerySet[Visit]:
        return queryset.select_related(
            "enterprise", "participation__cohort__module", "participation__cohort__programme", "inspector"
        ).prefetch_related("consultants", "findings", "actions", "photos")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: Any = self.request.user
        visit = self.object
        can_coach = can(user, visit.participation.cohort, *COACH_OR_MANAGE) and can(user, visit, *COACH_OR_MANAGE)
        can_inspect = is_visible(visit, user, Action.INSPECT)
        context.update(
            can_coach=can_coach,
            can_record_findings=can_coach or (can_inspect and visit.inspector_id == user.pk),
            can_join=can_inspect
            and visit.inspector_id is None
            and visit.status != VisitStatus.CANCELLED
            and services.inspectors_for(visit.enterprise).filter(pk=user.pk).exists(),
            can_sign=visit.status == VisitStatus.DONE and can(user, visit, *OPERATE_OR_COACH),
            can_mark_actions=can(user, visit, *OPERATE_OR_COACH),
            is_overdue=visit.is_overdue(),
        )
        return context


class VisitCreateView(TrainingFormView):
    model = CohortEnterprise
    scope_actions = COACH_OR_MANAGE
    form_class = f.VisitPlanForm
    title = _("Plan a visit")
    success_message = _("The visit was planned.")

    def get_form_instance(self) -> Any:
        participation: Any = self.object
        return Visit(participation=participation, enterprise_id=participation.enterprise_id)

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        initial["kind"] = f.default_visit_kind(self.object)  # type: ignore[arg-type]
        return initial

    def perform(self, form: Any) -> Visit:
        return services.visit_plan(
            actor=self.request.user,
            participation=self.object,  # type: ignore[arg-type]
            visit=form.instance,  # type: ignore[attr-defined]
        )


class VisitUpdateView(TrainingFormView):
    model = Visit
    scope_actions = COACH_OR_MANAGE
    form_class = f.VisitPlanForm
    title = _("Change the visit plan")

    def perform(self, form: Any) -> Visit:
        visit: Any = self.object
        if visit.status != VisitStatus.PLANNED:
            raise ValidationError(_("Only a planned visit can be moved."))
        return services.visit_plan(actor=self.request.user, participation=visit.participation, visit=visit)


class VisitRecordView(TrainingFormView):
    model = Visit
    scope_actions = COACH_OR_MANAGE
    form_class = f.VisitRecordForm
    template_name = "training/visit_record.html"
    title = _("Record the visit")
    success_message = _("The visit was recorded. Add its findings and agreed actions.")

    def perform(self, form: Any) -> Visit:
        return services.visit_record(
            actor=self.request.user,
            visit=form.instance,  # type: ignore[attr-defined]
            consultants=list(form.cleaned_data["consultants"]),
        )


class VisitCancelView(TrainingActionView):
    model = Visit
    scope_actions = COACH_OR_MANAGE
    success_message = _("The visit was cancelled.")

    def perform(self, obj: Visit) -> str:
        services.visit_cancel(actor=self.request.user, visit=obj)
        return obj.get_absolute_url()


class VisitJoinView(TrainingActionView):
    model = Visit
    scope_action = Action.INSPECT
    success_message = _("You joined the visit: it is now a joint visit.")

    def perform(self, obj: Visit) -> str:
        services.visit_join(actor=self.request.user, visit=obj)
        return obj.get_absolute_url()


class VisitChildMixin(TrainingFormView):
    offers_add_another = True
    model = Visit
    scope_actions = COACH_OR_INSPECT
    child_model: ClassVar[Any] = None

    def get_form_instance(self) -> Any:
        return self.child_model(visit=self.object) if self.child_model else None

    def get_success_url_for(self, saved: Any) -> str:
        if "add_another" in self.request.POST:
            return self.request.path
        return str(self.object.get_absolute_url())  # type: ignore[union-attr]


class FindingAddView(VisitChildMixin):
    form_class = f.FindingForm
    child_model = VisitFinding
    title = _("Add a finding")
    success_message = _("The finding was added.")

    def perform(self, form: Any) -> Any:
        return services.finding_add(actor=self.request.user, visit=self.object, finding=form.instance)  # type: ignore[arg-type,attr-defined]


class ActionAddView(VisitChildMixin):
    form_class = f.ActionForm
    child_model = VisitAction
    title = _("Add an agreed action")
    success_message = _("The action was added.")

    def perform(self, form: Any) -> Any:
        return services.action_add(actor=self.request.user, visit=self.object, action=form.instance)  # type: ignore[arg-type,attr-defined]


class PhotoAddView(VisitChildMixin):
    form_class = f.PhotoForm
    title = _("Add a photo")
    success_message = _("The photo was added.")

    def perform(self, form: Any) -> Any:
        return services.photo_add(
            actor=self.request.user,
            visit=self.object,  # type: ignore[arg-type]
            upload=form.cleaned_data["image"],
            caption=form.cleaned_data.get("caption") or "",
        )


class VisitSignOffView(TrainingFormView):
    model = Visit
    scope_actions = OPERATE_OR_COACH
    form_class = f.SignOffForm
    title = _("Sign off the visit report")
    success_message = _("The visit report is signed off.")

    def perform(self, form: Any) -> Visit:
        return services.visit_sign_off(
            actor=self.request.user,
            visit=self.object,  # type: ignore[arg-type]
            signed_by=form.cleaned_data["signed_by"],
            signed_on=form.cleaned_data["signed_on"],
        )


class VisitChildDeleteView(TrainingActionView):
    scope_actions = COACH_OR_INSPECT
    success_message = _("Removed.")

    def back_url(self, obj: Any) -> str:
        return str(obj.visit.get_absolute_url())


class FindingDeleteView(VisitChildDeleteView):
    model = VisitFinding

    def perform(self, obj: VisitFinding) -> str:
        url = obj.visit.get_absolute_url()
        services.finding_delete(actor=self.request.user, finding=obj)
        return url


class ActionDeleteView(VisitChildDeleteView):
    model = VisitAction

    def perform(self, obj: VisitAction) -> str:
        url = obj.visit.get_absolute_url()
        services.action_delete(actor=self.request.user, action=obj)
        return url


class PhotoDeleteView(VisitChildDeleteView):
    model = VisitPhoto

    def perform(self, obj: VisitPhoto) -> str:
        url = obj.visit.get_absolute_url()
        services.photo_delete(actor=self.request.user, photo=obj)
        return url


class ActionDoneView(TrainingActionView):
    model = VisitAction
    scope_actions = OPERATE_OR_COACH
    success_message = _("The action is marked as done.")

    def perform(self, obj: VisitAction) -> str:
        services.action_mark_done(actor=self.request.user, action=obj)
        return obj.visit.get_absolute_url()

    def back_url(self, obj: Any) -> str:
        return str(obj.visit.get_absolute_url())


@require_safe
def photo_file(request: HttpRequest, pk: int) -> FileResponse:
    """A visit photo, served only to those who may see the visit."""
    photo = get_visible_or_404(VisitPhoto, request.user, Action.VIEW, pk=pk)
    try:
        handle = photo.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


photo_file.model = VisitPhoto  # type: ignore[attr-defined]


@require_safe
def visit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The bilingual visit report for the enterprise to sign."""
    visit = get_visible_or_404(Visit, request.user, Action.VIEW, pk=pk)
    visit = (
        Visit.objects.select_related(
            "enterprise", "participation__cohort__module", "participation__cohort__programme", "inspector"
        )
        .prefetch_related("consultants", "findings", "actions", "photos")
        .get(pk=visit.pk)
    )
    photos = [(p, p.image.path) for p in visit.photos.all() if p.image and p.image.storage.exists(p.image.name)]
    pdf = render_pdf("training/pdf/visit_report.html", {"visit": visit, "photos": photos})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="visit-{visit.pk}.pdf"'
    return response


visit_pdf.model = Visit  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------
# The enterprise page: training and the improvement team


class EnterpriseTabView(ScopedDetailView):
    model = Enterprise
    scope_action = Action.HISTORY

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_change"] = is_visible(self.object, self.request.user, Action.CHANGE)
        context["can_manage"] = is_visible(self.object, self.request.user, Action.MANAGE)
        return context


class EnterpriseTrainingView(EnterpriseTabView):
    template_name = "training/enterprise_training.html"
    active_tab = "training:enterprise-training"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        enterprise = self.object
        participations = list(
            selectors.with_progress(CohortEnterprise.objects.visible_to(user).filter(enterprise=enterprise))
        )
        context.update(
            enrolments=Enrolment.objects.visible_to(user).filter(enterprise=enterprise).select_related("programme"),
            participations=[(p, selectors.progress_of(p)) for p in participations],
            visits=Visit.objects.visible_to(user)
            .filter(enterprise=enterprise)
            .select_related("participation__cohort__module", "inspector")
            .order_by("-planned_on")[:30],
            certificates=Certificate.objects.visible_to(user).filter(enterprise=enterprise).select_related("module"),
            participant_mix=selectors.participant_mix(
                Participant.objects.visible_to(user).filter(enterprise=enterprise)
            ),
        )
        return context


class EnterpriseTeamView(EnterpriseTabView):
    template_name = "training/enterprise_team.html"
    active_tab = "training:enterprise-team"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        enterprise = self.object
        team = ImprovementTeam.objects.visible_to(user).filter(enterprise=enterprise).first()
        context.update(
            team=team,
            can_operate=can(user, enterprise, *OPERATE_OR_COACH),
            plan_items=PlanItem.objects.visible_to(user)
            .filter(enterprise=enterprise)
            .select_related("link_type")
            .order_by("status", "due_on"),
            today=timezone.localdate(),
        )
        if team is not None:
            members = TeamMember.objects.visible_to(user).filter(team=team)
            context.update(
                members=members,
                warnings=selectors.team_warnings(members),
                mix=selectors.participant_mix(members.filter(left_on__isnull=True)),
                meetings=TeamMeeting.objects.visible_to(user)
                .filter(team=team)
                .prefetch_related(Prefetch("attendees", queryset=TeamMember.objects.order_by("name")))[:20],
            )
        return context


class TeamCreateView(TrainingFormView):
    model = Enterprise
    scope_actions = OPERATE_OR_COACH
    form_class = f.TeamForm
    title = _("Form the improvement team")
    success_message = _("The improvement team was formed. Add its members.")

    def get_form_instance(self) -> Any:
        return ImprovementTeam(enterprise=self.object)  # type: ignore[misc]

    def perform(self, form: Any) -> ImprovementTeam:
        return services.team_create(actor=self.request.user, enterprise=self.object, team=form.instance)  # type: ignore[arg-type,attr-defined]


class MemberAddView(TrainingFormView):
    offers_add_another = True
    model = ImprovementTeam
    scope_actions = OPERATE_OR_COACH
    form_class = f.MemberForm
    title = _("Add a team member")
    success_message = _("The member was added.")

    def get_form_instance(self) -> Any:
        return TeamMember(team=self.object)  # type: ignore[misc]

    def perform(self, form: Any) -> TeamMember:
        return services.member_save(actor=self.request.user, team=self.object, member=form.instance)  # type: ignore[arg-type,attr-defined]

    def get_success_url_for(self, saved: Any) -> str:
        if "add_another" in self.request.POST:
            return self.request.path
        return str(saved.team.get_absolute_url())


class MemberUpdateView(TrainingFormView):
    model = TeamMember
    scope_actions = OPERATE_OR_COACH
    form_class = f.MemberForm
    title = _("Edit team member")

    def perform(self, form: Any) -> TeamMember:
        member: Any = self.object
        return services.member_save(actor=self.request.user, team=member.team, member=member)

    def get_success_url_for(self, saved: Any) -> str:
        return str(saved.team.get_absolute_url())


class MeetingAddView(TrainingFormView):
    model = ImprovementTeam
    scope_actions = OPERATE_OR_COACH
    form_class = f.MeetingForm
    title = _("Record a team meeting")
    success_message = _("The meeting was recorded.")

    def team(self) -> ImprovementTeam:
        return self.object  # type: ignore[return-value]

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["team"] = self.team()
        return kwargs

    def get_form_instance(self) -> Any:
        return TeamMeeting(team=self.object)  # type: ignore[misc]

    def perform(self, form: Any) -> TeamMeeting:
        return services.meeting_save(
            actor=self.request.user,
            team=self.team(),
            meeting=form.instance,  # type: ignore[attr-defined]
            attendees=form.cleaned_data["attendees"],
        )

    def get_success_url_for(self, saved: Any) -> str:
        return str(saved.team.get_absolute_url())


class MeetingUpdateView(MeetingAddView):
    model = TeamMeeting  # type: ignore[assignment]
    title = _("Edit team meeting")
    success_message = _("Saved.")

    def team(self) -> ImprovementTeam:
        return self.object.team  # type: ignore[union-attr]

    def get_form_instance(self) -> Any:
        return self.object


class PlanItemAddView(TrainingFormView):
    model = Enterprise
    scope_actions = OPERATE_OR_COACH
    form_class = f.PlanItemForm
    title = _("Add an improvement-plan item")
    success_message = _("The item was added to the improvement plan.")

    def enterprise(self) -> Enterprise:
        return self.object  # type: ignore[return-value]

    def get_form_instance(self) -> Any:
        return PlanItem(enterprise=self.object)  # type: ignore[misc]

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for key in ("link_type", "link_id"):
            value = self.request.GET.get(key)
            if value and value.isdigit():
                initial[key] = int(value)
        objective = self.request.GET.get("objective")
        if objective:
            initial["objective"] = objective[:300]
        return initial

    def perform(self, form: Any) -> PlanItem:
        return services.plan_item_save(
            actor=self.request.user,
            enterprise=self.enterprise(),
            item=form.instance,  # type: ignore[attr-defined]
            link_type=form.cleaned_data.get("link_type"),
            link_id=form.cleaned_data.get("link_id"),
        )


class PlanItemUpdateView(PlanItemAddView):
    model = PlanItem  # type: ignore[assignment]
    title = _("Edit improvement-plan item")
    success_message = _("Saved.")

    def enterprise(self) -> Enterprise:
        return self.object.enterprise  # type: ignore[union-attr]

    def get_form_instance(self) -> Any:
        return self.object


class TeamListView(ScopedListView):
    model = ImprovementTeam
    table_class = TeamTable
    filterset_class = TeamFilter
    title = _("Improvement teams")
    optional_columns = ("region", "formed_on", "members", "workers", "women", "meetings", "last_meeting")

    def refine_queryset(self, queryset: QuerySet[ImprovementTeam]) -> QuerySet[ImprovementTeam]:
        from django.db.models import Max

        current = Q(members__left_on__isnull=True)
        return (
            queryset.select_related("enterprise__region")
            .annotate(
                member_count=Count("members", filter=current, distinct=True),
                worker_count=Count("members", filter=current & Q(members__role="worker"), distinct=True),
                women_count=Count("members", filter=current & Q(members__gender="female"), distinct=True),
                meeting_count=Count("meetings", distinct=True),
                last_meeting=Max("meetings__held_on"),
            )
            .order_by("enterprise__name_zh")
        )


class PlanItemListView(ScopedListView):
    model = PlanItem
    table_class = PlanItemTable
    filterset_class = PlanItemFilter
    title = _("Improvement-plan items")
    optional_columns = ("owner", "due_on", "status", "link")

    def refine_queryset(self, queryset: QuerySet[PlanItem]) -> QuerySet[PlanItem]:
        return queryset.select_related("enterprise", "link_type")


# ---------------------------------------------------------------------------------------------------------
# Trainers and providers


class TrainerListView(ScopedListView):
    model = TrainerProfile
    table_class = TrainerTable
    filterset_class = TrainerFilter
    title = _("Trainers")
    create_url_name = "training:trainer-create"
    optional_columns = ("provider", "certified", "session_count", "visit_count", "enterprise_count", "satisfaction")
    extra_actions = ((_("Provider accreditation"), "training:accreditation-list", Action.VIEW),)

    def refine_queryset(self, queryset: QuerySet[TrainerProfile]) -> QuerySet[TrainerProfile]:
        return selectors.with_trainer_numbers(
            queryset.select_related("user", "provider").prefetch_related(
                Prefetch("certifications", queryset=TrainerCertification.objects.select_related("module"))
            )
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not is_programme_admin(self.request.user):
            context["create_url_name"] = None
        return context


class TrainerDetailView(ScopedDetailView):
    model = TrainerProfile
    template_name = "training/trainer_detail.html"

    def refine_queryset(self, queryset: QuerySet[TrainerProfile]) -> QuerySet[TrainerProfile]:
        return selectors.with_trainer_numbers(queryset.select_related("user", "provider"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user: Any = self.request.user
        trainer = self.object
        certifications = list(trainer.certifications.select_related("module", "recommended_by", "approved_by"))
        expert_codes = set(
            TrainerCertification.objects.filter(trainer__user=user, status="expert").values_list(
                "module__code", flat=True
            )
        )
        context.update(
            certifications=[
                (c, c.module.code in expert_codes and trainer.user_id != user.pk and c.next_status is not None)
                for c in certifications
            ],
            is_admin=is_programme_admin(user),
            satisfaction=selectors.rate(trainer.satisfied_count, trainer.response_count),
            sessions=ClassroomSession.objects.visible_to(user)
            .filter(trainers=trainer.user)
            .select_related("cohort__module")
            .order_by("-starts_on")[:10],
            cohorts=Cohort.objects.visible_to(user)
            .filter(Q(lead_trainer=trainer.user) | Q(trainers=trainer.user) | Q(supervisor=trainer.user))
            .select_related("module", "programme")
            .distinct()[:10],
        )
        return context


class TrainerCreateView(TrainingFormView):
    model = TrainerProfile
    scope_action = Action.MANAGE
    requires_programme_admin = True
    form_class = f.TrainerForm
    title = _("New trainer")
    success_message = _("The trainer was added.")

    def perform(self, form: Any) -> TrainerProfile:
        return services.trainer_create(actor=self.request.user, profile=form.instance)  # type: ignore[attr-defined]


class CertificationAddView(TrainingFormView):
    model = TrainerProfile
    scope_action = Action.MANAGE
    requires_programme_admin = True
    form_class = f.CertificationForm
    title = _("Start a module certification (candidate)")
    success_message = _("The trainer is a candidate for the module.")

    def get_form_instance(self) -> Any:
        return TrainerCertification(trainer=self.object)  # type: ignore[misc]

    def perform(self, form: Any) -> Any:
        services.certification_add(actor=self.request.user, certification=form.instance)  # type: ignore[attr-defined]
        return self.object


class CertificationRecommendView(TrainingActionView):
    model = TrainerCertification
    scope_action = Action.VIEW
    success_message = _("Your recommendation was sent to the programme office.")

    def perform(self, obj: TrainerCertification) -> str:
        services.certification_recommend(actor=self.request.user, certification=obj)
        return obj.trainer.get_absolute_url()

    def back_url(self, obj: Any) -> str:
        return str(obj.trainer.get_absolute_url())


class CertificationApproveView(CertificationRecommendView):
    scope_action = Action.MANAGE
    requires_programme_admin = True
    success_message = _("The certification step is approved.")

    def perform(self, obj: TrainerCertification) -> str:
        services.certification_approve(actor=self.request.user, certification=obj)
        return obj.trainer.get_absolute_url()


class AccreditationListView(ScopedListView):
    model = ProviderAccreditation
    table_class = AccreditationTable
    title = _("Provider accreditation")
    create_url_name = "training:accreditation-add"

    def refine_queryset(self, queryset: QuerySet[ProviderAccreditation]) -> QuerySet[ProviderAccreditation]:
        return queryset.select_related("provider", "module", "recommended_by", "approved_by")

    def get_table_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_table_kwargs()
        user: Any = self.request.user
        kwargs["is_admin"] = is_programme_admin(user)
        kwargs["expert_codes"] = set(
            TrainerCertification.objects.filter(trainer__user=user, status="expert").values_list(
                "module__code", flat=True
            )
        )
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not is_programme_admin(self.request.user):
            context["create_url_name"] = None
        return context


class AccreditationAddView(TrainingFormView):
    model = ProviderAccreditation
    scope_action = Action.MANAGE
    requires_programme_admin = True
    form_class = f.AccreditationForm
    title = _("Provider application for accreditation")
    success_message = _("The application was recorded.")

    def perform(self, form: Any) -> Any:
        return services.accreditation_add(actor=self.request.user, accreditation=form.instance)  # type: ignore[attr-defined]

    def get_success_url_for(self, saved: Any) -> str:
        return reverse("training:accreditation-list")


class AccreditationActionView(TrainingActionView):
    model = ProviderAccreditation
    scope_action = Action.VIEW

    def back_url(self, obj: Any) -> str:
        return reverse("training:accreditation-list")


class AccreditationRecommendView(AccreditationActionView):
    success_message = _("Your recommendation was sent to the programme office.")

    def perform(self, obj: ProviderAccreditation) -> str:
        services.accreditation_recommend(actor=self.request.user, accreditation=obj)
        return self.back_url(obj)


class AccreditationApproveView(AccreditationActionView):
    scope_action = Action.MANAGE
    requires_programme_admin = True
    success_message = _("The provider is accredited for the module.")

    def perform(self, obj: ProviderAccreditation) -> str:
        services.accreditation_approve(actor=self.request.user, accreditation=obj)
        return self.back_url(obj)


class AccreditationSuspendView(AccreditationApproveView):
    success_message = _("The accreditation is suspended.")

    def perform(self, obj: ProviderAccreditation) -> str:
        services.accreditation_suspend(actor=self.request.user, accreditation=obj)
        return self.back_url(obj)
