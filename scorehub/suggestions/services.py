"""Writes for suggestions, projects, posters and case studies.

Each service is atomic, attributed in the change log (``audited_write``), validates with ``full_clean`` and
re-checks inside its transaction that the record is still within the actor's scope.  Public submissions
(no account) have no actor: the poster's token is their authority, checked inside the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from scorehub.core.images import CleanImage, clean_image
from scorehub.core.scoping import Action, OutOfScope, ensure_visible, is_visible
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import (
    CaseStudy,
    CaseStudyStatus,
    Category,
    Channel,
    ImprovementProject,
    Measurement,
    Photo,
    PhotoKind,
    Poster,
    ProjectStatus,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
    new_tracking_code,
)

#: Fields a submission may set (the public page, the staff form, the API and the import).
SUBMISSION_FIELDS = (
    "workshop",
    "problem",
    "proposal",
    "category",
    "submitter_name",
    "submitter_contact",
    "submitter_gender",
)
MAX_PHOTOS = 3


def clean_photos(uploads: Iterable[Any], *, limit: int = MAX_PHOTOS) -> list[CleanImage]:
    """Check and re-encode uploads before any transaction starts (decoding is the slow part)."""
    uploads = [u for u in uploads if u]
    if len(uploads) > limit:
        raise ValidationError(_("At most %(n)s photos, please.") % {"n": limit})
    return [clean_image(upload) for upload in uploads]


def _store_photo(photo: CleanImage, *, enterprise: Enterprise, kind: str, actor: Any = None, **owner: Any) -> Photo:
    record = Photo(enterprise=enterprise, kind=kind, uploaded_by=actor, width=photo.width, height=photo.height, **owner)
    record.image.save("photo.jpg", ContentFile(photo.content.read()), save=False)
    photo.content.seek(0)
    record.full_clean()
    record.save()
    return record


def _event(suggestion: Suggestion, actor: Any, kind: str, *, from_status: str = "", note: str = "") -> None:
    SuggestionEvent.objects.create(
        suggestion=suggestion,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        from_status=from_status,
        to_status=suggestion.status,
        note=note,
    )


def _unique_tracking_code() -> str:
    for _attempt in range(10):
        code = new_tracking_code()
        if not Suggestion.objects.filter(tracking_code=code).exists():
            return code
    raise RuntimeError("no free tracking code")  # pragma: no cover - 31^8 codes


def _replay(key: str | None, *, enterprise: Enterprise, poster: Poster | None, actor: Any) -> Suggestion | None:
    """The suggestion an earlier request with the same idempotency key created, if any."""
    if not key:
        return None
    existing = Suggestion.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    same_origin = existing.enterprise_id == enterprise.pk and (
        existing.poster_id == poster.pk if poster is not None else existing.created_by_id == getattr(actor, "pk", None)
    )
    if not same_origin:
        raise ValidationError({"idempotency_key": _("This idempotency key was already used for another submission.")})
    return existing


def _create(
    *,
    actor: Any,
    enterprise: Enterprise,
    data: dict[str, Any],
    photos: Sequence[CleanImage],
    channel: str,
    poster: Poster | None = None,
    idempotency_key: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> tuple[Suggestion, bool]:
    existing = _replay(idempotency_key, enterprise=enterprise, poster=poster, actor=actor)
    if existing is not None:
        return existing, False
    values = {k: (data.get(k) or "") for k in SUBMISSION_FIELDS}
    values = {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    suggestion = Suggestion(
        enterprise=enterprise,
        poster=poster,
        channel=channel,
        tracking_code=_unique_tracking_code(),
        idempotency_key=idempotency_key or None,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        submitted_at=submitted_at or timezone.now(),
        **values,
    )
    if poster is not None and poster.workshop and not suggestion.workshop:
        suggestion.workshop = poster.workshop
    suggestion.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            suggestion.save()
    except IntegrityError:
        # A concurrent request with the same key got there first: answer with its result.
        existing = _replay(idempotency_key, enterprise=enterprise, poster=poster, actor=actor)
        if existing is None:
            raise
        return existing, False
    for photo in photos:
        _store_photo(
            photo, enterprise=enterprise, kind=PhotoKind.PROBLEM, actor=suggestion.created_by, suggestion=suggestion
        )
    _event(suggestion, actor, SuggestionEvent.Kind.SUBMITTED, note=suggestion.get_channel_display())
    return suggestion, True


def suggestion_submit_public(
    *, token: str, data: dict[str, Any], photos: Sequence[CleanImage] = (), idempotency_key: str | None = None
) -> tuple[Suggestion, bool]:
    """A worker's submission through a poster's link.  A revoked or unknown token stores nothing."""
    with audited_write(None):
        poster = Poster.objects.select_for_update().filter(token=token, revoked_at__isnull=True).first()
        if poster is None:
            raise OutOfScope
        enterprise = Enterprise.objects.get(pk=poster.enterprise_id)
        return _create(
            actor=None,
            enterprise=enterprise,
            data=data,
            photos=photos,
            channel=Channel.QR,
            poster=poster,
            idempotency_key=idempotency_key,
        )


def suggestion_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    data: dict[str, Any],
    photos: Sequence[CleanImage] = (),
    channel: str = Channel.MANUAL,
    idempotency_key: str | None = None,
    submitted_at: dt.datetime | None = None,
) -> tuple[Suggestion, bool]:
    """Staff enter a suggestion (from a paper box, a meeting, the API).  Returns (suggestion, created)."""
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.OPERATE)
        if submitted_at is not None and submitted_at > timezone.now() + dt.timedelta(minutes=5):
            raise ValidationError({"submitted_at": _("A suggestion cannot be submitted in the future.")})
        suggestion, created = _create(
            actor=actor,
            enterprise=enterprise,
            data=data,
            photos=photos,
            channel=channel,
            idempotency_key=idempotency_key,
            submitted_at=submitted_at,
        )
        ensure_visible(suggestion, actor, Action.OPERATE)
    return suggestion, created


def suggestion_transition(
    *,
    actor: Any,
    suggestion: Suggestion,
    to: str,
    reason: str = "",
    owner_name: str = "",
    due_date: dt.date | None = None,
    note: str = "",
    photos: Sequence[CleanImage] = (),
) -> Suggestion:
    """Move a suggestion on the board.  Rejection needs a reason, work in progress an owner and a due date,
    implementation a note and a photo as evidence."""
    with audited_write(actor):
        ensure_visible(suggestion, actor, Action.OPERATE)
        suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
        before = suggestion.status
        if to not in suggestion.next_statuses():
            raise ValidationError(
                _("A suggestion that is “%(status)s” cannot move to “%(to)s”.")
                % {
                    "status": suggestion.get_status_display(),
                    "to": SuggestionStatus(to).label if to in SuggestionStatus.values else to,
                }
            )
        now = timezone.now()
        reason, owner_name, note = reason.strip(), owner_name.strip(), note.strip()
        event_note = ""
        if to == SuggestionStatus.REJECTED:
            if not reason:
                raise ValidationError({"reason": _("Give the reason for the rejection: the worker will see it.")})
            suggestion.rejection_reason = reason
            suggestion.decided_at = now
            event_note = reason
        elif to == SuggestionStatus.UNDER_REVIEW:
            if before == SuggestionStatus.REJECTED:
                suggestion.rejection_reason = ""
                suggestion.decided_at = None
            event_note = note
        elif to == SuggestionStatus.ADOPTED:
            suggestion.decided_at = suggestion.decided_at or now
            event_note = note
        elif to == SuggestionStatus.IN_PROGRESS:
            errors = {}
            if not owner_name:
                errors["owner_name"] = _("Name who is responsible.")
            if due_date is None:
                errors["due_date"] = _("Give a due date.")
            if errors:
                raise ValidationError(errors)
            suggestion.owner_name = owner_name
            suggestion.due_date = due_date
            suggestion.decided_at = suggestion.decided_at or now
            event_note = f"{owner_name} · {due_date:%Y-%m-%d}"
        elif to == SuggestionStatus.IMPLEMENTED:
            errors = {}
            if not note:
                errors["note"] = _("Describe what was done.")
            has_evidence = photos or suggestion.photos.filter(kind=PhotoKind.EVIDENCE).exists()
            if not has_evidence:
                errors["photos"] = _("Add a photo of the result as evidence.")
            if errors:
                raise ValidationError(errors)
            suggestion.implementation_note = note
            suggestion.implemented_at = now
            suggestion.decided_at = suggestion.decided_at or now
            for photo in photos:
                _store_photo(
                    photo, enterprise=suggestion.enterprise, kind=PhotoKind.EVIDENCE, actor=actor, suggestion=suggestion
                )
            event_note = note
        suggestion.status = to
        suggestion.full_clean(exclude=["idempotency_key"])
        suggestion.save()
        _event(suggestion, actor, SuggestionEvent.Kind.STATUS, from_status=before, note=event_note)
        ensure_visible(suggestion, actor, Action.OPERATE)
    return suggestion


def suggestion_merge(*, actor: Any, duplicate: Suggestion, into: Suggestion) -> Suggestion:
    """Mark ``duplicate`` as the same suggestion as ``into``; its worker then follows ``into``'s status."""
    with audited_write(actor):
        ensure_visible(duplicate, actor, Action.OPERATE)
        ensure_visible(into, actor, Action.OPERATE)
        if duplicate.pk == into.pk:
            raise ValidationError(_("A suggestion cannot be merged into itself."))
        if duplicate.enterprise_id != into.enterprise_id:
            raise ValidationError(_("Only suggestions of the same enterprise can be merged."))
        if into.status == SuggestionStatus.MERGED:
            raise ValidationError(_("That suggestion is itself a merged duplicate; choose the original."))
        if duplicate.status not in (SuggestionStatus.SUBMITTED, SuggestionStatus.UNDER_REVIEW):
            raise ValidationError(_("Only suggestions still waiting for a decision can be merged."))
        before = duplicate.status
        duplicate.status = SuggestionStatus.MERGED
        duplicate.duplicate_of = into
        duplicate.decided_at = timezone.now()
        duplicate.save()
        # Duplicates of the duplicate now point at the original too.
        Suggestion.objects.filter(duplicate_of=duplicate).update(duplicate_of=into)
        _event(duplicate, actor, SuggestionEvent.Kind.MERGED, from_status=before, note=into.display_code)
        _event(into, actor, SuggestionEvent.Kind.MERGED, from_status=into.status, note=duplicate.display_code)
        ensure_visible(duplicate, actor, Action.OPERATE)
    return duplicate


