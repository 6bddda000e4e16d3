"""Pages of a spreadsheet import, shared by every app that has an importer.

An app adds ``*import_urlpatterns(MyImporter)`` to its ``urls.py`` and gets, under its own prefix:

* ``import/``                 upload form, column reference, template downloads, the user's recent imports
* ``import/template.xlsx``    and ``import/template.csv``: the bilingual template
* ``import/<pk>/``            the job: progress, then the dry run's preview and error list, then the result
* ``import/<pk>/status/``     the progress fragment that the job page polls (HTMX)
* ``import/<pk>/confirm/``    POST: import the checked file (all rows or none)
* ``import/<pk>/retry/``      POST: run a failed job again from its kept file (e.g. after its worker died)

Jobs are ``ImportJob`` records, scoped to the person who started them: anyone else gets 404.

An importer with ``url_parameters`` (e.g. the programme enterprises are enrolled in) gets its pages under a
prefix that names them (``import_urlpatterns(MyImporter, prefix="programmes/<int:programme>/enrolments/")``);
every page first asks the importer to ``resolve`` them for the user (404 when the user may not use them),
and a job is found only under the parameters it was started with.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from . import importing
from .models import ImportJob, ImportStatus
from .scoping import Action, OutOfScope, is_visible, scope_for
from .views import ScopedActionView, ScopedDetailView, ScopedFormView


class ImporterViewMixin:
    importer_class: ClassVar[type[importing.Importer]] = importing.Importer
    request: HttpRequest
    importer: importing.Importer

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        names = self.importer_class.url_parameters
        self.importer = self.importer_class(actor=request.user, parameters={n: kwargs.get(n) for n in names})
        # What the URL names (e.g. a programme) must be the user's to import into, on every page: 404 otherwise.
        self.importer.resolve()
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc,no-any-return]

    def importer_context(self) -> dict[str, Any]:
        importer = self.importer_class
        namespace = importer.url_namespace
        kwargs = dict(self.importer.parameters)  # the URL kwargs of the import's pages (a job's add its pk)
        list_url, list_label = self.importer.back_link()
        return {
            "importer": importer,
            "import_title": importer.title,
            "columns": importer.columns,
            "namespace": namespace,
            "import_url": reverse(f"{namespace}:import", kwargs=kwargs),
            "template_xlsx_url": reverse(f"{namespace}:import-template-xlsx", kwargs=kwargs),
            "template_csv_url": reverse(f"{namespace}:import-template-csv", kwargs=kwargs),
            "list_url": list_url,
            "list_label": list_label,
            "max_megabytes": f"{importing.max_bytes() / 1024 / 1024:g}",
        }


class ImportStartView(ImporterViewMixin, ScopedFormView):
    """Upload a file; its dry run starts at once and the job page follows it."""

    model = ImportJob
    scope_action = Action.MANAGE
    form_class = importing.ImportUploadForm
    template_name = "core/import_start.html"
    success_message = _("The file was uploaded; it is being checked.")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.importer_context())
        context["title"] = self.importer_class.title
        recent = list(
            jobs_with_parameters(
                ImportJob.objects.visible_to(self.request.user, Action.MANAGE).filter(
                    importer=self.importer_class.path()
                ),
                self.importer.parameters,
            ).defer("content", "errors", "preview")[:5]
        )
        for job in recent:
            importing.fail_if_stale(job)
        context["recent_jobs"] = recent
        return context

    def perform(self, form: BaseForm) -> ImportJob:
        return importing.job_start(
            actor=self.request.user,
            importer=self.importer_class,
            upload=form.cleaned_data["file"],
            parameters=self.importer.parameters,
        )


def jobs_with_parameters(queryset: QuerySet[ImportJob], parameters: dict[str, Any]) -> QuerySet[ImportJob]:
    """The jobs started with these parameters (a programme's import pages show that programme's jobs only)."""
    return queryset.filter(**{f"parameters__{name}": value for name, value in parameters.items()})


class ImportJobMixin(ImporterViewMixin):
    model: type[models.Model] = ImportJob

    def refine_queryset(self, queryset: QuerySet[ImportJob]) -> QuerySet[ImportJob]:
        # A job shows under its own app (and its own parameters) only; the file itself is never needed by a page.
        own = queryset.filter(importer=self.importer_class.path())
        return jobs_with_parameters(own, self.importer.parameters).defer("content")

    def get_object(self, queryset: QuerySet[ImportJob] | None = None) -> ImportJob:
        job: ImportJob = super().get_object(queryset)  # type: ignore[misc]  # DetailView, next in the MRO
        # A job whose worker went silent shows as failed, with its retry, as soon as anyone looks at it.
        importing.fail_if_stale(job)
        return job


class ImportJobView(ImportJobMixin, ScopedDetailView):
    """The job: progress while it runs, then the dry run's result (preview, errors, confirm), then the outcome."""

    template_name = "core/import_job.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job: ImportJob = self.object
        context.update(self.importer_context())
        context.update(job_context(self.request, job, self.importer_class))
        return context


