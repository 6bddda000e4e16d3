"""Records the shell itself keeps: spreadsheet import jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from .importing import Importer

from .scoping import EVERYTHING, Action, PolicyResult, Scope, ScopedModel, ScopedQuerySet, ScopePolicy


class StartedByPolicy(ScopePolicy):
    """Records that belong to the person who started them.

    Only that person reaches them; programme admins may also read (never act on) everyone's.
    """

    def __init__(self, user_field: str = "started_by") -> None:
        self.user_field = user_field

    def condition(self, scope: Scope, action: str) -> PolicyResult:
        if action in (Action.VIEW, Action.HISTORY) and scope.reaches_everything(action):
            return EVERYTHING
        if scope.user_id is None:
            return None
        return Q(**{f"{self.user_field}_id": scope.user_id})


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be checked")
    CHECKING = "checking", _("checking")
    CHECKED = "checked", _("ready to import")
    INVALID = "invalid", _("errors found")
    IMPORT_QUEUED = "import_queued", _("waiting to be imported")
    IMPORTING = "importing", _("importing")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


class ImportJob(ScopedModel):
    """One spreadsheet on its way into the database: checked (dry run), then imported whole or not at all.

    The uploaded file is kept in the row (not in the media directory, which may be served publicly)
    until the import has finished.  Progress while a job runs lives in the cache, because the import's
    own transaction hides its rows from every other connection until it commits.
    """

    RUNNING: ClassVar[frozenset[str]] = frozenset(
        {ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.IMPORT_QUEUED, ImportStatus.IMPORTING}
    )

    importer = models.CharField(_("importer"), max_length=200, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveIntegerField(_("file size"), default=0)
    content = models.BinaryField(_("file content"), default=b"", editable=False)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    created_count = models.PositiveIntegerField(_("records created"), default=0)
    #: Per-row problems: ``[{"row": 7, "column": "统一社会信用代码", "message": "..."}]``.
    errors = models.JSONField(_("error list"), default=list, blank=True)
    #: The dry run's view of the file: ``{"columns": [field, ...], "rows": [{"row": 2, "values": [...], "ok": true}],
    #: "ignored": [header, ...]}``.
    preview = models.JSONField(_("preview"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    #: What the file is imported into besides it (the importer's ``url_parameters``), e.g. ``{"programme": 4}``.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    scope_policy: ClassVar[ScopePolicy] = StartedByPolicy("started_by")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [models.Index(fields=["started_by", "importer", "-created_at"], name="importjob_user_recent")]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        namespace = self.importer_class().url_namespace
        return reverse(f"{namespace}:import-job", kwargs={**(self.parameters or {}), "pk": self.pk})

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    def importer_class(self) -> type[Importer]:
        from .importing import importer_class

        return importer_class(self.importer)


class RateLimitCounter(models.Model):
    """One caller's request count in one rate-limit window (``scorehub.core.ratelimit``'s database store).

    Not a record anyone sees: rows are written by one atomic upsert per request and pruned when their
    window is over.  ``key`` names the limit, the window and a digest of the caller, never the caller.
    """

    key = models.CharField(_("key"), max_length=200, primary_key=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    #: The end of the window, in Unix seconds (the store compares it with its own clock, no time zones).
    expires_at = models.BigIntegerField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