def suggestion_join_project(*, actor: Any, suggestion: Suggestion, project: ImprovementProject) -> Suggestion:
    with audited_write(actor):
        ensure_visible(suggestion, actor, Action.OPERATE)
        ensure_visible(project, actor, Action.OPERATE)
        if suggestion.enterprise_id != project.enterprise_id:
            raise ValidationError(_("The project belongs to another enterprise."))
        if suggestion.status in (SuggestionStatus.REJECTED, SuggestionStatus.MERGED):
            raise ValidationError(_("A rejected or merged suggestion cannot join a project."))
        suggestion.project = project
        suggestion.save(update_fields=["project", "updated_at"])
        _event(suggestion, actor, SuggestionEvent.Kind.PROJECT, from_status=suggestion.status, note=project.title)
    return suggestion


def suggestion_link_record(*, actor: Any, suggestion: Suggestion, record: models.Model, note: str = "") -> Suggestion:
    """Link a record opened from this suggestion in another app (e.g. a hazard opened from a safety suggestion).

    The other app calls this after creating its record; this app only stores the generic reference.
    """
    with audited_write(actor):
        ensure_visible(suggestion, actor, Action.OPERATE)
        suggestion.linked_record = record
        suggestion.save(update_fields=["linked_type", "linked_id", "updated_at"])
        _event(suggestion, actor, SuggestionEvent.Kind.LINKED, from_status=suggestion.status, note=note or str(record))
    return suggestion