def job_context(request: HttpRequest, job: ImportJob, importer: type[importing.Importer]) -> dict[str, Any]:
    by_field = {c.field: c for c in importer.columns}
    preview = job.preview or {}
    namespace = importer.url_namespace
    kwargs = {**(job.parameters or {}), "pk": job.pk}
    return {
        "job": job,
        "title": importer.title,
        "progress": importing.job_progress(job),
        "status_url": reverse(f"{namespace}:import-status", kwargs=kwargs),
        "confirm_url": reverse(f"{namespace}:import-confirm", kwargs=kwargs),
        "retry_url": reverse(f"{namespace}:import-retry", kwargs=kwargs),
        # How the file was read: a CSV file's encoding, "" for a workbook (None: checked before this was recorded).
        "read_as": preview.get("encoding"),
        "is_workbook": job.file_name.lower().endswith(".xlsx"),
        "preview_columns": [by_field[f].label for f in preview.get("columns", []) if f in by_field],
        "preview_rows": preview.get("rows", []),
        "ignored_headers": preview.get("ignored", []),
        "errors_shown": len(job.errors),
        "can_confirm": job.status == ImportStatus.CHECKED and is_visible(job, request.user, Action.MANAGE),
        "can_retry": job.can_retry and is_visible(job, request.user, Action.MANAGE),
    }


class ImportJobStatusView(ImportJobMixin, ScopedDetailView):
    """The progress fragment, polled by the job page; when the job has moved on, the page reloads."""

    template_name = "core/_import_progress.html"

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        job: ImportJob = self.object
        if not job.is_running and getattr(self.request, "htmx", False):
            response = HttpResponse("")
            response["HX-Refresh"] = "true"
            return response
        context.update(job_context(self.request, job, self.importer_class))
        return render(self.request, self.template_name, context)


class ImportConfirmView(ImportJobMixin, ScopedActionView):
    """Import a checked file: all rows or none, in the background."""

    scope_action = Action.MANAGE
    success_message = _("The import has started.")

    def perform(self, obj: ImportJob) -> str:
        try:
            importing.job_confirm(actor=self.request.user, job=obj)
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
        return obj.get_absolute_url()


class ImportRetryView(ImportJobMixin, ScopedActionView):
    """Run a failed job again from its kept file: its dry run, or its import (all rows or none)."""

    scope_action = Action.MANAGE
    success_message = _("The file runs again.")

    def perform(self, obj: ImportJob) -> str:
        importing.job_retry(actor=self.request.user, job=obj)
        return obj.get_absolute_url()


class ImportTemplateView(ImporterViewMixin, View):
    """The bilingual template (header row and one example row) as XLSX or CSV."""

    file_format: ClassVar[str] = "xlsx"
    model = ImportJob
    scope_action: ClassVar[str] = Action.MANAGE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not scope_for(request.user).can_anywhere(self.scope_action):
            raise OutOfScope
        importer = self.importer_class
        if self.file_format == "csv":
            response = HttpResponse(importing.template_csv(importer), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(
                importing.template_xlsx(importer),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        response["Content-Disposition"] = f'attachment; filename="{importer.template_name}.{self.file_format}"'
        return response


def import_urlpatterns(importer: type[importing.Importer], *, prefix: str = "") -> list[URLPattern]:
    """The import pages of one importer, to include in its app's ``urlpatterns``.

    ``prefix`` goes before ``import/``; it must name exactly the importer's ``url_parameters``.
    """
    named = set(re.findall(r"<(?:\w+:)?(\w+)>", prefix))
    if named != set(importer.url_parameters):
        raise ValueError(f"{importer.__name__}: the prefix {prefix!r} must name {importer.url_parameters}")
    patterns = [
        # Only someone who holds the importer's action somewhere (e.g. "manage") gets the upload page.
        path("import/", ImportStartView.as_view(importer_class=importer, scope_action=importer.action), name="import"),
        path(
            "import/template.xlsx",
            ImportTemplateView.as_view(importer_class=importer, file_format="xlsx", scope_action=importer.action),
            name="import-template-xlsx",
        ),
        path(
            "import/template.csv",
            ImportTemplateView.as_view(importer_class=importer, file_format="csv", scope_action=importer.action),
            name="import-template-csv",
        ),
        path("import/<int:pk>/", ImportJobView.as_view(importer_class=importer), name="import-job"),
        path("import/<int:pk>/status/", ImportJobStatusView.as_view(importer_class=importer), name="import-status"),
        path("import/<int:pk>/confirm/", ImportConfirmView.as_view(importer_class=importer), name="import-confirm"),
        # Running a job again asks for the importer's action, as uploading the file did.
        path(
            "import/<int:pk>/retry/",
            ImportRetryView.as_view(importer_class=importer, scope_action=importer.action),
            name="import-retry",
        ),
    ]
    return [path(prefix + str(p.pattern), p.callback, p.default_args, str(p.name)) for p in patterns]
