"""Writes of the work-safety app.  Each is atomic, attributed in the change log, refuses bad input
with a translated ``ValidationError`` and re-checks the actor's scope inside the transaction.

Other apps (visits, suggestions) open hazards through :func:`hazard_report`, passing their record as
``source``; this app never imports them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from scorehub.accounts.models import Organisation, OrganisationKind
from scorehub.core.images import CleanImage, clean_image
from scorehub.core.scoping import Action, OutOfScope, ensure_visible, is_visible
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import (
    KIND_ACTIONS,
    Accident,
    AffectedPerson,
    BureauNotification,
    CheckKind,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    CheckResult,
    EventKind,
    Hazard,
    HazardClass,
    HazardEvent,
    HazardSource,
    HazardStatus,
    HoursWorked,
    NoticeBoard,
    Outcome,
    PhotoStage,
    PlannedInspection,
    PlannedStatus,
    RectificationPlan,
    RiskPoint,
    SafetyCheck,
    SafetyPhoto,
)

#: Actions that let a user work on a hazard of an enterprise (record, assign, plan, close).
HAZARD_ACTIONS = (Action.OPERATE, Action.INSPECT)
#: Actions that let a user report a new hazard (trainers report what they see on a walk-through).
REPORT_ACTIONS = (Action.OPERATE, Action.INSPECT, Action.COACH)


def ensure_any(obj: models.Model, actor: Any, actions: Iterable[str]) -> None:
    """Raise ``OutOfScope`` unless the actor holds at least one of ``actions`` on ``obj``."""
    if not any(is_visible(obj, actor, action) for action in actions):
        raise OutOfScope


def _today() -> dt.date:
    return timezone.localdate()


# --------------------------------------------------------------------------------------------------
# Checklists
# --------------------------------------------------------------------------------------------------


def checklist_template_save(*, actor: Any, template: ChecklistTemplate) -> ChecklistTemplate:
    """Create or edit a template's own data (code, names, industries).  Items are edited by version."""
    with audited_write(actor):
        template.full_clean()
        template.save()
        ensure_visible(template, actor, Action.CHANGE if template.pk else Action.MANAGE)
        if not template.versions.exists():
            ChecklistVersion.objects.create(template=template, number=1, created_by=actor, note=_("First version"))
    return template


def checklist_version_for_edit(*, actor: Any, template: ChecklistTemplate, note: str = "") -> ChecklistVersion:
    """The version to edit: the current one if no check has used it, otherwise a new copy of it."""
    with audited_write(actor):
        ensure_visible(template, actor, Action.CHANGE)
        current = template.current_version
        if current is not None and not current.checks.exists():
            return current
        number = (current.number if current else 0) + 1
        version = ChecklistVersion.objects.create(
            template=template, number=number, created_by=actor, note=note or _("Edited after use in checks")
        )
        if current is not None:
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    version=version,
                    position=item.position,
                    code=item.code,
                    category=item.category,
                    text_zh=item.text_zh,
                    text_en=item.text_en,
                    reference=item.reference,
                    default_hazard_class=item.default_hazard_class,
                )
                for item in current.items.all()
            )
    return version


ITEM_FIELDS = ("code", "category", "text_zh", "text_en", "reference", "default_hazard_class")


def checklist_item_save(
    *, actor: Any, template: ChecklistTemplate, data: dict[str, Any], item: ChecklistItem | None = None
) -> ChecklistItem:
    """Add an item, or change one; a version already used by checks is never changed in place."""
    with audited_write(actor):
        version = checklist_version_for_edit(actor=actor, template=template)
        if item is not None and item.version_id != version.pk:
            item = version.items.get(code=item.code)
        if item is None:
            last = version.items.aggregate(m=Max("position"))["m"] or 0
            item = ChecklistItem(version=version, position=last + 1)
        for name in ITEM_FIELDS:
            if name in data:
                setattr(item, name, data[name])
        item.full_clean()
        item.save()
        ensure_visible(item, actor, Action.CHANGE)
    return item


def checklist_item_remove(*, actor: Any, template: ChecklistTemplate, item: ChecklistItem) -> ChecklistVersion:
    with audited_write(actor):
        version = checklist_version_for_edit(actor=actor, template=template)
        version.items.filter(code=item.code).delete()
    return version