def suggestion_add_photos(
    *, actor: Any, suggestion: Suggestion, photos: Sequence[CleanImage], kind: str
) -> list[Photo]:
    with audited_write(actor):
        ensure_visible(suggestion, actor, Action.OPERATE)
        return [
            _store_photo(p, enterprise=suggestion.enterprise, kind=kind, actor=actor, suggestion=suggestion)
            for p in photos
        ]


# --- Posters -------------------------------------------------------------------------------------------


def poster_create(*, actor: Any, enterprise: Enterprise, workshop: str = "") -> Poster:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.OPERATE)
        poster = Poster(enterprise=enterprise, workshop=workshop.strip(), created_by=actor)
        poster.full_clean()
        poster.save()
        ensure_visible(poster, actor, Action.OPERATE)
    return poster


def poster_revoke(*, actor: Any, poster: Poster) -> Poster:
    """Stop a poster's link at once (a lost or photographed poster, abuse).  Print a new one to replace it."""
    with audited_write(actor):
        ensure_visible(poster, actor, Action.OPERATE)
        if poster.revoked_at is None:
            poster.revoked_at = timezone.now()
            poster.revoked_by = actor
            poster.save(update_fields=["revoked_at", "revoked_by"])
    return poster


# --- Improvement projects ------------------------------------------------------------------------------


