"""Imports whose worker died: detected, shown failed with a clear message, retried, and never half-imported.

A worker that is killed (out of memory, a deploy, django-q2's timeout) leaves its job "importing"; its import
transaction is rolled back by the database.  The job is marked failed once its worker has been silent for
``SCOREHUB_IMPORT_STALE_AFTER`` (when its page is seen, and by the periodic sweep), keeps its file, and its
starter can retry it: every row is then imported exactly once.  The clock is moved with time-machine.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.urls import reverse
from django_q.exceptions import TimeoutException
from django_q.models import Schedule

from scorehub.core import importing
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.enterprises.importers import EnterpriseImporter
from scorehub.enterprises.models import ContactPerson, Enterprise
from scorehub.enterprises.tests.import_files import CHINESE_HEADERS, csv_bytes, enterprise, table

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
ROWS = 5


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: the task stops where it is, nothing handles it."""


class DyingEnterpriseImporter(EnterpriseImporter):
    """The enterprise import, whose worker dies after two enterprises are in the database."""

    dies: type[BaseException] | None = WorkerKilled

    def save(self, rows, progress):  # type: ignore[no-untyped-def]
        if self.dies is None:
            return super().save(rows, progress)
        written = super().save(rows[:2], progress)
        assert Enterprise.objects.filter(pk__in=[r.pk for r in written if isinstance(r, Enterprise)]).count() == 2
        raise self.dies


def rows() -> list[dict[str, str]]:
    return [enterprise(900 + i) for i in range(ROWS)]


def file_bytes() -> bytes:
    return csv_bytes(table(rows(), CHINESE_HEADERS))


def codes() -> list[str]:
    return [row["credit_code"] for row in rows()]


def imported() -> dict[str, int]:
    """How many enterprises (and contacts, and change-log entries) each of the file's codes has."""
    found = Enterprise.objects.filter(credit_code__in=codes()).values("credit_code").annotate(n=Count("pk"))
    return {item["credit_code"]: item["n"] for item in found}


def traces() -> tuple[int, int, int]:
    enterprises = Enterprise.objects.filter(credit_code__in=codes())
    contacts = ContactPerson.objects.filter(enterprise__credit_code__in=codes())
    logged = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Enterprise),
        object_pk__in=[str(pk) for pk in enterprises.values_list("pk", flat=True)],
    )
    return enterprises.count(), contacts.count(), logged.count()


def checked_job(persona, importer=EnterpriseImporter) -> ImportJob:
    """A job whose dry run passed and whose import its starter confirmed (the task not yet run)."""
    job = ImportJob.objects.create(
        importer=importer.path(),
        started_by=persona("huzhou_official"),
        file_name="湖州企业.csv",
        content=file_bytes(),
        language="en",
    )
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED, job.errors
    job.status = ImportStatus.IMPORT_QUEUED
    job.save(update_fields=["status"])
    return job


def taken_by_a_worker(job: ImportJob) -> None:
    """What a worker does first: take the job (status and heartbeat, committed) and report progress."""
    from django.utils import timezone

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, heartbeat_at=timezone.now())
    importing.progress_reporter(job.pk)("saving", 2, ROWS)
    job.refresh_from_db()