# --------------------------------------------------------------------------------------------------
# Safety checks
# --------------------------------------------------------------------------------------------------


@dataclass
class ResultInput:
    item_id: int
    outcome: str
    note: str = ""
    photos: list[Any] = field(default_factory=list)


def allowed_kinds(actor: Any, enterprise: Enterprise) -> list[str]:
    """The kinds of check the actor may record at this enterprise."""
    return [kind for kind in CheckKind if any(is_visible(enterprise, actor, action) for action in KIND_ACTIONS[kind])]


def check_submit(
    *,
    actor: Any,
    enterprise: Enterprise,
    client_uuid: uuid.UUID | str,
    kind: str,
    version: ChecklistVersion,
    checked_on: dt.date,
    results: Sequence[ResultInput],
    place: str = "",
    participants: str = "",
    note: str = "",
    confirm_industry: bool = False,
    planned: PlannedInspection | None = None,
) -> tuple[SafetyCheck, bool]:
    """Record a check and open one hazard for every failed item.

    Idempotent on ``client_uuid``: a second submission with the same id (a retry after a dropped
    connection) returns the first check and creates nothing.  Returns ``(check, created)``.
    """
    try:
        client_uuid = uuid.UUID(str(client_uuid))
    except ValueError as exc:
        raise ValidationError({"client_uuid": _("The submission id is not valid.")}) from exc
    existing = SafetyCheck.objects.filter(client_uuid=client_uuid).first()
    if existing is not None:
        return _existing_submission(existing, actor, enterprise), False

    if kind not in KIND_ACTIONS:
        raise ValidationError({"kind": _("Choose the kind of check.")})
    ensure_any(enterprise, actor, KIND_ACTIONS[kind])
    errors: dict[str, Any] = {}
    if checked_on > _today():
        errors["checked_on"] = _("A check cannot be dated in the future.")
    if not version.template.fits_industry(enterprise.industry_division) and not confirm_industry:
        errors["confirm_industry"] = _(
            "This checklist is written for another industry. Confirm that you want to use it for this enterprise."
        )
    if not results:
        errors["results"] = _("Record a result for at least one item.")
    items = {item.pk: item for item in version.items.all()}
    seen: set[int] = set()
    for result in results:
        if result.item_id not in items:
            errors["results"] = _("An item does not belong to the checklist version used.")
        elif result.item_id in seen:
            errors["results"] = _("An item was answered twice.")
        seen.add(result.item_id)
        if result.outcome not in Outcome.values:
            errors["results"] = _("Each item is pass, fail or not applicable.")
    if planned is not None and (planned.enterprise_id != enterprise.pk or planned.status != PlannedStatus.PLANNED):
        errors["planned"] = _("The planned inspection does not belong to this enterprise or is no longer open.")
    if errors:
        raise ValidationError(errors)
    # Decode and shrink every photo before anything is written: a bad photo saves nothing.
    cleaned_photos = {r.item_id: [clean_image(p) for p in r.photos] for r in results if r.photos}

    try:
        with audited_write(actor):
            check = SafetyCheck(
                enterprise=enterprise,
                kind=kind,
                version=version,
                checked_on=checked_on,
                place=place,
                participants=participants,
                note=note,
                inspector=actor,
                client_uuid=client_uuid,
                industry_confirmed=bool(
                    confirm_industry and not version.template.fits_industry(enterprise.industry_division)
                ),
            )
            check.full_clean(exclude=["client_uuid"])
            check.save()
            for result in results:
                item = items[result.item_id]
                row = CheckResult.objects.create(
                    check_record=check, item=item, outcome=result.outcome, note=result.note.strip()
                )
                photos = [
                    _save_photo(photo, enterprise=enterprise, actor=actor, check_result=row)
                    for photo in cleaned_photos.get(result.item_id, [])
                ]
                if result.outcome == Outcome.FAIL:
                    _hazard_from_result(actor=actor, check=check, row=row, item=item, photos=photos)
            if planned is not None:
                planned.status = PlannedStatus.DONE
                planned.done_check = check
                planned.save(update_fields=["status", "done_check"])
            ensure_any(check, actor, KIND_ACTIONS[kind])
    except IntegrityError:
        # Two submissions with the same id raced; the other one won.
        existing = SafetyCheck.objects.filter(client_uuid=client_uuid).first()
        if existing is None:
            raise
        return _existing_submission(existing, actor, enterprise), False
    return check, True