def project_create(
    *, actor: Any, enterprise: Enterprise, data: dict[str, Any], suggestions: Sequence[Suggestion] = ()
) -> ImprovementProject:
    """A new project, optionally made from one or more suggestions (which then join it)."""
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.OPERATE)
        project = ImprovementProject(enterprise=enterprise, created_by=actor, **data)
        project.full_clean()
        project.save()
        for suggestion in suggestions:
            suggestion_join_project(actor=actor, suggestion=suggestion, project=project)
        ensure_visible(project, actor, Action.OPERATE)
    return project


def project_update(
    *, actor: Any, project: ImprovementProject, data: dict[str, Any] | None = None
) -> ImprovementProject:
    with audited_write(actor):
        ensure_visible(project, actor, Action.OPERATE)
        for name, value in (data or {}).items():
            setattr(project, name, value)
        if project.status == ProjectStatus.COMPLETED and not project.completed_on:
            project.completed_on = timezone.localdate()
        project.full_clean()
        project.save()
        ensure_visible(project, actor, Action.OPERATE)
    return project


def project_add_measurement(*, actor: Any, project: ImprovementProject, data: dict[str, Any]) -> Measurement:
    with audited_write(actor):
        ensure_visible(project, actor, Action.OPERATE)
        measurement = Measurement(project=project, **data)
        measurement.full_clean()
        measurement.save()
    return measurement


def project_add_photo(
    *, actor: Any, project: ImprovementProject, photo: CleanImage, kind: str, caption: str = ""
) -> Photo:
    if kind not in (PhotoKind.BEFORE, PhotoKind.AFTER):
        raise ValidationError({"kind": _("A project photo shows the situation before or after.")})
    with audited_write(actor):
        ensure_visible(project, actor, Action.OPERATE)
        return _store_photo(
            photo, enterprise=project.enterprise, kind=kind, actor=actor, project=project, caption=caption
        )


def project_verify_savings(
    *, actor: Any, project: ImprovementProject, amount: Decimal, note: str = ""
) -> ImprovementProject:
    """A trainer (consultant) confirms the annual savings of a completed project."""
    with audited_write(actor):
        ensure_visible(project, actor, Action.COACH)
        if project.status != ProjectStatus.COMPLETED:
            raise ValidationError(_("Savings can be verified once the project is completed."))
        if amount is None or amount < 0:
            raise ValidationError({"amount": _("Savings cannot be negative.")})
        project.verified_savings = amount
        project.verified_by = actor
        project.verified_at = timezone.now()
        project.verification_note = note.strip()
        project.save(
            update_fields=["verified_savings", "verified_by", "verified_at", "verification_note", "updated_at"]
        )
    return project


