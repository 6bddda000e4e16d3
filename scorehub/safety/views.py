"""Pages of the work-safety app: thin views on the scoped base classes; every write goes through a service."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.generic import View
from django_tables2 import RequestConfig

from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404, is_visible, scope_for
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedFormView, ScopedListView, ScopedViewMixin
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.base import Period

from . import conf, selectors, services
from .filters import (
    AccidentFilter,
    BureauNotificationFilter,
    ChecklistTemplateFilter,
    HazardFilter,
    PlannedInspectionFilter,
    RiskPointFilter,
    SafetyCheckFilter,
)
from .forms import (
    AccidentForm,
    AccidentHazardForm,
    AffectedPeopleFormSet,
    ChecklistItemForm,
    ChecklistTemplateForm,
    HazardAssignForm,
    HazardRectifyForm,
    HazardReportForm,
    HazardVerifyForm,
    HoursWorkedForm,
    NoteForm,
    PeriodForm,
    PlanInspectionForm,
    RectificationPlanForm,
    RiskPointForm,
)
from .importers import export_version
from .models import (
    KIND_ACTIONS,
    OPEN_STATUSES,
    Accident,
    BureauNotification,
    CheckKind,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    CheckResult,
    Hazard,
    HazardEvent,
    HazardStatus,
    HoursWorked,
    NoticeBoard,
    Outcome,
    PlannedInspection,
    PlannedStatus,
    RiskLevel,
    RiskPoint,
    SafetyCheck,
    SafetyPhoto,
)
from .tables import (
    AccidentTable,
    BureauNotificationTable,
    ChecklistTemplateTable,
    HazardTable,
    PlannedInspectionTable,
    RiskPointTable,
    SafetyCheckTable,
)

INTERNAL = Action.HISTORY  # reading records inside an enterprise (buyers never do)


class ActionFormView(ScopedFormView):
    """A form on one scoped record that any one of ``scope_actions`` permits.

    The record is fetched with ``scope_action`` (reading it); acting on it needs one of ``scope_actions``
    on that record (e.g. a hazard is assigned by its enterprise, ``operate``, or by an inspector,
    ``inspect``).  The authorization test reads ``scope_actions`` the same way.
    """

    scope_action = Action.VIEW
    scope_actions: ClassVar[tuple[str, ...]] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = scope_for(request.user)
        if self.scope_actions and not any(scope.can_anywhere(a) for a in self.scope_actions):
            raise OutOfScope
        return super().dispatch(request, *args, **kwargs)

    def get_object_or_none(self) -> Any:
        obj = super().get_object_or_none()
        if obj is not None and self.scope_actions:
            services.ensure_any(obj, self.request.user, self.scope_actions)
        return obj

    def get_form_instance(self) -> Any:
        return None

    def form_valid(self, form: BaseForm) -> HttpResponse:
        try:
            saved = self.perform(form)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return HttpResponseRedirect(self.get_success_url_for(saved))


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on the field it names if the form has it, else on top."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class SafetyListView(ScopedListView):
    template_name = "safety/list.html"


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


class ChecklistListView(SafetyListView):
    model = ChecklistTemplate
    table_class = ChecklistTemplateTable
    filterset_class = ChecklistTemplateFilter
    title = _("Checklist templates")
    create_url_name = "safety:checklist-create"
    create_action = Action.MANAGE
    extra_actions = ((_("Import from Excel"), "safety:import", Action.MANAGE),)

    def refine_queryset(self, queryset: QuerySet[ChecklistTemplate]) -> QuerySet[ChecklistTemplate]:
        latest = ChecklistVersion.objects.order_by("-number")
        return queryset.prefetch_related(Prefetch("versions", queryset=latest.annotate(n_items=Count("items"))))

    def get_table_data(self) -> Any:
        rows = list(super().get_table_data())
        for template in rows:
            versions = list(template.versions.all())
            template.version_number = versions[0].number if versions else 0
            template.item_count = versions[0].n_items if versions else 0
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The list's create permission is an editor's: officials and the programme office.
        if not ChecklistTemplate.objects.visible_to(self.request.user, Action.MANAGE).exists():
            context["create_url_name"] = None
        return context


class ChecklistDetailView(ScopedDetailView):
    model = ChecklistTemplate
    template_name = "safety/checklist_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        versions = list(self.object.versions.annotate(n_items=Count("items"), n_checks=Count("checks", distinct=True)))
        chosen = None
        wanted = self.request.GET.get("version")
        for version in versions:
            if wanted and str(version.number) == wanted:
                chosen = version
        chosen = chosen or (versions[0] if versions else None)
        context.update(
            versions=versions,
            version=chosen,
            items=chosen.items.all() if chosen else [],
            can_change=self.user_can(self.object, Action.CHANGE),
            is_current=chosen is not None and versions and chosen.pk == versions[0].pk,
        )
        return context


class ChecklistCreateView(ScopedFormView):
    model = ChecklistTemplate
    scope_action = Action.MANAGE
    form_class = ChecklistTemplateForm
    title = _("New checklist template")

    def perform(self, form: BaseForm) -> ChecklistTemplate:
        return services.checklist_template_save(actor=self.request.user, template=form.instance)  # type: ignore[attr-defined]


class ChecklistEditView(ScopedFormView):
    model = ChecklistTemplate
    scope_action = Action.CHANGE
    form_class = ChecklistTemplateForm
    title = _("Edit checklist template")

    def perform(self, form: BaseForm) -> ChecklistTemplate:
        return services.checklist_template_save(actor=self.request.user, template=form.instance)  # type: ignore[attr-defined]


class ChecklistItemAddView(ScopedFormView):
    model = ChecklistTemplate
    scope_action = Action.CHANGE
    form_class = ChecklistItemForm
    title = _("Add a checklist item")

    def get_form_instance(self) -> Any:
        return ChecklistItem()

    def perform(self, form: BaseForm) -> ChecklistTemplate:
        assert isinstance(self.object, ChecklistTemplate)
        services.checklist_item_save(actor=self.request.user, template=self.object, data=form.cleaned_data)
        return self.object


class ChecklistItemEditView(ScopedFormView):
    model = ChecklistItem
    scope_action = Action.CHANGE
    form_class = ChecklistItemForm
    title = _("Edit checklist item")

    def perform(self, form: BaseForm) -> ChecklistTemplate:
        item = ChecklistItem.objects.get(pk=self.object.pk)  # type: ignore[union-attr]
        template = item.version.template
        services.checklist_item_save(actor=self.request.user, template=template, data=form.cleaned_data, item=item)
        return template


class ChecklistItemRemoveView(ScopedActionView):
    model = ChecklistItem
    scope_action = Action.CHANGE
    success_message = _("The item was removed from the checklist.")

    def perform(self, obj: ChecklistItem) -> str:
        template = obj.version.template
        services.checklist_item_remove(actor=self.request.user, template=template, item=obj)
        return template.get_absolute_url()


@require_GET
def checklist_export(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_visible_or_404(ChecklistTemplate, request.user, Action.VIEW, pk=pk)
    versions = template.versions.all()
    wanted = request.GET.get("version")
    version = versions.filter(number=wanted).first() if wanted and wanted.isdigit() else versions.first()
    if version is None:
        raise Http404
    response = HttpResponse(
        export_version(version),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="checklist-{template.code}-v{version.number}.xlsx"'
    return response


checklist_export.model = ChecklistTemplate  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------
# Enterprise tabs
# --------------------------------------------------------------------------------------------------


class EnterpriseTabView(ScopedDetailView):
    """A safety tab on the enterprise page (buyers do not reach records inside the enterprise)."""

    model = Enterprise
    scope_action = INTERNAL

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise = self.object
        user = self.request.user
        context.update(
            can_change=self.user_can(enterprise, Action.CHANGE),
            can_manage=self.user_can(enterprise, Action.MANAGE),
            can_operate=self.user_can(enterprise, Action.OPERATE),
            can_report=any(self.user_can(enterprise, a) for a in services.REPORT_ACTIONS),
            check_kinds=services.allowed_kinds(user, enterprise),
        )
        return context

    def paginate(self, queryset: QuerySet[Any], table_class: Any) -> Any:
        table = table_class(queryset, exclude=("enterprise",))
        RequestConfig(self.request, paginate={"per_page": 25}).configure(table)
        return table


class EnterpriseChecksView(EnterpriseTabView):
    template_name = "safety/enterprise_checks.html"
    active_tab = "safety:enterprise-checks"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        checks = annotate_checks(
            SafetyCheck.objects.visible_to(self.request.user, INTERNAL).filter(enterprise=self.object)
        )
        context["table"] = self.paginate(checks, SafetyCheckTable)
        context["planned"] = PlannedInspection.objects.visible_to(self.request.user, INTERNAL).filter(
            enterprise=self.object, status=PlannedStatus.PLANNED
        )
        return context


class EnterpriseHazardsView(EnterpriseTabView):
    template_name = "safety/enterprise_hazards.html"
    active_tab = "safety:enterprise-hazards"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hazards = Hazard.objects.visible_to(self.request.user, INTERNAL).filter(enterprise=self.object)
        context["summary"] = selectors.hazard_summary(hazards)
        context["table"] = self.paginate(hazards.select_related("enterprise"), HazardTable)
        return context


class EnterpriseRiskPointsView(EnterpriseTabView):
    template_name = "safety/enterprise_risk_points.html"
    active_tab = "safety:enterprise-risk-points"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        points = RiskPoint.objects.visible_to(self.request.user, INTERNAL).filter(
            enterprise=self.object, archived_at__isnull=True
        )
        grouped = {level: [] for level in RiskLevel.values}  # type: dict[str, list[RiskPoint]]
        for point in points.order_by("-score", "name"):
            grouped[point.level].append(point)
        context["levels"] = [(RiskLevel(level), grouped[level]) for level in RiskLevel.values]
        context["counts"] = {level: len(grouped[level]) for level in RiskLevel.values}
        return context


class EnterpriseAccidentsView(EnterpriseTabView):
    template_name = "safety/enterprise_accidents.html"
    active_tab = "safety:enterprise-accidents"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        accidents = Accident.objects.visible_to(self.request.user, INTERNAL).filter(enterprise=self.object)
        context["rates"] = selectors.accident_rates(self.object, accidents)
        context["table"] = self.paginate(annotate_accidents(accidents), AccidentTable)
        return context


class NoticeBoardView(EnterpriseTabView):
    """The printable disclosure page as staff see it, with its public link and QR code."""

    template_name = "safety/notice_board_internal.html"
    active_tab = "safety:enterprise-hazards"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        import segno

        context = super().get_context_data(**kwargs)
        board = services.notice_board_for(self.object)
        public_url = self.request.build_absolute_uri(board.get_absolute_url())
        context.update(notice_context(self.object), show_enterprise_name=True)
        context.update(board=board, public_url=public_url, qr=segno.make(public_url).svg_data_uri(scale=4))
        return context


class NoticeBoardRenewView(ScopedActionView):
    model = Enterprise
    scope_action = Action.CHANGE
    success_message = _("A new public link was made; the old one no longer works.")

    def perform(self, obj: Enterprise) -> str:
        services.notice_board_renew_token(actor=self.request.user, enterprise=obj)
        return reverse("safety:notice-board", kwargs={"pk": obj.pk})


def notice_context(enterprise: Enterprise) -> dict[str, Any]:
    """What workers see: recent hazards and their rectification status, without personal data."""
    since = timezone.localdate() - dt.timedelta(days=conf.get("NOTICE_BOARD_DAYS"))
    hazards = (
        Hazard.objects.filter(enterprise=enterprise)
        .filter(Q(found_on__gte=since) | Q(status__in=OPEN_STATUSES))
        .only(
            "pk",
            "found_on",
            "place",
            "description",
            "hazard_class",
            "status",
            "deadline",
            "rectified_on",
            "enterprise_id",
        )
        .order_by("-found_on", "-pk")[:200]
    )
    rows = list(hazards)
    return {
        "enterprise": enterprise,
        "hazards": rows,
        "since": since,
        "counts": {
            "total": len(rows),
            "rectified": sum(1 for h in rows if h.status not in OPEN_STATUSES),
            "open": sum(1 for h in rows if h.status in OPEN_STATUSES),
        },
        "today": timezone.localdate(),
    }


@login_not_required
@require_GET
def notice_board_public(request: HttpRequest, token: str) -> HttpResponse:
    """The workers' notice board behind the enterprise's QR poster (no sign-in, no personal data)."""
    board = NoticeBoard.objects.select_related("enterprise").filter(token=token).first()
    if board is None or board.enterprise.archived_at is not None:
        raise Http404
    # Without the enterprise's name: the workers know where they work, and a link that escapes the
    # factory (a photographed poster) then tells an outsider little.
    context = notice_context(board.enterprise)
    response = render(request, "safety/notice_board_public.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------------------------------
# Safety checks
# --------------------------------------------------------------------------------------------------


def annotate_checks(queryset: QuerySet[SafetyCheck]) -> QuerySet[SafetyCheck]:
    return (
        queryset.select_related("enterprise", "inspector")
        .annotate(failed=Count("results", filter=Q(results__outcome=Outcome.FAIL)), answered=Count("results"))
        .order_by("-checked_on", "-pk")
    )


class SafetyCheckListView(SafetyListView):
    model = SafetyCheck
    scope_action = INTERNAL
    table_class = SafetyCheckTable
    filterset_class = SafetyCheckFilter
    title = _("Safety checks")
    optional_columns = ("place", "inspector", "answered", "failed")

    def refine_queryset(self, queryset: QuerySet[SafetyCheck]) -> QuerySet[SafetyCheck]:
        return annotate_checks(queryset)


class SafetyCheckDetailView(ScopedDetailView):
    model = SafetyCheck
    scope_action = INTERNAL
    template_name = "safety/check_detail.html"

    def refine_queryset(self, queryset: QuerySet[SafetyCheck]) -> QuerySet[SafetyCheck]:
        return queryset.select_related("enterprise", "version__template", "inspector")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        results = (
            CheckResult.objects.filter(check_record=self.object)
            .select_related("item", "hazard")
            .prefetch_related("photos")
            .order_by("item__position")
        )
        context["results"] = results
        context["counts"] = {
            o: sum(1 for r in results if r.outcome == o) for o in (Outcome.PASS, Outcome.FAIL, Outcome.NOT_APPLICABLE)
        }
        return context


class SafetyCheckFormView(ScopedViewMixin, View):
    """The check form: usable on a phone with a poor connection.

    The browser keeps the answers (``static/safety/check_form.js``) and sends them with a submission
    id made on the device; a second submission with the same id returns the first check.
    """

    model = Enterprise
    scope_action = INTERNAL
    template_name = "safety/check_form.html"

    def setup_check(self, request: HttpRequest, pk: int) -> None:
        try:
            self.enterprise = self.get_queryset().get(pk=pk)
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        self.kinds = services.allowed_kinds(request.user, self.enterprise)
        if not self.kinds:
            raise OutOfScope
        source = request.POST if request.method == "POST" else request.GET
        templates = list(ChecklistTemplate.objects.visible_to(request.user).filter(is_active=True))
        self.templates = templates
        wanted = source.get("template")
        chosen = next((t for t in templates if wanted and str(t.pk) == wanted), None)
        if chosen is None:
            chosen = next(
                (t for t in templates if t.industries and t.fits_industry(self.enterprise.industry_division)), None
            )
        chosen = chosen or next((t for t in templates if t.fits_industry(self.enterprise.industry_division)), None)
        self.template = chosen or (templates[0] if templates else None)
        self.version = None
        if self.template is not None:
            if request.method == "POST" and source.get("version", "").isdigit():
                self.version = self.template.versions.filter(pk=int(source["version"])).first()
            self.version = self.version or self.template.current_version
        planned_id = source.get("planned", "")
        self.planned = None
        if planned_id.isdigit():
            self.planned = (
                PlannedInspection.objects.visible_to(request.user, Action.INSPECT)
                .filter(pk=int(planned_id), enterprise=self.enterprise, status=PlannedStatus.PLANNED)
                .first()
            )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_check(request, pk)
        return self.render_form(request, {}, initial=request.GET)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.setup_check(request, pk)
        wants_json = request.headers.get("X-Requested-With") == "fetch"
        errors: dict[str, list[str]] = {}
        if self.version is None:
            errors["__all__"] = [gettext("Choose a checklist.")]
        kind = request.POST.get("kind", "")
        if kind not in self.kinds:
            errors["kind"] = [gettext("Choose the kind of check.")]
        try:
            checked_on = dt.date.fromisoformat(request.POST.get("checked_on", ""))
        except ValueError:
            checked_on = None
            errors["checked_on"] = [gettext("Enter the date of the check.")]
        results: list[services.ResultInput] = []
        if self.version is not None:
            for item in self.version.items.all():
                outcome = request.POST.get(f"outcome_{item.pk}", "")
                if not outcome:
                    continue
                results.append(
                    services.ResultInput(
                        item_id=item.pk,
                        outcome=outcome,
                        note=request.POST.get(f"note_{item.pk}", "")[:2000],
                        photos=request.FILES.getlist(f"photos_{item.pk}")[: conf.get("PHOTOS_PER_ITEM")],
                    )
                )
        if not errors:
            assert self.version is not None
            assert checked_on is not None
            try:
                check, created = services.check_submit(
                    actor=request.user,
                    enterprise=self.enterprise,
                    client_uuid=request.POST.get("client_uuid", ""),
                    kind=kind,
                    version=self.version,
                    checked_on=checked_on,
                    results=results,
                    place=request.POST.get("place", "")[:200],
                    participants=request.POST.get("participants", "")[:300],
                    note=request.POST.get("note", ""),
                    confirm_industry=request.POST.get("confirm_industry") == "on",
                    planned=self.planned,
                )
            except ValidationError as exc:
                errors = (
                    {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
                    if hasattr(exc, "error_dict")
                    else {"__all__": [str(m) for m in exc.messages]}
                )
            else:
                url = check.get_absolute_url()
                if created:
                    failed = check.results.filter(outcome=Outcome.FAIL).count()
                    messages.success(
                        request,
                        gettext("The check was saved; %(n)d hazard(s) opened for the failed items.") % {"n": failed},
                    )
                else:
                    messages.info(request, gettext("This check had already been received; nothing was added."))
                if wants_json:
                    return JsonResponse({"ok": True, "created": created, "url": url, "id": check.pk})
                return HttpResponseRedirect(url)
        if wants_json:
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        return self.render_form(request, errors, initial=request.POST, status=400)

    def render_form(
        self, request: HttpRequest, errors: dict[str, list[str]], initial: Any, status: int = 200
    ) -> HttpResponse:
        items = list(self.version.items.all()) if self.version else []
        groups: list[tuple[str, list[ChecklistItem]]] = []
        for item in items:
            label = str(item.get_category_display())
            if not groups or groups[-1][0] != label:
                groups.append((label, []))
            groups[-1][1].append(item)
        mismatch = self.template is not None and not self.template.fits_industry(self.enterprise.industry_division)
        import uuid

        context = {
            "enterprise": self.enterprise,
            "object": self.enterprise,
            "kinds": [(k, CheckKind(k).label) for k in self.kinds],
            "templates": self.templates,
            "template": self.template,
            "version": self.version,
            "groups": groups,
            "item_count": len(items),
            "mismatch": mismatch,
            "errors": errors,
            "initial": initial,
            "planned": self.planned,
            "client_uuid": initial.get("client_uuid") or str(uuid.uuid4()),
            "today": timezone.localdate().isoformat(),
            "title": gettext("Safety check"),
            "outcomes": [
                (Outcome.PASS, Outcome.PASS.label),
                (Outcome.FAIL, Outcome.FAIL.label),
                (Outcome.NOT_APPLICABLE, Outcome.NOT_APPLICABLE.label),
            ],
            "kind_initial": initial.get("kind") or (self.planned.kind if self.planned else self.kinds[0]),
        }
        return render(request, self.template_name, context, status=status)


# --------------------------------------------------------------------------------------------------
# Hazards
# --------------------------------------------------------------------------------------------------


class HazardListView(SafetyListView):
    model = Hazard
    scope_action = INTERNAL
    table_class = HazardTable
    filterset_class = HazardFilter
    title = _("Hidden hazards")
    optional_columns = ("enterprise", "found_on", "deadline", "source_kind", "place")

    def refine_queryset(self, queryset: QuerySet[Hazard]) -> QuerySet[Hazard]:
        return queryset.select_related("enterprise")


class HazardDetailView(ScopedDetailView):
    model = Hazard
    scope_action = INTERNAL
    template_name = "safety/hazard_detail.html"

    def refine_queryset(self, queryset: QuerySet[Hazard]) -> QuerySet[Hazard]:
        return queryset.select_related(
            "enterprise", "found_by", "rectified_by", "verified_by", "check_result__item", "check_result__check_record"
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        hazard: Hazard = self.object
        user = self.request.user
        can_work = any(self.user_can(hazard, a) for a in services.HAZARD_ACTIONS)
        can_operate = self.user_can(hazard, Action.OPERATE)
        plan = _plan_or_none(hazard)
        is_open = hazard.status in OPEN_STATUSES
        context.update(
            events=HazardEvent.objects.filter(hazard=hazard).select_related("actor"),
            photos=SafetyPhoto.objects.filter(hazard=hazard),
            plan=plan,
            can_assign=can_work and is_open,
            can_plan=can_work and is_open and hazard.is_major,
            can_rectify=can_operate and is_open and (not hazard.is_major or plan is not None),
            needs_plan=hazard.is_major and plan is None,
            can_verify=can_work and hazard.status == HazardStatus.RECTIFIED and hazard.rectified_by_id != user.pk,
            own_rectification=hazard.status == HazardStatus.RECTIFIED and hazard.rectified_by_id == user.pk,
            can_close=can_work and hazard.status == HazardStatus.VERIFIED,
            can_note=can_work or self.user_can(hazard, Action.COACH),
            notifications=BureauNotification.objects.filter(hazard=hazard).select_related("bureau"),
        )
        return context


def _plan_or_none(hazard: Hazard) -> Any:
    try:
        return hazard.plan
    except ObjectDoesNotExist:
        return None


class HazardReportView(ActionFormView):
    model = Enterprise
    scope_action = INTERNAL
    scope_actions = services.REPORT_ACTIONS
    form_class = HazardReportForm
    title = _("Report a hazard")
    success_message = _("The hazard was recorded.")

    def perform(self, form: BaseForm) -> Hazard:
        data = form.cleaned_data
        return services.hazard_report(
            actor=self.request.user,
            enterprise=self.object,  # type: ignore[arg-type]
            place=data["place"],
            description=data["description"],
            hazard_class=data["hazard_class"],
            found_on=data["found_on"],
            source_kind=data["source_kind"],
            source_reference=data["source_reference"],
            photos=data["photos"],
        )


class _HazardStepView(ActionFormView):
    model = Hazard
    scope_action = INTERNAL
    scope_actions: ClassVar[tuple[str, ...]] = services.HAZARD_ACTIONS
    template_name = "safety/hazard_form.html"


class HazardAssignView(_HazardStepView):
    form_class = HazardAssignForm
    title = _("Assign the rectification")
    success_message = _("The rectification was assigned.")

    def get_initial(self) -> dict[str, Any]:
        hazard: Any = self.object
        return {
            "responsible_person": hazard.responsible_person,
            "deadline": hazard.deadline,
            "required_measures": hazard.required_measures,
        }

    def perform(self, form: BaseForm) -> Hazard:
        return services.hazard_assign(actor=self.request.user, hazard=self.object, **form.cleaned_data)  # type: ignore[arg-type]


class HazardPlanView(_HazardStepView):
    form_class = RectificationPlanForm
    title = _("Rectification plan of a major hazard")
    success_message = _("The rectification plan was saved.")

    def get_initial(self) -> dict[str, Any]:
        plan = _plan_or_none(self.object)  # type: ignore[arg-type]
        if plan is None:
            return {}
        return {name: getattr(plan, name) for name in services.PLAN_FIELDS}

    def perform(self, form: BaseForm) -> Hazard:
        services.hazard_plan_save(actor=self.request.user, hazard=self.object, data=form.cleaned_data)  # type: ignore[arg-type]
        return self.object  # type: ignore[return-value]


class HazardRectifyView(_HazardStepView):
    scope_actions: ClassVar[tuple[str, ...]] = (Action.OPERATE,)
    form_class = HazardRectifyForm
    title = _("Record the rectification")
    success_message = _("The rectification was recorded; it now waits for verification.")

    def perform(self, form: BaseForm) -> Hazard:
        data = form.cleaned_data
        return services.hazard_rectify(
            actor=self.request.user,
            hazard=self.object,  # type: ignore[arg-type]
            note=data["note"],
            rectified_on=data["rectified_on"],
            photos=data["photos"],
        )


class HazardVerifyView(_HazardStepView):
    form_class = HazardVerifyForm
    title = _("Verify the rectification")
    success_message = _("The verification was recorded.")

    def perform(self, form: BaseForm) -> Hazard:
        return services.hazard_verify(actor=self.request.user, hazard=self.object, **form.cleaned_data)  # type: ignore[arg-type]


class HazardCloseView(_HazardStepView):
    form_class = NoteForm
    title = _("Close the hazard")
    success_message = _("The hazard was closed.")

    def perform(self, form: BaseForm) -> Hazard:
        return services.hazard_close(actor=self.request.user, hazard=self.object, note=form.cleaned_data["note"])  # type: ignore[arg-type]


class HazardNoteView(_HazardStepView):
    scope_actions: ClassVar[tuple[str, ...]] = (*services.HAZARD_ACTIONS, Action.COACH)
    form_class = NoteForm
    title = _("Add a note to the timeline")
    success_message = _("The note was added.")

    def perform(self, form: BaseForm) -> Hazard:
        services.hazard_note(actor=self.request.user, hazard=self.object, note=form.cleaned_data["note"])  # type: ignore[arg-type]
        return self.object  # type: ignore[return-value]


@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    """A photo, only for those who see the record it belongs to."""
    obj = get_visible_or_404(SafetyPhoto, request.user, INTERNAL, pk=pk)
    try:
        handle = obj.image.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


photo.model = SafetyPhoto  # type: ignore[attr-defined]


class ReportListView(SafetyListView):
    """Major hazards reported to the bureaus of the user's jurisdiction."""

    model = BureauNotification
    scope_action = Action.INSPECT
    table_class = BureauNotificationTable
    filterset_class = BureauNotificationFilter
    title = _("Major hazards reported to the bureau")

    def refine_queryset(self, queryset: QuerySet[BureauNotification]) -> QuerySet[BureauNotification]:
        scope = scope_for(self.request.user)
        if not scope.reaches_everything(Action.INSPECT):
            queryset = queryset.filter(bureau_id__in=scope.organisation_ids)
        return queryset.select_related("bureau", "hazard__enterprise", "read_by")


