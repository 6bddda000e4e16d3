from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django_tables2 import RequestConfig

from scorehub.core.scoping import Action, OutOfScope, get_visible_or_404, scope_for
from scorehub.core.views import ScopedActionView, ScopedDetailView, ScopedFormView, ScopedListView
from scorehub.enterprises.buyer_summary import sees_summary_only
from scorehub.enterprises.models import Enterprise

from . import importing, layer, services
from .base import Period, month_key
from .catalogue import module_name
from .filters import AssessmentFilter, KpiRecordFilter
from .forms import AssessmentForm, KpiForm, KpiImportForm, KpiRecordForm, PracticeForm, ReportForm
from .models import Assessment, Kpi, KpiRecord, KpiValue, Practice, ReportJob, ReportStatus, Stage
from .periods import PeriodError, default_period, parse_period, period_choices, period_label, period_param
from .scopes import (
    AnalysisScope,
    enterprise_key,
    nation_label,
    reachable_regions,
    region_in_reach,
    resolve_scope,
)
from .selectors import kpi_changes
from .tables import AssessmentTable, KpiRecordTable, KpiTable, PracticeTable, ReportJobTable

ENTERPRISES_PER_PAGE = 25


def dashboard_url(scope_key: str, period: Period | None = None, **extra: Any) -> str:
    query = {"scope": scope_key}
    if period is not None:
        query["period"] = period_param(period)
    query.update({k: v for k, v in extra.items() if v is not None})
    return f"{reverse('indicators:dashboard')}?{urlencode(query)}"


def _period_from(request: HttpRequest) -> tuple[Period, str | None]:
    try:
        return parse_period(request.GET.get("period")), None
    except PeriodError as exc:
        return default_period(), str(exc)


# ---------------------------------------------------------------------------------------------------
# Dashboards


