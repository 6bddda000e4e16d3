"""Background jobs (django-q2): building a report.  Tests run them inline (``Q_CLUSTER["sync"]``)."""

from __future__ import annotations

import logging

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from scorehub.core.scoping import OutOfScope, forget_scope

from . import layer, reports
from .models import ReportFormat, ReportJob, ReportStatus
from .periods import PeriodError, parse_period
from .scopes import resolve_scope

logger = logging.getLogger(__name__)


def build_report(job_id: int) -> str:
    """Build the PDF or workbook of a queued :class:`ReportJob`, recording progress as it goes."""
    job = ReportJob.objects.select_related("requested_by").defer("content").get(pk=job_id)
    if job.is_finished:
        return job.status

    def progress(percent: int, step: str) -> None:
        ReportJob.objects.filter(pk=job.pk).update(progress=percent, step=str(step)[:100], status=ReportStatus.RUNNING)

    with translation.override(job.language):
        try:
            progress(5, _("Starting"))
            user = job.requested_by
            forget_scope(user)
            # The user's reach is checked again now: a job never reports beyond it, nor of a buyer's summary.
            scope = resolve_scope(user, job.scope_key)
            if scope.summary_only:
                raise OutOfScope
            period = parse_period(job.period)
            with layer.computation():
                data = reports.collect(scope, period, user=user, progress=progress)
                if job.format == ReportFormat.PDF:
                    content = reports.build_pdf(data, progress=progress)
                    name = reports.filename(data, "pdf")
                else:
                    content = reports.build_xlsx(data, progress=progress)
                    name = reports.filename(data, "xlsx")
        except (OutOfScope, PeriodError):
            _finish(job, ReportStatus.FAILED, error=_("This scope or period is no longer available to you."))
            return ReportStatus.FAILED
        except Exception:
            logger.exception("report %s failed", job.pk)
            _finish(job, ReportStatus.FAILED, error=_("The report could not be built. Please try again later."))
            return ReportStatus.FAILED
    _finish(job, ReportStatus.DONE, content=content, filename=name)
    return ReportStatus.DONE


def _finish(job: ReportJob, status: str, *, error: str = "", content: bytes | None = None, filename: str = "") -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        status=status,
        progress=100,
        step="",
        error=error,
        content=content,
        filename=filename,
        size=len(content or b""),
        finished_at=timezone.now(),
    )