class ReportAcknowledgeView(ScopedActionView):
    model = BureauNotification
    scope_action = Action.INSPECT
    success_message = _("The report was acknowledged.")

    def perform(self, obj: BureauNotification) -> str:
        services.notification_acknowledge(actor=self.request.user, notification=obj)
        return reverse("safety:report-list")


# --------------------------------------------------------------------------------------------------
# Risk points
# --------------------------------------------------------------------------------------------------


class RiskPointListView(SafetyListView):
    model = RiskPoint
    scope_action = INTERNAL
    table_class = RiskPointTable
    filterset_class = RiskPointFilter
    title = _("Risk points (four colours)")

    def refine_queryset(self, queryset: QuerySet[RiskPoint]) -> QuerySet[RiskPoint]:
        return queryset.select_related("enterprise")


class RiskPointDetailView(ScopedDetailView):
    """The printable risk notice card (风险告知卡) of one risk point."""

    model = RiskPoint
    scope_action = INTERNAL
    template_name = "safety/risk_point_card.html"

    def refine_queryset(self, queryset: QuerySet[RiskPoint]) -> QuerySet[RiskPoint]:
        return queryset.select_related("enterprise")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_operate"] = self.user_can(self.object, Action.OPERATE)
        return context


class RiskPointCreateView(ScopedFormView):
    model = Enterprise
    scope_action = Action.OPERATE
    form_class = RiskPointForm
    template_name = "safety/risk_point_form.html"
    title = _("New risk point")

    def get_form_instance(self) -> Any:
        return RiskPoint(enterprise=self.object)  # type: ignore[misc]

    def perform(self, form: BaseForm) -> RiskPoint:
        return services.risk_point_save(actor=self.request.user, enterprise=self.object, point=form.instance)  # type: ignore[arg-type,attr-defined]