def _enterprise_page(request: HttpRequest, scope: AnalysisScope, period: Period) -> dict[str, Any]:
    queryset = scope.enterprises.select_related("region").order_by("name_zh", "pk")
    paginator = Paginator(queryset, ENTERPRISES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    enterprises = list(page.object_list)
    values = layer.compute_enterprises(scope, period, [e.pk for e in enterprises])
    specs = layer.enterprise_table_specs(scope)
    rows = [
        {
            "enterprise": e,
            "url": dashboard_url(enterprise_key(e), period),
            "cells": [layer.Figure(spec, values[e.pk].get(spec.code)).display for spec in specs],
        }
        for e in enterprises
    ]
    return {
        "enterprise_rows": rows,
        "enterprise_page": page,
        "enterprise_specs": specs,
        "page_query": urlencode({"scope": scope.key, "period": period_param(period)}),
    }


def _chart_data(
    scope: AnalysisScope, period: Period, numbers: layer.Numbers, months: dict[str, Any], child_rows: list[Any]
) -> dict[str, Any]:
    trend_specs = layer.trend_specs(scope)
    month_keys = [month_key(m) for m in period.months()]
    data: dict[str, Any] = {
        "trend": {
            "months": month_keys,
            "series": [
                {"name": str(spec.label), "code": spec.code, "data": [months[k].get(spec.code) for k in month_keys]}
                for spec in trend_specs
            ],
        },
        "funnels": [
            {"label": f.label, "stages": [{"name": s[0], "value": layer.json_number(s[1])} for s in f.stages]}
            for f in layer.funnels(numbers)
        ],
    }
    headline = layer.headline_specs(scope)
    if child_rows and headline:
        spec = headline[0]
        data["children"] = {
            "name": str(spec.label),
            "labels": [row["label"] for row in child_rows],
            "values": [layer.json_number(row["values"].get(spec.code)) for row in child_rows],
            "urls": [row["url"] for row in child_rows],
        }
    return data


def dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard of one scope and period: headline figures, trends, funnels, drill-down tables."""
    with layer.computation():
        return _dashboard(request)


def _dashboard(request: HttpRequest) -> HttpResponse:
    scope = resolve_scope(request.user, request.GET.get("scope"))
    period, period_error = _period_from(request)
    htmx = getattr(request, "htmx", None)
    if htmx and request.GET.get("part") == "enterprises":
        if not scope.lists_enterprises:
            raise Http404
        part = {"scope": scope, "period": period, **_enterprise_page(request, scope, period)}
        return render(request, "indicators/_enterprise_table.html", part)
    if period_error:
        messages.warning(request, period_error)
    numbers = layer.compute_numbers(scope, period)
    months = layer.compute_months(scope, period)
    child_values = layer.compute_children(scope, period)
    specs = layer.headline_specs(scope)
    child_rows = [
        {
            "label": child.label,
            "url": dashboard_url(child.key, period),
            "values": child_values.get(child.key, {}),
            "cells": [layer.Figure(spec, child_values.get(child.key, {}).get(spec.code)).display for spec in specs],
        }
        for child in scope.children
    ]
    context: dict[str, Any] = {
        "title": scope.label,
        "scope": scope,
        "period": period,
        "period_param": period_param(period),
        "period_label": period_label(period),
        "previous_label": period_label(numbers.previous_period),
        "period_choices": period_choices(),
        "numbers": numbers,
        # The figures as plain rows: the page shows about a hundred of them, each in four cells.
        "headline_rows": [figure.as_row() for figure in numbers.headline],
        "section_rows": [
            {"title": section.title, "source": section.source.name, "rows": [f.as_row() for f in section.figures]}
            for section in numbers.sections
        ],
        "headline_specs": specs,
        "child_rows": child_rows,
        "crumbs": [(label, dashboard_url(key, period)) for label, key in scope.breadcrumbs],
        "chart_data": _chart_data(scope, period, numbers, months, child_rows),
        "api_url": reverse("api:indicators-list")
        + "?"
        + urlencode({"scope": scope.key, "period": period_param(period)}),
        "kpi_url": reverse("indicators:enterprise-kpis", kwargs={"pk": scope.object.pk})
        if scope.kind == "enterprise" and _can_see_internal(request, scope.object)
        else None,
        # Reports are not made of a buyer's summary (see ``reports``).
        "can_report": not scope.summary_only,
    }
    if scope.lists_enterprises:
        context.update(_enterprise_page(request, scope, period))
    # Rendered inside the computation: the template reads the same remembered indicator list.
    return render(request, "indicators/dashboard.html", context)


def _summary_only(request: HttpRequest, scope_key: str) -> bool:
    try:
        return resolve_scope(request.user, scope_key).summary_only
    except OutOfScope:
        return True


def _can_see_internal(request: HttpRequest, enterprise: Enterprise) -> bool:
    from scorehub.core.scoping import is_visible

    return is_visible(enterprise, request.user, Action.HISTORY)


# ---------------------------------------------------------------------------------------------------
# Reports


def reports(request: HttpRequest) -> HttpResponse:
    """The user's own reports, newest first, and a form to ask for another one.

    Reports are not made of a scope the user sees as a buyer (``AnalysisScope.summary_only``): a workbook
    carries the underlying records and the registry's identifiers.  A buyer's summary is the dashboard and
    the indicator API; a person who is also a buyer is offered only the scopes they see in full.
    """
    if scope_for(request.user).is_empty:
        raise OutOfScope
    # The user's own reports (the programme office may open anyone's, but lists only its own).
    jobs = (
        ReportJob.objects.visible_to(request.user)
        .filter(requested_by_id=request.user.pk)
        .defer("content")
        .order_by("-created_at", "-pk")
    )
    table = ReportJobTable(jobs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    regions = reachable_regions(request.user)
    scope_options = []
    if region_in_reach(request.user, ""):
        scope_options.append(("nation", str(nation_label(request.user))))
    scope_options += [(f"region:{r.code}", f"{r.code} {r.full_name}") for r in regions]
    can_request = True
    if sees_summary_only(request.user):  # a buyer: only the scopes they see in full (none for a buyer alone)
        scope_options = [(key, label) for key, label in scope_options if not _summary_only(request, key)]
        can_request = bool(scope_options)
    return render(
        request,
        "indicators/reports.html",
        {
            "title": _("Reports"),
            "table": table,
            "scope_options": scope_options,
            "period_choices": period_choices(),
            "can_request": can_request,
        },
    )


def report_create(request: HttpRequest) -> HttpResponse:
    """Queue a report of a scope and period (POST); a GET goes to the reports page, which has the form."""
    if request.method != "POST":
        return HttpResponseRedirect(reverse("indicators:reports"))
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose PDF or Excel."))
        return HttpResponseRedirect(reverse("indicators:reports"))
    scope = resolve_scope(request.user, form.cleaned_data["scope"])
    if scope.summary_only:
        messages.error(request, gettext("Reports are not made of the suppliers you follow as a buyer."))
        return HttpResponseRedirect(reverse("indicators:reports"))
    try:
        period = parse_period(form.cleaned_data["period"])
    except PeriodError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("indicators:reports"))
    job = services.report_request(
        actor=request.user,
        scope_key=scope.key,
        scope_label=scope.label,
        period=period_param(period),
        fmt=form.cleaned_data["format"],
        language=get_language() or "zh-hans",
    )
    return HttpResponseRedirect(job.get_absolute_url())


class ReportDetailView(ScopedDetailView):
    model = ReportJob
    template_name = "indicators/report_detail.html"

    def refine_queryset(self, queryset: QuerySet[ReportJob]) -> QuerySet[ReportJob]:
        return queryset.defer("content")

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", None):
            return ["indicators/_report_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["job"] = self.object
        return context


def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_visible_or_404(ReportJob, request.user, pk=pk)
    if job.status != ReportStatus.DONE or job.content is None:
        raise OutOfScope
    # The scope is checked again: a report outlives a change of jurisdiction only as a 404.
    if resolve_scope(request.user, job.scope_key).summary_only:
        raise OutOfScope
    content_type = (
        "application/pdf"
        if job.format == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(bytes(job.content), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


report_download.model = ReportJob  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------
# The enterprise's KPI tab


class EnterpriseKpiView(ScopedDetailView):
    """KPI records month by month, assessments with their checklists, and the change per cycle."""

    model = Enterprise
    scope_action = Action.HISTORY
    template_name = "indicators/enterprise_kpis.html"
    active_tab = "indicators:enterprise-kpis"

    def refine_queryset(self, queryset: QuerySet[Enterprise]) -> QuerySet[Enterprise]:
        return queryset.select_related("region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        enterprise: Enterprise = self.object
        kpis = list(Kpi.objects.filter(is_active=True).order_by("order", "code"))
        records = list(
            KpiRecord.objects.filter(enterprise=enterprise)
            .order_by("-month")
            .prefetch_related(Prefetch("values", queryset=KpiValue.objects.select_related("kpi")))[:24]
        )
        matrix = []
        for record in records:
            by_kpi = {v.kpi_id: v.value for v in record.values.all()}
            matrix.append({"record": record, "cells": [by_kpi.get(k.pk) for k in kpis]})
        assessments = list(
            Assessment.objects.filter(enterprise=enterprise)
            .order_by("module", "stage")
            .prefetch_related(Prefetch("answers", queryset=_answers()))
        )
        cycles = _cycles_of(enterprise, assessments, kpis)
        can_record = services.can_record(self.request.user, enterprise)
        context.update(
            kpis=kpis,
            matrix=matrix,
            assessments=assessments,
            cycles=cycles,
            can_record=can_record,
            dashboard_url=dashboard_url(enterprise_key(enterprise)),
            modules=[(code, module_name(code)) for code in _modules()],
        )
        return context


def _answers() -> QuerySet[Any]:
    from .models import PracticeAnswer

    return PracticeAnswer.objects.select_related("practice").order_by("practice__order")


def _modules() -> list[str]:
    return sorted(set(Practice.objects.filter(is_active=True).values_list("module", flat=True)))


def _cycles_of(enterprise: Enterprise, assessments: list[Assessment], kpis: list[Kpi]) -> list[dict[str, Any]]:
    """Per module with a baseline and a follow-up: each KPI's change, from the layer's own query."""
    from .base import Grouping

    follow_ups = [a for a in assessments if a.stage == Stage.FOLLOW_UP]
    baselines = {a.module: a for a in assessments if a.stage == Stage.BASELINE}
    if not follow_ups:
        return []
    every_day = Period(min(a.assessed_on for a in follow_ups), max(a.assessed_on for a in follow_ups))
    by_cycle = kpi_changes(Enterprise.objects.filter(pk=enterprise.pk), every_day, Grouping("cycle"))
    result = []
    for follow_up in follow_ups:
        baseline = baselines.get(follow_up.module)
        if baseline is None:
            continue
        stats = by_cycle.get(str(follow_up.pk), {})
        rows = []
        for kpi in kpis:
            s = stats.get(kpi.pk)
            spec = layer.IndicatorSpec(kpi.code, kpi.name, unit=layer.Unit.PERCENT_CHANGE, better=kpi.better)
            rows.append(
                {
                    "kpi": kpi,
                    "change": layer.Figure(spec, s.mean_change if s else None).display,
                    "tone": _tone(kpi.better, s),
                }
            )
        result.append(
            {"module": module_name(follow_up.module), "baseline": baseline, "follow_up": follow_up, "rows": rows}
        )
    return result


def _tone(better: str, stats: Any) -> str:
    if stats is None or not stats.pairs:
        return ""
    if stats.improved(better):
        return "good"
    if stats.up or stats.down:
        return "bad"
    return ""


# ---------------------------------------------------------------------------------------------------
# KPI records


class KpiRecordListView(ScopedListView):
    model = KpiRecord
    table_class = KpiRecordTable
    filterset_class = KpiRecordFilter
    title = _("KPI records")
    create_url_name = "indicators:kpi-record-create"
    create_action = Action.OPERATE
    extra_actions = ((_("Import"), "indicators:kpi-import", Action.OPERATE),)

    def refine_queryset(self, queryset: QuerySet[KpiRecord]) -> QuerySet[KpiRecord]:
        return (
            queryset.select_related("enterprise__region", "recorded_by")
            .annotate(value_count=Count("values"))
            .order_by("-month", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if services.can_record_anywhere(self.request.user):
            context["create_url_name"] = self.create_url_name
            context["extra_actions"] = [(_("Import"), "indicators:kpi-import")]
        return context


class RecordingFormView(ScopedFormView):
    """Forms that record KPIs or assessments: the enterprise's staff (``operate``) and its trainers
    (``coach``) may.  ``scope_actions`` names both; records are fetched for reading and then checked
    with ``services.can_record`` (either action on the record's enterprise)."""

    scope_action = Action.HISTORY
    scope_actions: ClassVar[tuple[str, ...]] = services.RECORDING_ACTIONS

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not services.can_record_anywhere(request.user):
            raise OutOfScope
        return super().dispatch(request, *args, **kwargs)

    def get_object_or_none(self) -> Any:
        obj = super().get_object_or_none()
        if obj is not None and not services.can_record(self.request.user, obj.enterprise):  # type: ignore[attr-defined]
            raise OutOfScope
        return obj

    def preset_enterprise(self) -> Enterprise | None:
        pk = self.request.GET.get("enterprise", "")
        if not pk.isdigit():
            return None
        return services.recordable_enterprises(self.request.user).filter(pk=int(pk)).first()


class KpiRecordFormView(RecordingFormView):
    model = KpiRecord
    form_class = KpiRecordForm
    template_name = "indicators/kpi_record_form.html"
    title = _("Monthly KPI record")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["enterprise"] = self.preset_enterprise()
        return kwargs

    def perform(self, form: BaseForm) -> KpiRecord:
        assert isinstance(form, KpiRecordForm)
        data = form.cleaned_data
        return services.kpi_record_save(
            actor=self.request.user,
            enterprise=data["enterprise"],
            month=data["month"],
            values=form.kpi_values(),
            note=data.get("note", ""),
            record=self.object,  # type: ignore[arg-type]
        )


class KpiRecordDeleteView(ScopedActionView):
    model = KpiRecord
    scope_action = Action.HISTORY
    scope_actions: ClassVar[tuple[str, ...]] = services.RECORDING_ACTIONS
    success_message = _("The KPI record was deleted.")

    def perform(self, obj: KpiRecord) -> str:
        if not services.can_record(self.request.user, obj.enterprise):
            raise OutOfScope
        services.kpi_record_delete(actor=self.request.user, record=obj)
        return reverse("indicators:enterprise-kpis", kwargs={"pk": obj.enterprise_id})


class KpiImportView(RecordingFormView):
    """Upload a spreadsheet of monthly KPI records: every row is checked; all are saved or none."""

    model = KpiRecord
    form_class = KpiImportForm
    template_name = "indicators/kpi_import.html"
    title = _("Import KPI records")
    report: importing.ImportReport | None = None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title, report=self.report, kpis=Kpi.objects.filter(is_active=True).order_by("order", "code")
        )
        return context

    def form_valid(self, form: BaseForm) -> HttpResponse:
        report = self.report = importing.check_kpi_file(form.cleaned_data["file"], user=self.request.user)
        if not report.ok:
            return self.render_to_response(self.get_context_data(form=form))
        try:
            created, updated = services.kpi_records_import(actor=self.request.user, rows=report.rows)
        except ValidationError as exc:
            report.errors.append(importing.RowError(0, "", " ".join(exc.messages)))
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            self.request,
            gettext("Imported: %(created)s new KPI records, %(updated)s updated.")
            % {"created": created, "updated": updated},
        )
        return HttpResponseRedirect(reverse("indicators:kpi-record-list"))