def _existing_submission(existing: SafetyCheck, actor: Any, enterprise: Enterprise) -> SafetyCheck:
    if existing.enterprise_id != enterprise.pk:
        raise ValidationError({"client_uuid": _("This submission id was already used for another check.")})
    ensure_visible(existing, actor, Action.VIEW)
    return existing


def _save_photo(
    cleaned: CleanImage,
    *,
    enterprise: Enterprise,
    actor: Any,
    hazard: Hazard | None = None,
    check_result: CheckResult | None = None,
    stage: str = PhotoStage.FINDING,
) -> SafetyPhoto:
    photo = SafetyPhoto(
        enterprise=enterprise,
        hazard=hazard,
        check_result=check_result,
        stage=stage,
        width=cleaned.width,
        height=cleaned.height,
        uploaded_by=actor,
    )
    photo.image.save("photo.jpg", cleaned.content, save=False)
    photo.save()
    return photo


def _hazard_from_result(
    *, actor: Any, check: SafetyCheck, row: CheckResult, item: ChecklistItem, photos: list[SafetyPhoto]
) -> Hazard:
    description = f"{item.code} {item.text_zh}"
    if row.note:
        description += f"\n{row.note}"
    hazard = Hazard(
        enterprise=check.enterprise,
        source_kind=HazardSource.CHECK,
        source_type=ContentType.objects.get_for_model(CheckResult),
        source_id=row.pk,
        source_reference=str(check),
        check_result=row,
        place=check.place or "—",
        description=description,
        hazard_class=item.default_hazard_class,
        nature="enforcement" if check.kind == CheckKind.GOVERNMENT else "advice",
        found_on=check.checked_on,
        found_by=actor,
    )
    hazard.full_clean()
    hazard.save()
    for photo in photos:
        photo.hazard = hazard
        photo.save(update_fields=["hazard"])
    _event(hazard, EventKind.FOUND, actor, _("Failed item %(code)s in %(check)s") % {"code": item.code, "check": check})
    if hazard.is_major:
        _report_to_bureaus(hazard, actor)
    return hazard


# --------------------------------------------------------------------------------------------------
# Hazards
# --------------------------------------------------------------------------------------------------


def _event(hazard: Hazard, kind: str, actor: Any, note: str = "", at: dt.datetime | None = None) -> HazardEvent:
    return HazardEvent.objects.create(hazard=hazard, kind=kind, actor=actor, note=note, at=at or timezone.now())


def bureaus_for(enterprise: Enterprise) -> models.QuerySet[Organisation]:
    """The active bureaus whose jurisdiction contains the enterprise (district, city, province)."""
    code = enterprise.region_id
    prefixes = [code[:2], code[:4], code[:6]]
    return Organisation.objects.filter(
        kind=OrganisationKind.BUREAU, is_active=True, region__isnull=False, region__prefix__in=prefixes
    )


def _report_to_bureaus(hazard: Hazard, actor: Any) -> None:
    """A major hazard goes to the bureaus of the enterprise's jurisdiction at once."""
    bureaus = list(bureaus_for(hazard.enterprise))
    BureauNotification.objects.bulk_create(
        [BureauNotification(bureau=b, hazard=hazard) for b in bureaus], ignore_conflicts=True
    )
    names = "、".join(str(b) for b in bureaus) or "—"
    _event(hazard, EventKind.REPORTED, actor, names)


