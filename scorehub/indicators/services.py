"""Writes: KPI records, assessments, the catalogues and report requests.

Each write is atomic, attributed in the change log, validated with ``full_clean`` and re-checks the
actor's scope inside the transaction (a write that ends outside it is rolled back whole).

Who records KPIs and assessments: the enterprise's own staff (``operate``) and its trainers
(``coach``), who take baseline and follow-up figures during visits; the programme office does all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from scorehub.core.scoping import Action, OutOfScope, ensure_visible, is_visible, scope_for
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import (
    Assessment,
    Kpi,
    KpiRecord,
    KpiValue,
    Practice,
    PracticeAnswer,
    ReportFormat,
    ReportJob,
    ReportStatus,
    first_of_month,
)
from .selectors import refresh_cycle_stats

#: How long a prepared report stays downloadable.
REPORT_RETENTION_DAYS = 30

#: Holding either action lets a user record KPIs and assessments for an enterprise.
RECORDING_ACTIONS = (Action.OPERATE, Action.COACH)


def recordable_enterprises(user: Any) -> QuerySet[Enterprise]:
    """Enterprises whose KPIs and assessments the user may record."""
    queryset = Enterprise.objects.none()
    for action in RECORDING_ACTIONS:
        queryset = queryset | Enterprise.objects.visible_to(user, action)
    return queryset.distinct()


def can_record_anywhere(user: Any) -> bool:
    scope = scope_for(user)
    return any(scope.can_anywhere(action) for action in RECORDING_ACTIONS)


def can_record(user: Any, enterprise: Enterprise) -> bool:
    return any(is_visible(enterprise, user, action) for action in RECORDING_ACTIONS)


def ensure_can_record(user: Any, enterprise: Enterprise) -> None:
    if not can_record(user, enterprise):
        raise OutOfScope


# ---------------------------------------------------------------------------------------------------
# KPI records


def _set_values(record: KpiRecord, values: Mapping[Kpi, Decimal | None]) -> None:
    existing = {v.kpi_id: v for v in record.values.all()}
    for kpi, value in values.items():
        current = existing.get(kpi.pk)
        if value is None:
            if current is not None:
                current.delete()
            continue
        if current is None:
            current = KpiValue(record=record, kpi=kpi, value=value)
        else:
            current.value = value
        current.full_clean()
        current.save()


def kpi_record_save(
    *,
    actor: Any,
    enterprise: Enterprise,
    month: dt.date,
    values: Mapping[Kpi, Decimal | None],
    note: str = "",
    record: KpiRecord | None = None,
) -> KpiRecord:
    """Create or change the KPI record of ``enterprise`` for ``month`` (an empty value removes it)."""
    with audited_write(actor):
        before = record.enterprise_id if record is not None and record.pk else None
        record = _save_record(actor=actor, enterprise=enterprise, month=month, values=values, note=note, record=record)
        refresh_cycle_stats({record.enterprise_id, before or record.enterprise_id})
    return record


def _save_record(
    *,
    actor: Any,
    enterprise: Enterprise,
    month: dt.date,
    values: Mapping[Kpi, Decimal | None],
    note: str,
    record: KpiRecord | None,
) -> KpiRecord:
    with audited_write(actor):
        ensure_can_record(actor, enterprise)
        month = first_of_month(month)
        if record is None:
            record = KpiRecord.objects.filter(enterprise=enterprise, month=month).first() or KpiRecord(
                enterprise=enterprise, month=month
            )
        else:
            ensure_can_record(actor, record.enterprise)
        record.enterprise = enterprise
        record.month = month
        record.note = note
        record.recorded_by = actor
        _check_month(month)
        record.full_clean()
        record.save()
        _set_values(record, values)
        if not record.values.exists():
            raise ValidationError(gettext("Enter at least one KPI value."))
        ensure_can_record(actor, record.enterprise)
    return record


def _check_month(month: dt.date) -> None:
    if month > timezone.localdate():
        raise ValidationError({"month": gettext("KPI figures cannot be recorded for a month that has not begun.")})


def kpi_record_delete(*, actor: Any, record: KpiRecord) -> None:
    with audited_write(actor):
        ensure_can_record(actor, record.enterprise)
        enterprise_id = record.enterprise_id
        record.delete()
        refresh_cycle_stats([enterprise_id])


@dataclass
class ImportRow:
    """One checked row of a KPI import, ready to save."""

    line: int
    enterprise: Enterprise
    month: dt.date
    values: dict[Kpi, Decimal | None]
    note: str = ""


def kpi_records_import(*, actor: Any, rows: Iterable[ImportRow]) -> tuple[int, int]:
    """Save checked import rows: all of them or none.  Answers (created, updated)."""
    created = updated = 0
    touched: set[int] = set()
    with audited_write(actor):
        for row in rows:
            existing = KpiRecord.objects.filter(enterprise=row.enterprise, month=first_of_month(row.month)).first()
            touched.add(row.enterprise.pk)
            _save_record(
                actor=actor,
                enterprise=row.enterprise,
                month=row.month,
                values=row.values,
                note=row.note,
                record=existing,
            )
            if existing is None:
                created += 1
            else:
                updated += 1
        refresh_cycle_stats(touched)
    return created, updated


# ---------------------------------------------------------------------------------------------------
# Assessments


def assessment_save(*, actor: Any, assessment: Assessment, answers: Mapping[Practice, bool | None]) -> Assessment:
    """Save a baseline or follow-up assessment with its good-practice checklist."""
    with audited_write(actor):
        touched = {assessment.enterprise_id}
        if assessment.pk:
            original = Assessment.objects.get(pk=assessment.pk)
            ensure_can_record(actor, original.enterprise)
            touched.add(original.enterprise_id)
        ensure_can_record(actor, assessment.enterprise)
        assessment.recorded_by = actor
        assessment.full_clean()
        if assessment.assessed_on > timezone.localdate():
            raise ValidationError({"assessed_on": gettext("An assessment cannot be dated in the future.")})
        assessment.save()
        existing = {a.practice_id: a for a in assessment.answers.all()}
        for practice, in_place in answers.items():
            answer = existing.get(practice.pk)
            if in_place is None:
                if answer is not None:
                    answer.delete()
                continue
            if practice.module != assessment.module:
                raise ValidationError(gettext("A practice of another module cannot be answered here."))
            if answer is None:
                answer = PracticeAnswer(assessment=assessment, practice=practice, in_place=in_place)
            else:
                answer.in_place = in_place
            answer.full_clean()
            answer.save()
        refresh_cycle_stats(touched)
        ensure_can_record(actor, assessment.enterprise)
    return assessment


def assessment_delete(*, actor: Any, assessment: Assessment) -> None:
    with audited_write(actor):
        ensure_can_record(actor, assessment.enterprise)
        enterprise_id = assessment.enterprise_id
        assessment.delete()
        refresh_cycle_stats([enterprise_id])


# ---------------------------------------------------------------------------------------------------
# Catalogues (the programme office)


def _ensure_catalogue_manager(actor: Any) -> None:
    if not scope_for(actor).reaches_everything(Action.MANAGE):
        raise OutOfScope


def kpi_save(*, actor: Any, kpi: Kpi) -> Kpi:
    with audited_write(actor):
        _ensure_catalogue_manager(actor)
        kpi.full_clean()
        kpi.save()
        ensure_visible(kpi, actor, Action.MANAGE)
    return kpi


def practice_save(*, actor: Any, practice: Practice) -> Practice:
    with audited_write(actor):
        _ensure_catalogue_manager(actor)
        practice.module = practice.module.strip().upper()
        practice.full_clean()
        practice.save()
        ensure_visible(practice, actor, Action.MANAGE)
    return practice


# ---------------------------------------------------------------------------------------------------
# Reports


def report_request(*, actor: Any, scope_key: str, scope_label: str, period: str, fmt: str, language: str) -> ReportJob:
    """Queue a report; it is built in the background (``tasks.build_report``) once this commits."""
    if fmt not in ReportFormat.values:
        raise ValidationError(gettext("Choose PDF or Excel."))
    with transaction.atomic():
        # Reports are kept for a month; older ones are prepared again on request.
        cutoff = timezone.now() - dt.timedelta(days=REPORT_RETENTION_DAYS)
        ReportJob.objects.filter(requested_by=actor, created_at__lt=cutoff).delete()
        job = ReportJob(
            requested_by=actor,
            scope_key=scope_key,
            scope_label=scope_label[:200],
            period=period,
            format=fmt,
            language=language,
            status=ReportStatus.QUEUED,
        )
        job.full_clean(exclude=["content"])
        job.save()
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from django.conf import settings
    from django_q.tasks import async_task

    # ``sync`` is read at call time so that tests (and a set-up without a worker) build it inline.
    sync = bool(settings.Q_CLUSTER.get("sync", False))
    async_task("scorehub.indicators.tasks.build_report", job_id, task_name=f"report-{job_id}", sync=sync)