def kpi_import_template(request: HttpRequest) -> HttpResponse:
    """An empty workbook with the import's columns (the headers the import understands).  It holds
    only the KPI catalogue, which everyone with a scope reads, so anyone with a scope may take it."""
    if scope_for(request.user).is_empty:
        raise OutOfScope
    response = HttpResponse(
        importing.template_workbook(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="kpi-records-template.xlsx"'
    return response


# ---------------------------------------------------------------------------------------------------
# Assessments


class AssessmentListView(ScopedListView):
    model = Assessment
    table_class = AssessmentTable
    filterset_class = AssessmentFilter
    title = _("Baseline and follow-up assessments")
    create_url_name = "indicators:assessment-create"
    create_action = Action.OPERATE

    def refine_queryset(self, queryset: QuerySet[Assessment]) -> QuerySet[Assessment]:
        return (
            queryset.select_related("enterprise")
            .annotate(
                practices_answered=Count("answers"),
                practices_in_place=Count("answers", filter=Q(answers__in_place=True)),
            )
            .order_by("-assessed_on", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if services.can_record_anywhere(self.request.user):
            context["create_url_name"] = self.create_url_name
        return context


class AssessmentFormView(RecordingFormView):
    model = Assessment
    form_class = AssessmentForm
    template_name = "indicators/assessment_form.html"
    title = _("Baseline or follow-up assessment")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["enterprise"] = self.preset_enterprise()
        if self.object is None:
            kwargs["instance"] = Assessment()
            initial = kwargs.setdefault("initial", {})
            for name in ("module", "stage"):
                if self.request.GET.get(name):
                    initial[name] = self.request.GET[name]
        return kwargs

    def perform(self, form: BaseForm) -> Assessment:
        assert isinstance(form, AssessmentForm)
        assessment = form.instance
        assessment.enterprise = form.cleaned_data["enterprise"]
        return services.assessment_save(actor=self.request.user, assessment=assessment, answers=form.answers())


class AssessmentDeleteView(ScopedActionView):
    model = Assessment
    scope_action = Action.HISTORY
    scope_actions: ClassVar[tuple[str, ...]] = services.RECORDING_ACTIONS
    success_message = _("The assessment was deleted.")

    def perform(self, obj: Assessment) -> str:
        if not services.can_record(self.request.user, obj.enterprise):
            raise OutOfScope
        services.assessment_delete(actor=self.request.user, assessment=obj)
        return reverse("indicators:enterprise-kpis", kwargs={"pk": obj.enterprise_id})


# ---------------------------------------------------------------------------------------------------
# Catalogues


class _CatalogueListView(ScopedListView):
    paginate_by = 100
    export_formats = ("csv", "xlsx")

    def get_table_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_table_kwargs()
        kwargs["can_change"] = scope_for(self.request.user).reaches_everything(Action.MANAGE)
        return kwargs


class KpiListView(_CatalogueListView):
    model = Kpi
    table_class = KpiTable
    title = _("KPI catalogue")
    create_url_name = "indicators:kpi-create"
    create_action = Action.MANAGE

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not scope_for(self.request.user).reaches_everything(Action.MANAGE):
            context["create_url_name"] = None
        return context


class PracticeListView(_CatalogueListView):
    model = Practice
    table_class = PracticeTable
    title = _("Good practices")
    create_url_name = "indicators:practice-create"
    create_action = Action.MANAGE

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not scope_for(self.request.user).reaches_everything(Action.MANAGE):
            context["create_url_name"] = None
        return context


class _CatalogueFormView(ScopedFormView):
    scope_action = Action.MANAGE
    requires_programme_admin = True

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        if self.object is None:
            kwargs["instance"] = self.model()
        return kwargs


class KpiFormView(_CatalogueFormView):
    model = Kpi
    form_class = KpiForm
    title = _("KPI")

    def perform(self, form: BaseForm) -> Kpi:
        return services.kpi_save(actor=self.request.user, kpi=form.instance)  # type: ignore[attr-defined]


class PracticeFormView(_CatalogueFormView):
    model = Practice
    form_class = PracticeForm
    title = _("Good practice")

    def perform(self, form: BaseForm) -> Practice:
        return services.practice_save(actor=self.request.user, practice=form.instance)  # type: ignore[attr-defined]