def hazard_report(
    *,
    actor: Any,
    enterprise: Enterprise,
    place: str,
    description: str,
    hazard_class: str = HazardClass.GENERAL,
    found_on: dt.date | None = None,
    source_kind: str = HazardSource.OTHER,
    source: models.Model | None = None,
    source_reference: str = "",
    nature: str = "advice",
    photos: Sequence[Any] = (),
) -> Hazard:
    """Open a hazard found outside a check (a visit, a worker suggestion, an accident, anything else)."""
    ensure_any(enterprise, actor, REPORT_ACTIONS)
    found_on = found_on or _today()
    if found_on > _today():
        raise ValidationError({"found_on": _("A hazard cannot be found in the future.")})
    cleaned = [clean_image(p) for p in photos]
    with audited_write(actor):
        hazard = Hazard(
            enterprise=enterprise,
            source_kind=source_kind,
            source_type=ContentType.objects.get_for_model(source) if source is not None else None,
            source_id=source.pk if source is not None else None,
            source_reference=source_reference or (str(source) if source is not None else ""),
            place=place,
            description=description,
            hazard_class=hazard_class,
            nature=nature,
            found_on=found_on,
            found_by=actor,
        )
        hazard.full_clean()
        hazard.save()
        for photo in cleaned:
            _save_photo(photo, enterprise=enterprise, actor=actor, hazard=hazard)
        _event(hazard, EventKind.FOUND, actor, hazard.get_source_kind_display())
        if hazard.is_major:
            _report_to_bureaus(hazard, actor)
        ensure_visible(hazard, actor, Action.VIEW)
    return hazard


def hazard_assign(
    *, actor: Any, hazard: Hazard, responsible_person: str, deadline: dt.date, required_measures: str
) -> Hazard:
    with audited_write(actor):
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        ensure_any(hazard, actor, HAZARD_ACTIONS)
        if hazard.status not in (HazardStatus.FOUND, HazardStatus.ASSIGNED):
            raise ValidationError(_("Only a hazard that is not yet rectified can be assigned."))
        hazard.responsible_person = responsible_person
        hazard.deadline = deadline
        hazard.required_measures = required_measures
        hazard.status = HazardStatus.ASSIGNED
        hazard.full_clean()
        hazard.save()
        _event(
            hazard,
            EventKind.ASSIGNED,
            actor,
            _("Deadline %(deadline)s. %(measures)s")
            % {"deadline": deadline.isoformat(), "measures": required_measures},
        )
    return hazard


PLAN_FIELDS = ("objective", "measures", "funds", "responsible_person", "deadline", "interim_measures")


def hazard_plan_save(*, actor: Any, hazard: Hazard, data: dict[str, Any]) -> RectificationPlan:
    """Write (or revise) the rectification plan of a major hazard."""
    with audited_write(actor):
        ensure_any(hazard, actor, HAZARD_ACTIONS)
        if not hazard.is_major:
            raise ValidationError(_("Only a major hazard needs a rectification plan."))
        if hazard.status not in (HazardStatus.FOUND, HazardStatus.ASSIGNED):
            raise ValidationError(_("The hazard is already rectified; its plan can no longer change."))
        plan = getattr(hazard, "plan", None) or RectificationPlan(hazard=hazard, created_by=actor)
        for name in PLAN_FIELDS:
            setattr(plan, name, data[name])
        plan.full_clean()
        plan.save()
        # The plan's person and deadline are the hazard's assignment.
        hazard.responsible_person = plan.responsible_person
        hazard.deadline = plan.deadline
        hazard.required_measures = plan.measures
        hazard.status = HazardStatus.ASSIGNED
        hazard.full_clean()
        hazard.save()
        _event(hazard, EventKind.PLAN, actor, plan.objective)
    return plan


def hazard_rectify(
    *, actor: Any, hazard: Hazard, note: str, rectified_on: dt.date | None = None, photos: Sequence[Any] = ()
) -> Hazard:
    """The enterprise records the rectification, with evidence."""
    rectified_on = rectified_on or _today()
    cleaned = [clean_image(p) for p in photos]
    with audited_write(actor):
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        ensure_visible(hazard, actor, Action.OPERATE)
        if hazard.status not in (HazardStatus.FOUND, HazardStatus.ASSIGNED):
            raise ValidationError(_("This hazard is not waiting for rectification."))
        if hazard.is_major and not RectificationPlan.objects.filter(hazard=hazard).exists():
            raise ValidationError(_("A major hazard needs a rectification plan before it can be rectified."))
        if not note.strip():
            raise ValidationError({"note": _("Describe what was done (the evidence of rectification).")})
        if rectified_on > _today():
            raise ValidationError({"rectified_on": _("A rectification cannot be dated in the future.")})
        hazard.status = HazardStatus.RECTIFIED
        hazard.rectified_on = rectified_on
        hazard.rectified_by = actor
        hazard.rectification_note = note
        hazard.full_clean()
        hazard.save()
        for photo in cleaned:
            _save_photo(photo, enterprise=hazard.enterprise, actor=actor, hazard=hazard, stage=PhotoStage.RECTIFICATION)
        _event(hazard, EventKind.RECTIFIED, actor, note)
    return hazard