class RiskPointEditView(ScopedFormView):
    model = RiskPoint
    scope_action = Action.OPERATE
    form_class = RiskPointForm
    template_name = "safety/risk_point_form.html"
    title = _("Edit risk point")

    def perform(self, form: BaseForm) -> RiskPoint:
        point: Any = self.object
        return services.risk_point_save(actor=self.request.user, enterprise=point.enterprise, point=point)


class RiskPointArchiveView(ScopedActionView):
    model = RiskPoint
    scope_action = Action.OPERATE
    success_message = _("The risk point was archived.")

    def perform(self, obj: RiskPoint) -> str:
        services.risk_point_archive(actor=self.request.user, point=obj)
        return reverse("safety:enterprise-risk-points", kwargs={"pk": obj.enterprise_id})


# --------------------------------------------------------------------------------------------------
# Accidents
# --------------------------------------------------------------------------------------------------


def annotate_accidents(queryset: QuerySet[Accident]) -> QuerySet[Accident]:
    return (
        queryset.select_related("enterprise")
        .annotate(people_count=Count("people"), days=Sum("people__days_lost", default=0))
        .order_by("-occurred_on", "-pk")
    )


class AccidentListView(SafetyListView):
    model = Accident
    scope_action = INTERNAL
    table_class = AccidentTable
    filterset_class = AccidentFilter
    title = _("Accidents and incidents")

    def refine_queryset(self, queryset: QuerySet[Accident]) -> QuerySet[Accident]:
        return annotate_accidents(queryset)