def test_a_job_whose_worker_went_silent_shows_failed_and_its_owner_retries_it(
    client_as, persona, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    job = checked_job(persona)
    taken_by_a_worker(job)
    client = client_as("huzhou_official")
    url = job.get_absolute_url()

    # Silent for less than the timeout: still importing.
    time_machine.shift(importing.stale_after() - dt.timedelta(seconds=1))
    page = client.get(url).content.decode()
    assert 'data-testid="import-failed"' not in page
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.IMPORTING

    # Silent for longer: the page shows it failed, says why, and offers the retry.
    time_machine.shift(dt.timedelta(seconds=2))
    page = client.get(url).content.decode()
    job.refresh_from_db()
    assert (job.status, job.retryable, job.attempt) == (ImportStatus.FAILED, True, 1)
    assert job.message == (
        "The import stopped before it finished (its background worker stopped). Nothing was imported: you can retry it."
    )
    assert 'data-testid="import-failed"' in page
    assert "its background worker stopped" in page
    assert 'data-testid="import-retry"' in page
    assert bytes(ImportJob.objects.get(pk=job.pk).content) == file_bytes()  # the file is kept for the retry
    assert traces() == (0, 0, 0)

    # The programme admin may read the job but not act on it: no button, and the retry is a 404.
    admin = client_as("admin")
    assert 'data-testid="import-retry"' not in admin.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(reverse("enterprises:import-retry", kwargs={"pk": job.pk})).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED

    # The owner retries: every row is imported, each exactly once.
    client = client_as("huzhou_official")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enterprises:import-retry", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempt, job.created_count, job.message) == (ImportStatus.DONE, 2, ROWS, "")
    assert imported() == dict.fromkeys(codes(), 1)
    assert traces() == (ROWS, ROWS, ROWS)
    assert bytes(job.content) == b""

    # A finished job cannot be retried: refused, nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import-retry", kwargs={"pk": job.pk}))
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert traces() == (ROWS, ROWS, ROWS)


def test_a_worker_killed_mid_import_leaves_no_rows_and_the_retry_imports_each_row_once(
    persona, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    job = checked_job(persona, DyingEnterpriseImporter)

    # The worker takes the job, writes two enterprises inside the import's transaction, and is killed.
    with pytest.raises(WorkerKilled):
        importing.import_job(job.pk, job.attempt)
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING  # nobody was left to say otherwise
    assert traces() == (0, 0, 0)  # the transaction took the two enterprises with it

    # The periodic sweep finds the silent job.
    assert importing.sweep_stale_jobs() == 0
    time_machine.shift(importing.stale_after() + dt.timedelta(seconds=1))
    assert importing.sweep_stale_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.retryable) == (ImportStatus.FAILED, True)
    assert "Nothing was imported" in job.message
    assert importing.sweep_stale_jobs() == 0

    # Retried with a worker that lives: each row exactly once.
    DyingEnterpriseImporter.dies = None
    try:
        with django_capture_on_commit_callbacks(execute=True):
            importing.job_retry(actor=persona("huzhou_official"), job=job)
    finally:
        DyingEnterpriseImporter.dies = WorkerKilled
    job.refresh_from_db()
    assert (job.status, job.attempt, job.created_count) == (ImportStatus.DONE, 2, ROWS)
    assert imported() == dict.fromkeys(codes(), 1)
    assert traces() == (ROWS, ROWS, ROWS)

    # The killed attempt's task, delivered again by the queue, does nothing.
    importing.import_job(job.pk, 1)
    importing.check_job(job.pk, 1)
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE
    assert traces() == (ROWS, ROWS, ROWS)


def test_a_task_stopped_by_the_queue_timeout_is_failed_at_once_and_saves_nothing(persona, time_machine):
    time_machine.move_to(START, tick=False)
    job = checked_job(persona, DyingEnterpriseImporter)
    DyingEnterpriseImporter.dies = TimeoutException
    try:
        with pytest.raises(TimeoutException):
            importing.import_job(job.pk, job.attempt)
    finally:
        DyingEnterpriseImporter.dies = WorkerKilled
    job.refresh_from_db()
    assert (job.status, job.retryable) == (ImportStatus.FAILED, True)
    assert "stopped before it finished" in job.message
    assert traces() == (0, 0, 0)


def test_a_worker_that_keeps_reporting_progress_is_not_stale(persona, time_machine):
    time_machine.move_to(START, tick=False)
    job = checked_job(persona)
    taken_by_a_worker(job)
    report = importing.progress_reporter(job.pk)
    for done in range(3):
        time_machine.shift(importing.stale_after() - dt.timedelta(seconds=1))
        report("saving", done, ROWS)  # the heartbeat: progress in the cache
        assert importing.sweep_stale_jobs() == 0
    assert not importing.fail_if_stale(ImportJob.objects.get(pk=job.pk))
    time_machine.shift(importing.stale_after() + dt.timedelta(seconds=1))
    assert importing.fail_if_stale(ImportJob.objects.get(pk=job.pk))


def test_a_dry_run_whose_worker_died_is_checked_again_on_retry(
    client_as, persona, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(START, tick=False)
    client = client_as("huzhou_official")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/enterprises/import/", {"file": SimpleUploadedFile("湖州企业.csv", file_bytes())})
    job = ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING, heartbeat_at=START)

    time_machine.shift(importing.stale_after() + dt.timedelta(seconds=1))
    status = client.get(reverse("enterprises:import-status", kwargs={"pk": job.pk}), headers={"HX-Request": "true"})
    assert status["HX-Refresh"] == "true"  # the polling page reloads and shows the failure
    job.refresh_from_db()
    assert (job.status, job.retryable) == (ImportStatus.FAILED, True)
    assert job.checked_at is None

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import-retry", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert (job.status, job.attempt, job.total_rows) == (ImportStatus.CHECKED, 2, ROWS)
    assert traces() == (0, 0, 0)  # checked again, not imported: the starter confirms as usual


def test_a_failed_job_keeps_its_file_for_the_retry_window_only(persona, time_machine):
    time_machine.move_to(START, tick=False)
    job = checked_job(persona)
    taken_by_a_worker(job)
    time_machine.shift(importing.stale_after() + dt.timedelta(seconds=1))
    assert importing.sweep_stale_jobs() == 1

    time_machine.shift(importing.RETRY_WINDOW - dt.timedelta(seconds=1))
    importing.sweep_stale_jobs()
    job.refresh_from_db()
    assert job.can_retry
    assert bytes(job.content) == file_bytes()

    time_machine.shift(dt.timedelta(seconds=2))
    importing.sweep_stale_jobs()
    job.refresh_from_db()
    assert not job.can_retry
    assert bytes(job.content) == b""  # uploaded lists hold personal data: not kept beyond a likely retry


def test_the_sweep_is_scheduled_with_the_worker():
    schedule = Schedule.objects.get(name="import-stale-jobs")
    assert schedule.func == "scorehub.core.importing.sweep_stale_jobs"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 5, -1)