def hazard_verify(*, actor: Any, hazard: Hazard, passed: bool, note: str = "") -> Hazard:
    """Someone other than the rectifier checks the rectification; a failed verification reopens it."""
    with audited_write(actor):
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        ensure_any(hazard, actor, HAZARD_ACTIONS)
        if hazard.status != HazardStatus.RECTIFIED:
            raise ValidationError(_("Only a rectified hazard can be verified."))
        if hazard.rectified_by_id is not None and hazard.rectified_by_id == actor.pk:
            raise ValidationError(_("You rectified this hazard; someone else must verify it."))
        if passed:
            hazard.status = HazardStatus.VERIFIED
            hazard.verified_by = actor
            hazard.verified_on = _today()
            _event(hazard, EventKind.VERIFIED, actor, note)
        else:
            if not note.strip():
                raise ValidationError({"note": _("Say why the rectification is not accepted.")})
            hazard.status = HazardStatus.ASSIGNED
            hazard.rectified_on = None
            hazard.rectified_by = None
            hazard.reopened_count += 1
            _event(hazard, EventKind.VERIFICATION_FAILED, actor, note)
        hazard.full_clean()
        hazard.save()
    return hazard


def hazard_close(*, actor: Any, hazard: Hazard, note: str = "") -> Hazard:
    with audited_write(actor):
        hazard = Hazard.objects.select_for_update().get(pk=hazard.pk)
        ensure_any(hazard, actor, HAZARD_ACTIONS)
        if hazard.status in (HazardStatus.FOUND, HazardStatus.ASSIGNED):
            raise ValidationError(_("A hazard that has not been rectified cannot be closed."))
        if hazard.status == HazardStatus.RECTIFIED:
            raise ValidationError(_("The rectification must be verified before the hazard is closed."))
        if hazard.status == HazardStatus.CLOSED:
            raise ValidationError(_("The hazard is already closed."))
        hazard.status = HazardStatus.CLOSED
        hazard.closed_on = _today()
        hazard.save()
        _event(hazard, EventKind.CLOSED, actor, note)
    return hazard


def hazard_note(*, actor: Any, hazard: Hazard, note: str) -> HazardEvent:
    with audited_write(actor):
        ensure_any(hazard, actor, (*HAZARD_ACTIONS, Action.COACH))
        if not note.strip():
            raise ValidationError({"note": _("Write a note.")})
        return _event(hazard, EventKind.NOTE, actor, note)


def notification_acknowledge(*, actor: Any, notification: BureauNotification) -> BureauNotification:
    """A member of the bureau acknowledges a major-hazard report."""
    from scorehub.core.scoping import scope_for

    with audited_write(actor):
        ensure_visible(notification, actor, Action.INSPECT)
        if notification.bureau_id not in scope_for(actor).organisation_ids and not scope_for(actor).reaches_everything(
            Action.INSPECT
        ):
            raise OutOfScope
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.read_by = actor
            notification.save(update_fields=["read_at", "read_by"])
    return notification


def notice_board_for(enterprise: Enterprise) -> NoticeBoard:
    """The enterprise's notice board (its public token is made the first time it is asked for).

    The QR poster of the enterprise links to ``notice_board_for(enterprise).get_absolute_url()``.
    """
    board, _created = NoticeBoard.objects.get_or_create(enterprise=enterprise)
    return board


def notice_board_renew_token(*, actor: Any, enterprise: Enterprise) -> NoticeBoard:
    """A new public link (the old one stops working), e.g. after a poster was misused."""
    import secrets

    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.CHANGE)
        board = notice_board_for(enterprise)
        board.token = secrets.token_urlsafe()
        board.save(update_fields=["token"])
    return board