class AccidentDetailView(ScopedDetailView):
    model = Accident
    scope_action = INTERNAL
    template_name = "safety/accident_detail.html"

    def refine_queryset(self, queryset: QuerySet[Accident]) -> QuerySet[Accident]:
        return queryset.select_related("enterprise", "recorded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        from django.contrib.contenttypes.models import ContentType

        context.update(
            people=self.object.people.all(),
            can_operate=self.user_can(self.object, Action.OPERATE),
            hazards=Hazard.objects.visible_to(self.request.user, INTERNAL).filter(
                source_type=ContentType.objects.get_for_model(Accident), source_id=self.object.pk
            ),
        )
        return context


class AccidentFormView(ScopedViewMixin, View):
    """Record or correct an accident with the people affected (no names: gender, role, injury, days)."""

    scope_action = Action.OPERATE
    template_name = "safety/accident_form.html"

    def load(self, pk: int) -> tuple[Enterprise, Accident]:
        raise NotImplementedError

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise, accident = self.load(pk)
        initial = (
            [
                {"gender": p.gender, "role": p.role, "injury": p.injury, "days_lost": p.days_lost}
                for p in accident.people.all()
            ]
            if accident.pk
            else []
        )
        form = AccidentForm(instance=accident)
        formset = AffectedPeopleFormSet(initial=initial, prefix="people")
        return self.render(request, enterprise, accident, form, formset)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        enterprise, accident = self.load(pk)
        form = AccidentForm(request.POST, instance=accident)
        formset = AffectedPeopleFormSet(request.POST, prefix="people")
        if form.is_valid() and formset.is_valid():
            people = [
                {k: f.cleaned_data[k] for k in ("gender", "role", "injury", "days_lost")}
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("gender")
            ]
            try:
                saved = services.accident_save(
                    actor=request.user, enterprise=enterprise, accident=form.instance, people=people
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, gettext("The accident was recorded."))
                return HttpResponseRedirect(saved.get_absolute_url())
        return self.render(request, enterprise, accident, form, formset, status=400)

    def render(
        self,
        request: HttpRequest,
        enterprise: Enterprise,
        accident: Accident,
        form: Any,
        formset: Any,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "enterprise": enterprise,
            "object": accident if accident.pk else enterprise,
            "form": form,
            "formset": formset,
            "title": gettext("Edit accident") if accident.pk else gettext("Record an accident or incident"),
        }
        return render(request, self.template_name, context, status=status)


class AccidentCreateView(AccidentFormView):
    model = Enterprise

    def load(self, pk: int) -> tuple[Enterprise, Accident]:
        try:
            enterprise = self.get_queryset().get(pk=pk)
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        return enterprise, Accident(enterprise=enterprise)


class AccidentEditView(AccidentFormView):
    model = Accident

    def load(self, pk: int) -> tuple[Enterprise, Accident]:
        try:
            accident = self.get_queryset().select_related("enterprise").get(pk=pk)
        except (ObjectDoesNotExist, ValueError) as exc:
            raise OutOfScope from exc
        return accident.enterprise, accident


class AccidentHazardView(ScopedFormView):
    model = Accident
    scope_action = Action.OPERATE
    form_class = AccidentHazardForm
    title = _("Open a hazard from a corrective action")
    success_message = _("The hazard was recorded.")

    def get_form_instance(self) -> Any:
        return None

    def get_initial(self) -> dict[str, Any]:
        accident: Any = self.object
        return {"place": accident.place, "description": accident.corrective_actions}

    def perform(self, form: BaseForm) -> Hazard:
        return services.accident_open_hazard(actor=self.request.user, accident=self.object, **form.cleaned_data)  # type: ignore[arg-type]


class HoursWorkedView(ScopedFormView):
    model = Enterprise
    scope_action = Action.OPERATE
    form_class = HoursWorkedForm
    template_name = "safety/hours_form.html"
    title = _("Hours worked in a year")
    success_message = _("The hours worked were saved.")

    def get_form_instance(self) -> Any:
        return None

    def perform(self, form: BaseForm) -> Enterprise:
        services.hours_worked_save(actor=self.request.user, enterprise=self.object, **form.cleaned_data)  # type: ignore[arg-type]
        return self.object  # type: ignore[return-value]

    def get_success_url_for(self, saved: Any) -> str:
        return reverse("safety:enterprise-accidents", kwargs={"pk": saved.pk})

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise: Any = self.object
        context["known"] = HoursWorked.objects.visible_to(self.request.user, INTERNAL).filter(enterprise=enterprise)
        return context


# --------------------------------------------------------------------------------------------------
# Risk-based inspection planning
# --------------------------------------------------------------------------------------------------


class InspectionPlanView(ScopedViewMixin, View):
    """The bureau's inspection plan: enterprises in the jurisdiction by risk grade."""

    model = Enterprise
    scope_action = Action.INSPECT
    template_name = "safety/plan.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        # Like every list: someone who inspects nowhere gets the page with nothing on it.
        enterprises = self.get_queryset().filter(archived_at__isnull=True)
        region = request.GET.get("region", "")
        if region.isdigit():
            enterprises = enterprises.filter(region__code__startswith=region.rstrip("0") or region)
        grades = selectors.risk_grades(enterprises)
        counts = dict.fromkeys(selectors.GRADE_LABELS, 0)
        for g in grades:
            counts[g.grade] += 1
        wanted = request.GET.get("grade", "")
        if wanted in selectors.GRADE_LABELS:
            grades = [g for g in grades if g.grade == wanted]
        page = Paginator(grades, 25).get_page(request.GET.get("page"))
        planned = set(
            PlannedInspection.objects.visible_to(request.user, Action.INSPECT)
            .filter(status=PlannedStatus.PLANNED, enterprise__in=[g.enterprise.pk for g in page])
            .values_list("enterprise_id", flat=True)
        )
        context = {
            "title": gettext("Risk-based inspection plan"),
            "page": page,
            "counts": counts,
            "grade_rows": [(g, label, counts[g]) for g, label in selectors.GRADE_LABELS.items()],
            "grade": wanted,
            "planned": planned,
            "can_manage": scope_for(request.user).can_anywhere(Action.MANAGE),
            "weights": [(selectors.FACTOR_LABELS[k], v) for k, v in conf.get("RISK_GRADE_WEIGHTS").items()],
            "bands": conf.get("RISK_GRADE_BANDS"),
        }
        return render(request, self.template_name, context)


class InspectionPlanExplainView(ScopedDetailView):
    """Why an enterprise has its grade: each factor, its value and its points."""

    model = Enterprise
    scope_action = Action.INSPECT
    template_name = "safety/plan_explain.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["grade"] = selectors.risk_grades(Enterprise.objects.filter(pk=self.object.pk))[0]
        context["bands"] = conf.get("RISK_GRADE_BANDS")
        context["can_manage"] = self.user_can(self.object, Action.MANAGE)
        context["planned"] = PlannedInspection.objects.filter(enterprise_id=self.object.pk).order_by("-planned_for")[
            :10
        ]
        return context


class PlanScheduleView(ScopedFormView):
    model = Enterprise
    scope_action = Action.MANAGE
    form_class = PlanInspectionForm
    title = _("Plan an inspection")
    success_message = _("The inspection was planned.")

    def get_form_instance(self) -> Any:
        return None

    def perform(self, form: BaseForm) -> PlannedInspection:
        return services.planned_inspection_create(
            actor=self.request.user,
            enterprise=self.object,  # type: ignore[arg-type]
            **form.cleaned_data,
        )

    def get_success_url_for(self, saved: Any) -> str:
        return reverse("safety:planned-list")


class PlannedListView(SafetyListView):
    model = PlannedInspection
    scope_action = Action.INSPECT
    table_class = PlannedInspectionTable
    filterset_class = PlannedInspectionFilter
    title = _("Planned inspections")

    def refine_queryset(self, queryset: QuerySet[PlannedInspection]) -> QuerySet[PlannedInspection]:
        return queryset.select_related("enterprise")


class PlannedCancelView(ScopedActionView):
    model = PlannedInspection
    scope_action = Action.MANAGE
    success_message = _("The planned inspection was cancelled.")

    def perform(self, obj: PlannedInspection) -> str:
        try:
            services.planned_inspection_cancel(actor=self.request.user, planned=obj)
        except ValidationError as exc:
            raise OutOfScope from exc
        return reverse("safety:planned-list")


# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------


@require_GET
def numbers(request: HttpRequest) -> HttpResponse:
    """The safety numbers of the user's scope for a period, against the period just before it.

    Counted over the enterprises whose internal records the user reads (none for a buyer: zeros).
    """
    today = timezone.localdate()
    default = {"start": (today - dt.timedelta(days=364)).isoformat(), "end": today.isoformat()}
    form = PeriodForm(request.GET or default)
    period = Period(today - dt.timedelta(days=364), today)
    if form.is_valid():
        period = Period(form.cleaned_data["start"], form.cleaned_data["end"])
    enterprises = Enterprise.objects.visible_to(request.user, INTERNAL)
    region = request.GET.get("region", "")
    if region.isdigit():
        enterprises = enterprises.filter(region__code__startswith=region)
    values = selectors.safety_numbers(enterprises, period)
    baseline = period.previous()
    context = {
        "title": gettext("Work-safety numbers"),
        "form": form,
        "period": period,
        "baseline": baseline,
        "n": values,
        "kinds": [(CheckKind(k).label, values[f"checks_{k}"]) for k in CheckKind.values],
        "pct": {
            "inspections_change": _signed_percent(values["inspections_change"]),
            "accidents_change": _signed_percent(values["accidents_change"]),
            "days_lost_change": _signed_percent(values["days_lost_change"]),
            "rectification_rate": f"{values['rectification_rate']:.0%}"
            if values["rectification_rate"] is not None
            else "",
        },
        "enterprise_count": enterprises.count(),
    }
    return render(request, "safety/numbers.html", context)


numbers.model = Enterprise  # type: ignore[attr-defined]
numbers.scope_action = INTERNAL  # type: ignore[attr-defined]


def _signed_percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.0%}"


def can_record_any_check(user: Any, enterprise: Enterprise) -> bool:
    return any(is_visible(enterprise, user, a) for actions in KIND_ACTIONS.values() for a in actions)