# --- The good-practice library -------------------------------------------------------------------------


def _worker_names(project: ImprovementProject) -> set[str]:
    names = project.suggestions.exclude(submitter_name="").values_list("submitter_name", flat=True)
    return {n.strip() for n in names if len(n.strip()) >= 2}


def _check_no_worker_names(case: CaseStudy) -> None:
    texts = " ".join(
        [case.title_zh, case.title_en, case.summary_zh, case.summary_en, case.before_text, case.after_text]
    )
    found = sorted(name for name in _worker_names(case.project) if name in texts)
    if found:
        raise ValidationError(
            _("Remove the names of workers from the case study (found: %(names)s).") % {"names": "、".join(found)}
        )


def case_study_propose(
    *,
    actor: Any,
    project: ImprovementProject,
    data: dict[str, Any],
    before_photo: Photo | None = None,
    after_photo: Photo | None = None,
) -> CaseStudy:
    """Propose a completed project for the good-practice library; the programme office approves it."""
    with audited_write(actor):
        if not (is_visible(project, actor, Action.OPERATE) or is_visible(project, actor, Action.COACH)):
            raise OutOfScope
        if project.status != ProjectStatus.COMPLETED:
            raise ValidationError(_("Only a completed project can become a case study."))
        case = CaseStudy(
            project=project,
            enterprise_id=project.enterprise_id,
            proposed_by=actor,
            proposed_at=timezone.now(),
            annual_savings=(project.verified_savings if project.is_verified else None) or project.expected_savings,
            savings_verified=project.is_verified,
            module=project.module,
            **data,
        )
        _copy_case_photos(case, project, before_photo, after_photo)
        case.full_clean()
        _check_no_worker_names(case)
        case.save()
    return case


def _copy_case_photos(case: CaseStudy, project: ImprovementProject, before: Photo | None, after: Photo | None) -> None:
    for field_name, photo in (("before_image", before), ("after_image", after)):
        if photo is None:
            continue
        if photo.project_id != project.pk:
            raise ValidationError({field_name: _("Choose a photo of this project.")})
        with photo.image.open("rb") as fh:
            getattr(case, field_name).save("case.jpg", ContentFile(fh.read()), save=False)


def case_study_update(
    *, actor: Any, case: CaseStudy, before_photo: Photo | None = None, after_photo: Photo | None = None
) -> CaseStudy:
    """Save corrections (the form has set the fields); the case goes back to the programme office."""
    with audited_write(actor):
        ensure_visible(case, actor, Action.OPERATE)
        if case.status == CaseStudyStatus.APPROVED:
            raise ValidationError(_("An approved case study can no longer be changed."))
        _copy_case_photos(case, case.project, before_photo, after_photo)
        case.status = CaseStudyStatus.PROPOSED
        case.full_clean()
        _check_no_worker_names(case)
        case.save()
    return case


def case_study_approve(*, actor: Any, case: CaseStudy) -> CaseStudy:
    with audited_write(actor):
        ensure_visible(case, actor, Action.MANAGE)
        _check_no_worker_names(case)
        case.status = CaseStudyStatus.APPROVED
        case.approved_by = actor
        case.approved_at = timezone.now()
        case.review_note = ""
        case.save()
    return case


def case_study_return(*, actor: Any, case: CaseStudy, note: str) -> CaseStudy:
    with audited_write(actor):
        ensure_visible(case, actor, Action.MANAGE)
        if not note.strip():
            raise ValidationError({"note": _("Say what should change.")})
        case.status = CaseStudyStatus.RETURNED
        case.review_note = note.strip()
        case.approved_by = None
        case.approved_at = None
        case.save()
    return case


def category_is_safety(suggestion: Suggestion) -> bool:
    return suggestion.category == Category.SAFETY