# --------------------------------------------------------------------------------------------------
# Risk points
# --------------------------------------------------------------------------------------------------


def risk_point_save(*, actor: Any, enterprise: Enterprise, point: RiskPoint) -> RiskPoint:
    with audited_write(actor):
        ensure_any(enterprise, actor, (Action.OPERATE,))
        point.enterprise = enterprise
        point.full_clean()
        point.save()
        ensure_visible(point, actor, Action.OPERATE)
    return point


def risk_point_archive(*, actor: Any, point: RiskPoint) -> RiskPoint:
    with audited_write(actor):
        ensure_visible(point, actor, Action.OPERATE)
        point.archived_at = timezone.now()
        point.save(update_fields=["archived_at", "updated_at"])
    return point


# --------------------------------------------------------------------------------------------------
# Accidents
# --------------------------------------------------------------------------------------------------


def accident_save(
    *, actor: Any, enterprise: Enterprise, accident: Accident, people: Sequence[dict[str, Any]] | None = None
) -> Accident:
    """Record or correct an accident; ``people`` (if given) replaces the people affected."""
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.OPERATE)
        accident.enterprise = enterprise
        if accident.pk is None:
            accident.recorded_by = actor
        accident.full_clean()
        accident.save()
        if people is not None:
            accident.people.all().delete()
            for data in people:
                person = AffectedPerson(accident=accident, **data)
                person.full_clean()
                person.save()
        ensure_visible(accident, actor, Action.OPERATE)
    return accident


def accident_open_hazard(*, actor: Any, accident: Accident, place: str, description: str, hazard_class: str) -> Hazard:
    """A corrective action of an accident that is a hazard to rectify."""
    ensure_visible(accident, actor, Action.OPERATE)
    return hazard_report(
        actor=actor,
        enterprise=accident.enterprise,
        place=place,
        description=description,
        hazard_class=hazard_class,
        source_kind=HazardSource.ACCIDENT,
        source=accident,
    )


def hours_worked_save(*, actor: Any, enterprise: Enterprise, year: int, hours: int) -> HoursWorked:
    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.OPERATE)
        record = HoursWorked.objects.filter(enterprise=enterprise, year=year).first() or HoursWorked(
            enterprise=enterprise, year=year
        )
        record.hours = hours
        record.full_clean()
        record.save()
    return record


# --------------------------------------------------------------------------------------------------
# Inspection planning
# --------------------------------------------------------------------------------------------------


def planned_inspection_create(
    *,
    actor: Any,
    enterprise: Enterprise,
    planned_for: dt.date,
    kind: str = CheckKind.GOVERNMENT,
    inspector: Any = None,
    reason: str = "",
) -> PlannedInspection:
    from .selectors import risk_grades

    with audited_write(actor):
        ensure_visible(enterprise, actor, Action.MANAGE)
        if PlannedInspection.objects.filter(enterprise=enterprise, status=PlannedStatus.PLANNED).exists():
            raise ValidationError(_("An inspection of this enterprise is already planned."))
        if planned_for < _today():
            raise ValidationError({"planned_for": _("An inspection cannot be planned in the past.")})
        grade = risk_grades(Enterprise.objects.filter(pk=enterprise.pk))[0]
        planned = PlannedInspection(
            enterprise=enterprise,
            planned_for=planned_for,
            kind=kind,
            inspector=inspector,
            reason=reason,
            grade=grade.grade,
            score=grade.score,
            created_by=actor,
        )
        planned.full_clean()
        planned.save()
        ensure_visible(planned, actor, Action.MANAGE)
    return planned


def planned_inspection_cancel(*, actor: Any, planned: PlannedInspection) -> PlannedInspection:
    with audited_write(actor):
        ensure_visible(planned, actor, Action.MANAGE)
        if planned.status != PlannedStatus.PLANNED:
            raise ValidationError(_("Only a planned inspection can be cancelled."))
        planned.status = PlannedStatus.CANCELLED
        planned.save(update_fields=["status"])
    return planned
