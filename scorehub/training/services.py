"""Writes for SCORE training.  Each is atomic, attributed in the change log, refuses bad input with a clear
translated message (nothing half-saved) and re-checks the actor's scope on the result before committing.

Who may do what:

* programmes, targets, phases and enrolment: ``manage`` (officials, the programme office);
* cohorts, sessions, attendance, visits, completion: ``coach`` on the cohort (its provider's trainers)
  or ``manage`` (officials of the area);
* joining a visit and recording findings on it: ``inspect`` (safety inspectors) as well;
* the improvement team and plan: ``operate`` (the enterprise) or ``coach`` (its trainers);
* trainer certification and provider accreditation: an expert trainer recommends, the programme office
  approves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from scorehub.accounts.models import Membership, Organisation, OrganisationKind, ProviderAssignment
from scorehub.core.images import clean_image
from scorehub.core.scoping import (
    Action,
    OutOfScope,
    Role,
    ensure_visible,
    forget_scope,
    is_programme_admin,
    is_visible,
    scope_for,
)
from scorehub.core.services import audited_write
from scorehub.enterprises.models import Enterprise

from .models import (
    MAY_LEAD,
    AccreditationStatus,
    Attendance,
    Certificate,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Enrolment,
    EnrolmentStatus,
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
    VisitKind,
    VisitPhoto,
    VisitStatus,
    new_token,
    next_certification_status,
)
from .selectors import classroom_attended_on, first_session_end, load_progress

#: How long the satisfaction survey stays open after the last classroom day (or after reopening).
SURVEY_OPEN_DAYS = 3

#: Records an improvement-plan item may point to (app_label.model); missing ones are skipped, so apps
#: built later (suggestions, safety) plug in by existing.
PLAN_LINK_MODELS = (
    "suggestions.suggestion",
    "suggestions.improvementproject",
    "safety.hazard",
    "training.visitfinding",
    "training.visitaction",
)


def ensure_any(obj: models.Model, actor: Any, *actions: str) -> str:
    """The first of ``actions`` the actor holds on ``obj``; out of scope (404) when none."""
    for action in actions:
        if is_visible(obj, actor, action):
            return action
    raise OutOfScope


# ---------------------------------------------------------------------------------------------------------
# Programmes, targets, phases, enrolment


def programme_save(
    *,
    actor: Any,
    programme: Programme,
    providers: Iterable[Organisation] | None = None,
    modules: Iterable[Module] | None = None,
) -> Programme:
    with audited_write(actor):
        if programme.pk:
            ensure_visible(Programme.objects.get(pk=programme.pk), actor, Action.MANAGE)
        programme.full_clean()
        programme.save()
        if providers is not None:
            programme.providers.set(providers)
        if modules is not None:
            programme.modules.set(modules)
        ensure_visible(programme, actor, Action.MANAGE)
    return programme


def target_add(*, actor: Any, programme: Programme, target: ProgrammeTarget) -> ProgrammeTarget:
    with audited_write(actor):
        ensure_visible(programme, actor, Action.MANAGE)
        target.programme = programme
        target.full_clean()
        target.save()
    return target


def target_delete(*, actor: Any, target: ProgrammeTarget) -> None:
    with audited_write(actor):
        ensure_visible(target.programme, actor, Action.MANAGE)
        target.delete()


def phase_add(*, actor: Any, programme: Programme, phase: ProgrammePhase) -> ProgrammePhase:
    with audited_write(actor):
        ensure_visible(programme, actor, Action.MANAGE)
        phase.programme = programme
        phase.full_clean()
        if phase.starts_on < programme.starts_on or phase.ends_on > programme.ends_on:
            raise ValidationError(_("A phase lies within the programme's dates."))
        phase.save()
    return phase


def phase_delete(*, actor: Any, phase: ProgrammePhase) -> None:
    with audited_write(actor):
        ensure_visible(phase.programme, actor, Action.MANAGE)
        phase.delete()


def enrolled_enterprise_ids(programme: Programme, enterprise_ids: Iterable[int]) -> set[int]:
    """Which of these enterprises are enrolled in the programme already (whatever their status)."""
    return set(
        Enrolment.objects.filter(programme=programme, enterprise_id__in=list(enterprise_ids)).values_list(
            "enterprise_id", flat=True
        )
    )


def enrolment_date_refusal(programme: Programme, enrolled_on: dt.date) -> str | None:
    """Why an enrolment in the programme cannot be dated ``enrolled_on`` (None when it can)."""
    if enrolled_on < programme.starts_on or enrolled_on > programme.ends_on:
        return _("The enrolment date must lie within the programme's dates.")
    return None


def enrolment_refusal(programme: Programme, enterprise: Enterprise, *, enrolled: set[int]) -> str | None:
    """Why an enterprise in the actor's reach cannot be enrolled in the programme (None when it can).

    ``enrolled`` holds the ids of the enterprises enrolled already (``enrolled_enterprise_ids``).
    """
    if enterprise.pk in enrolled:
        return _("%(enterprise)s is already enrolled.") % {"enterprise": enterprise}
    if not programme.covers(enterprise):
        return _("%(enterprise)s lies outside the programme's region %(region)s.") % {
            "enterprise": enterprise,
            "region": programme.region,
        }
    return None


def enrolment_create_many(
    *, actor: Any, programme: Programme, enterprises: Sequence[Enterprise], enrolled_on: dt.date
) -> list[Enrolment]:
    """Enrol enterprises in a programme: all of them or none (each must be in the actor's reach and area)."""
    if not enterprises:
        raise ValidationError(_("Choose at least one enterprise to enrol."))
    with audited_write(actor):
        ensure_visible(programme, actor, Action.MANAGE)
        reachable = set(
            Enterprise.objects.visible_to(actor, Action.MANAGE)
            .filter(pk__in=[e.pk for e in enterprises])
            .values_list("pk", flat=True)
        )
        already = enrolled_enterprise_ids(programme, [e.pk for e in enterprises])
        errors = []
        date_refusal = enrolment_date_refusal(programme, enrolled_on)
        if date_refusal:
            errors.append(date_refusal)
        created = []
        for enterprise in enterprises:
            if enterprise.pk not in reachable:
                raise OutOfScope
            refusal = enrolment_refusal(programme, enterprise, enrolled=already)
            if refusal:
                errors.append(refusal)
                continue
            enrolment = Enrolment(programme=programme, enterprise=enterprise, enrolled_on=enrolled_on)
            created.append(enrolment)
        if errors:
            raise ValidationError(errors)
        for enrolment in created:
            enrolment.full_clean()
            enrolment.save()
    return created


def enrolment_set_status(
    *, actor: Any, enrolment: Enrolment, status: str, reason: str = "", on: dt.date | None = None
) -> Enrolment:
    with audited_write(actor):
        ensure_visible(enrolment, actor, Action.MANAGE)
        enrolment.status = status
        enrolment.dropped_reason = reason.strip() if status == EnrolmentStatus.DROPPED else ""
        enrolment.status_changed_on = on or timezone.localdate()
        enrolment.full_clean()
        enrolment.save()
    return enrolment


# ---------------------------------------------------------------------------------------------------------
# Trainers in cohorts


def _certifications(user_ids: Iterable[int], module: Module) -> dict[int, str]:
    """The best certification status of each user for the module's code (any version)."""
    order = {"candidate": 0, "supervised": 1, "certified": 2, "expert": 3}
    best: dict[int, str] = {}
    rows = TrainerCertification.objects.filter(
        trainer__user_id__in=list(user_ids), module__code=module.code
    ).values_list("trainer__user_id", "status")
    for user_id, status in rows:
        if user_id not in best or order[status] > order[best[user_id]]:
            best[user_id] = status
    return best


def validate_cohort_trainers(cohort: Cohort, co_trainers: Iterable[Any]) -> None:
    """A lead trainer is certified in the module; a candidate leads only under a certified supervisor.
    Every trainer of the cohort works for its provider."""
    co_trainers = list(co_trainers)
    people = [cohort.lead_trainer, *co_trainers] + ([cohort.supervisor] if cohort.supervisor else [])
    profiles = dict(
        TrainerProfile.objects.filter(user__in=[p.pk for p in people]).values_list("user_id", "provider_id")
    )
    errors: dict[str, list[str]] = {}
    for person in people:
        if profiles.get(person.pk) != cohort.provider_id:
            errors.setdefault("lead_trainer" if person == cohort.lead_trainer else "trainers", []).append(
                _("%(person)s is not a trainer of %(provider)s.") % {"person": person, "provider": cohort.provider}
            )
    status = _certifications([p.pk for p in people], cohort.module)
    lead_status = status.get(cohort.lead_trainer.pk)
    if lead_status is None:
        errors.setdefault("lead_trainer", []).append(
            _("%(person)s holds no certification for module %(module)s and cannot lead this cohort.")
            % {"person": cohort.lead_trainer, "module": cohort.module.code}
        )
    elif lead_status not in MAY_LEAD:
        supervisor_status = status.get(cohort.supervisor.pk) if cohort.supervisor else None
        if supervisor_status not in MAY_LEAD:
            errors.setdefault("supervisor", []).append(
                _(
                    "%(person)s is not yet certified for module %(module)s: a certified trainer must supervise "
                    "the cohort."
                )
                % {"person": cohort.lead_trainer, "module": cohort.module.code}
            )
    if cohort.supervisor and cohort.supervisor == cohort.lead_trainer:
        errors.setdefault("supervisor", []).append(_("The lead trainer cannot supervise themselves."))
    if errors:
        raise ValidationError(errors)


def cohort_save(*, actor: Any, cohort: Cohort, co_trainers: Iterable[Any]) -> Cohort:
    co_trainers = list(co_trainers)
    with audited_write(actor):
        if cohort.pk:
            ensure_any(Cohort.objects.get(pk=cohort.pk), actor, Action.COACH, Action.MANAGE)
        elif not is_visible(cohort.programme, actor, Action.VIEW):
            raise OutOfScope
        cohort.full_clean()
        offered = list(cohort.programme.modules.all())
        if offered and cohort.module not in offered:
            raise ValidationError({"module": _("The programme does not offer this module.")})
        if not cohort.pk and not cohort.module.is_active:
            raise ValidationError({"module": _("This module version is no longer offered.")})
        if cohort.provider.kind != OrganisationKind.PROVIDER:
            raise ValidationError({"provider": _("Choose a training provider.")})
        validate_cohort_trainers(cohort, co_trainers)
        cohort.save()
        cohort.trainers.set(co_trainers)
        ensure_any(cohort, actor, Action.COACH, Action.MANAGE)
    return cohort


def cohort_enrol(
    *, actor: Any, cohort: Cohort, enterprises: Sequence[Enterprise], joined_on: dt.date
) -> list[CohortEnterprise]:
    """Put enrolled enterprises into a cohort, all or none.  The cohort's provider is assigned each
    enterprise (that is how its trainers reach it)."""
    if not enterprises:
        raise ValidationError(_("Choose at least one enterprise."))
    with audited_write(actor):
        ensure_any(cohort, actor, Action.COACH, Action.MANAGE)
        ids = [e.pk for e in enterprises]
        reachable = set(
            Enterprise.objects.visible_to(actor, Action.COACH).filter(pk__in=ids).values_list("pk", flat=True)
        ) | set(Enterprise.objects.visible_to(actor, Action.MANAGE).filter(pk__in=ids).values_list("pk", flat=True))
        enrolments = {
            e.enterprise_id: e
            for e in Enrolment.objects.filter(programme=cohort.programme_id, enterprise_id__in=ids).exclude(
                status=EnrolmentStatus.DROPPED
            )
        }
        present = set(cohort.members.filter(enterprise_id__in=ids).values_list("enterprise_id", flat=True))
        prerequisite_codes = set(cohort.module.prerequisites.values_list("code", flat=True))
        taken: dict[int, set[str]] = {}
        if prerequisite_codes:
            for enterprise_id, code in CohortEnterprise.objects.filter(
                enterprise_id__in=ids, cohort__module__code__in=prerequisite_codes
            ).values_list("enterprise_id", "cohort__module__code"):
                taken.setdefault(enterprise_id, set()).add(code)
        errors = []
        rows = []
        for enterprise in enterprises:
            if enterprise.pk not in reachable:
                raise OutOfScope
            enrolment = enrolments.get(enterprise.pk)
            if enterprise.pk in present:
                errors.append(_("%(enterprise)s is already in this cohort.") % {"enterprise": enterprise})
            elif enrolment is None:
                errors.append(
                    _("%(enterprise)s is not enrolled in the programme %(programme)s.")
                    % {"enterprise": enterprise, "programme": cohort.programme}
                )
            elif joined_on < enrolment.enrolled_on:
                errors.append(
                    _("%(enterprise)s was enrolled only on %(date)s; it cannot join a cohort before that.")
                    % {"enterprise": enterprise, "date": f"{enrolment.enrolled_on:%Y-%m-%d}"}
                )
            elif prerequisite_codes - taken.get(enterprise.pk, set()):
                errors.append(
                    _("%(enterprise)s has to take %(modules)s before module %(module)s.")
                    % {
                        "enterprise": enterprise,
                        "modules": ", ".join(sorted(prerequisite_codes - taken.get(enterprise.pk, set()))),
                        "module": cohort.module.code,
                    }
                )
            else:
                rows.append(
                    CohortEnterprise(cohort=cohort, enterprise=enterprise, enrolment=enrolment, joined_on=joined_on)
                )
        if errors:
            raise ValidationError(errors)
        for row in rows:
            row.full_clean()
            row.save()
            ProviderAssignment.objects.get_or_create(provider_id=cohort.provider_id, enterprise_id=row.enterprise_id)
            if row.enrolment.status == EnrolmentStatus.ENROLLED:
                row.enrolment.status = EnrolmentStatus.ACTIVE
                row.enrolment.status_changed_on = joined_on
                row.enrolment.save(update_fields=["status", "status_changed_on"])
    forget_scope(actor)
    return rows


# ---------------------------------------------------------------------------------------------------------
# Classroom sessions, participants, attendance, survey


def _overlapping_sessions(session: ClassroomSession, trainer_ids: Iterable[int]) -> list[ClassroomSession]:
    return list(
        ClassroomSession.objects.filter(
            trainers__in=list(trainer_ids), starts_on__lte=session.ends_on, ends_on__gte=session.starts_on
        )
        .exclude(pk=session.pk)
        .select_related("cohort")
        .distinct()
    )


def _survey_closes(ends_on: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(ends_on + dt.timedelta(days=SURVEY_OPEN_DAYS), dt.time(23, 59)))


def session_save(*, actor: Any, session: ClassroomSession, trainers: Sequence[Any]) -> ClassroomSession:
    trainers = list(trainers)
    with audited_write(actor):
        ensure_any(session.cohort, actor, Action.COACH, Action.MANAGE)
        session.full_clean()
        if not trainers:
            raise ValidationError({"trainers": _("Name at least one trainer.")})
        allowed = session.cohort.all_trainer_ids()
        outsiders = [t for t in trainers if t.pk not in allowed]
        if outsiders:
            raise ValidationError(
                {"trainers": _("%(people)s do not train this cohort.") % {"people": ", ".join(map(str, outsiders))}}
            )
        clashes = _overlapping_sessions(session, [t.pk for t in trainers])
        if clashes:
            clash = clashes[0]
            busy = sorted({str(t) for t in trainers if clash.trainers.filter(pk=t.pk).exists()})
            raise ValidationError(
                _(
                    "%(trainers)s already teach “%(session)s” (%(cohort)s) from %(start)s to %(end)s; "
                    "sessions of the same trainer cannot overlap."
                )
                % {
                    "trainers": ", ".join(busy),
                    "session": clash.title,
                    "cohort": clash.cohort,
                    "start": f"{clash.starts_on:%Y-%m-%d}",
                    "end": f"{clash.ends_on:%Y-%m-%d}",
                }
            )
        if session.survey_expires_at is None:
            session.survey_expires_at = _survey_closes(session.ends_on)
        session.save()
        session.trainers.set(trainers)
        ensure_any(session, actor, Action.COACH, Action.MANAGE)
    return session


def participant_add(*, actor: Any, session: ClassroomSession, participant: Participant) -> Participant:
    with audited_write(actor):
        ensure_any(session, actor, Action.COACH, Action.MANAGE)
        participant.session = session
        if not session.cohort.members.filter(enterprise_id=participant.enterprise_id).exists():
            raise ValidationError({"enterprise": _("This enterprise is not in the session's cohort.")})
        participant.full_clean()
        participant.save()
        ensure_any(participant, actor, Action.COACH, Action.MANAGE)
    return participant


def participant_delete(*, actor: Any, participant: Participant) -> None:
    with audited_write(actor):
        ensure_any(participant.session, actor, Action.COACH, Action.MANAGE)
        participant.delete()


def attendance_record(*, actor: Any, session: ClassroomSession, present: Iterable[tuple[int, dt.date]]) -> int:
    """Replace the session's attendance with ``present`` (participant id, day) pairs; returns their number."""
    with audited_write(actor):
        ensure_any(session, actor, Action.COACH, Action.MANAGE)
        days = set(session.days)
        participant_ids = set(session.participants.values_list("pk", flat=True))
        pairs = set(present)
        for participant_id, day in pairs:
            if participant_id not in participant_ids or day not in days:
                raise ValidationError(_("Attendance can only be recorded for this session's participants and days."))
        existing = set(Attendance.objects.filter(participant__session=session).values_list("participant_id", "day"))
        removed = existing - pairs
        for participant_id, day in removed:
            Attendance.objects.filter(participant_id=participant_id, day=day).delete()
        Attendance.objects.bulk_create([Attendance(participant_id=p, day=d) for p, d in sorted(pairs - existing)])
    return len(pairs)


def survey_open(*, actor: Any, session: ClassroomSession, days: int = SURVEY_OPEN_DAYS) -> ClassroomSession:
    """Open (or reopen) the survey with a fresh token: the old QR code stops working."""
    with audited_write(actor):
        ensure_any(session, actor, Action.COACH, Action.MANAGE)
        session.survey_token = new_token()
        session.survey_expires_at = timezone.now() + dt.timedelta(days=days)
        session.save(update_fields=["survey_token", "survey_expires_at"])
    return session


def survey_close(*, actor: Any, session: ClassroomSession) -> ClassroomSession:
    with audited_write(actor):
        ensure_any(session, actor, Action.COACH, Action.MANAGE)
        session.survey_expires_at = timezone.now()
        session.save(update_fields=["survey_expires_at"])
    return session


def survey_submit(*, session: ClassroomSession, response: SurveyResponse) -> SurveyResponse:
    """An anonymous participant's answer (no account; the token in the URL is the permission)."""
    if not session.survey_is_open:
        raise ValidationError(_("This survey is closed."))
    with transaction.atomic():
        response.session = session
        response.full_clean()
        response.save()
    return response


# ---------------------------------------------------------------------------------------------------------
# In-factory visits


def _check_visit_dates(visit: Visit) -> None:
    participation = visit.participation
    enrolled_on = participation.enrolment.enrolled_on
    day = visit.done_on or visit.planned_on
    errors: dict[str, list[str]] = {}
    field = "done_on" if visit.done_on else "planned_on"
    if day < enrolled_on:
        errors.setdefault(field, []).append(
            _("The enterprise was enrolled on %(date)s; a visit cannot come before its enrolment.")
            % {"date": f"{enrolled_on:%Y-%m-%d}"}
        )
    if visit.kind in (VisitKind.FOLLOW_UP, VisitKind.YEAR_AFTER):
        if visit.done_on:
            attended = classroom_attended_on(participation)
            if attended is None or attended > visit.done_on:
                errors.setdefault(field, []).append(
                    _(
                        "A follow-up visit comes after the classroom training, and nobody from the enterprise had "
                        "attended a classroom session of this cohort by %(date)s."
                    )
                    % {"date": f"{visit.done_on:%Y-%m-%d}"}
                )
        else:
            classroom_end = first_session_end(participation.cohort_id)
            if classroom_end is None:
                errors.setdefault(field, []).append(
                    _("A follow-up visit comes after the classroom training: schedule a classroom session first.")
                )
            elif visit.planned_on <= classroom_end:
                errors.setdefault(field, []).append(
                    _("A follow-up visit comes after the classroom training, which ends on %(date)s.")
                    % {"date": f"{classroom_end:%Y-%m-%d}"}
                )
    if visit.done_on and visit.done_on > timezone.localdate():
        errors.setdefault("done_on", []).append(_("A visit cannot be recorded as done in the future."))
    if visit.next_visit_on and visit.next_visit_on <= day:
        errors.setdefault("next_visit_on", []).append(_("The next visit comes after this one."))
    if errors:
        raise ValidationError(errors)


def _coach_participation(participation: CohortEnterprise, actor: Any) -> None:
    ensure_any(participation.cohort, actor, Action.COACH, Action.MANAGE)
    ensure_any(participation, actor, Action.COACH, Action.MANAGE)


def visit_plan(*, actor: Any, participation: CohortEnterprise, visit: Visit) -> Visit:
    with audited_write(actor):
        _coach_participation(participation, actor)
        visit.participation = participation
        visit.enterprise_id = participation.enterprise_id
        visit.status = VisitStatus.PLANNED
        visit.done_on = None
        visit.full_clean()
        _check_visit_dates(visit)
        visit.save()
    return visit


def inspectors_for(enterprise: Enterprise) -> models.QuerySet[Any]:
    """Users who inspect for a bureau whose jurisdiction covers the enterprise."""
    from scorehub.accounts.models import User

    code = enterprise.region_id
    prefixes = {code[:2], code[:4], code[:6]}
    memberships = Membership.objects.filter(
        role=Role.INSPECTOR, organisation__is_active=True, organisation__kind=OrganisationKind.BUREAU
    ).filter(Q(organisation__region__isnull=True) | Q(organisation__region__prefix__in=prefixes))
    return User.objects.filter(pk__in=memberships.values("user_id"), is_active=True).order_by("display_name")


def visit_record(
    *,
    actor: Any,
    visit: Visit,
    consultants: Sequence[Any],
    plan_next: bool = True,
) -> Visit:
    """Record what happened at a visit (``visit`` carries done_on, inspector, observations, next visit)."""
    with audited_write(actor):
        _coach_participation(visit.participation, actor)
        if not visit.done_on:
            raise ValidationError({"done_on": _("Give the date of the visit.")})
        if not consultants:
            raise ValidationError({"consultants": _("Name the consultants who came.")})
        if visit.inspector_id and not inspectors_for(visit.enterprise).filter(pk=visit.inspector_id).exists():
            raise ValidationError({"inspector": _("This person is not a safety inspector for the enterprise's area.")})
        visit.status = VisitStatus.DONE
        visit.full_clean()
        _check_visit_dates(visit)
        visit.save()
        visit.consultants.set(consultants)
        if plan_next and visit.next_visit_on:
            later = Visit.objects.filter(
                participation=visit.participation, status=VisitStatus.PLANNED, planned_on__gte=visit.next_visit_on
            ).exists()
            if not later:
                upcoming = Visit(
                    participation=visit.participation,
                    enterprise_id=visit.enterprise_id,
                    kind=VisitKind.FOLLOW_UP,
                    planned_on=visit.next_visit_on,
                )
                upcoming.full_clean()
                _check_visit_dates(upcoming)
                upcoming.save()
        ensure_any(visit, actor, Action.COACH, Action.MANAGE)
    return visit


def visit_cancel(*, actor: Any, visit: Visit) -> Visit:
    with audited_write(actor):
        _coach_participation(visit.participation, actor)
        if visit.status == VisitStatus.DONE:
            raise ValidationError(_("A visit that took place cannot be cancelled."))
        visit.status = VisitStatus.CANCELLED
        visit.save(update_fields=["status", "updated_at"])
    return visit


def visit_join(*, actor: Any, visit: Visit) -> Visit:
    """A safety inspector joins a visit (which makes it a joint visit)."""
    with audited_write(actor):
        ensure_visible(visit, actor, Action.INSPECT)
        if not inspectors_for(visit.enterprise).filter(pk=actor.pk).exists():
            raise OutOfScope
        if visit.inspector_id and visit.inspector_id != actor.pk:
            raise ValidationError(_("Another inspector has already joined this visit."))
        if visit.status == VisitStatus.CANCELLED:
            raise ValidationError(_("This visit was cancelled."))
        visit.inspector = actor
        visit.save(update_fields=["inspector", "updated_at"])
    return visit


def visit_sign_off(*, actor: Any, visit: Visit, signed_by: str, signed_on: dt.date) -> Visit:
    """The enterprise signs off the visit report (recorded by the enterprise or by its trainer)."""
    with audited_write(actor):
        ensure_any(visit, actor, Action.OPERATE, Action.COACH)
        if visit.status != VisitStatus.DONE:
            raise ValidationError(_("Only a visit that took place can be signed off."))
        if not signed_by.strip():
            raise ValidationError({"signed_by": _("Give the name of the person who signs.")})
        if visit.done_on and signed_on < visit.done_on:
            raise ValidationError({"signed_on": _("The report is signed on or after the day of the visit.")})
        visit.signed_by = signed_by.strip()
        visit.signed_on = signed_on
        visit.save(update_fields=["signed_by", "signed_on", "updated_at"])
    return visit


def finding_add(*, actor: Any, visit: Visit, finding: VisitFinding) -> VisitFinding:
    with audited_write(actor):
        ensure_any(visit, actor, Action.COACH, Action.INSPECT)
        finding.visit = visit
        finding.full_clean()
        finding.save()
    return finding


def finding_delete(*, actor: Any, finding: VisitFinding) -> None:
    with audited_write(actor):
        ensure_any(finding.visit, actor, Action.COACH, Action.INSPECT)
        finding.delete()


def action_add(*, actor: Any, visit: Visit, action: VisitAction) -> VisitAction:
    with audited_write(actor):
        ensure_any(visit, actor, Action.COACH, Action.INSPECT)
        action.visit = visit
        action.full_clean()
        if action.due_on < visit.date:
            raise ValidationError({"due_on": _("An agreed action is due after the visit.")})
        action.save()
    return action


def action_delete(*, actor: Any, action: VisitAction) -> None:
    with audited_write(actor):
        ensure_any(action.visit, actor, Action.COACH, Action.INSPECT)
        action.delete()


def action_mark_done(*, actor: Any, action: VisitAction, on: dt.date | None = None) -> VisitAction:
    with audited_write(actor):
        ensure_any(action, actor, Action.OPERATE, Action.COACH)
        action.done_on = on or timezone.localdate()
        action.save(update_fields=["done_on"])
    return action


def photo_add(*, actor: Any, visit: Visit, upload: Any, caption: str = "") -> VisitPhoto:
    cleaned = clean_image(upload)  # decoded and re-encoded before the transaction: a bad photo saves nothing
    with audited_write(actor):
        ensure_any(visit, actor, Action.COACH, Action.INSPECT)
        photo = VisitPhoto(visit=visit, caption=caption)
        photo.image.save("photo.jpg", cleaned.content, save=False)
        photo.full_clean()
        photo.save()
    return photo


def photo_delete(*, actor: Any, photo: VisitPhoto) -> None:
    with audited_write(actor):
        ensure_any(photo.visit, actor, Action.COACH, Action.INSPECT)
        storage, name = photo.image.storage, photo.image.name
        photo.delete()
    storage.delete(name)


def participation_plan_visits(*, actor: Any, participation: CohortEnterprise) -> list[Visit]:
    """Plan the visits the programme expects that are not planned yet: a baseline visit soon after joining,
    the follow-up visits spread over the follow-up window after the classroom, and the year-after visit."""
    with audited_write(actor):
        _coach_participation(participation, actor)
        programme = participation.cohort.programme
        existing = list(participation.visits.exclude(status=VisitStatus.CANCELLED))
        planned: list[Visit] = []
        today = timezone.localdate()
        start = max(participation.joined_on, participation.enrolment.enrolled_on)
        if programme.requires_baseline and not any(v.kind == VisitKind.BASELINE for v in existing):
            planned.append(Visit(kind=VisitKind.BASELINE, planned_on=max(start + dt.timedelta(days=7), today)))
        classroom_end = first_session_end(participation.cohort_id)
        followups = sum(1 for v in existing if v.kind == VisitKind.FOLLOW_UP)
        missing = programme.followup_visits - followups
        if classroom_end is not None and missing > 0:
            step = max(1, programme.followup_window_days // programme.followup_visits)
            for i in range(followups, programme.followup_visits):
                planned.append(
                    Visit(kind=VisitKind.FOLLOW_UP, planned_on=classroom_end + dt.timedelta(days=step * (i + 1)))
                )
        year_after = not any(v.kind == VisitKind.YEAR_AFTER for v in existing)
        if classroom_end is not None and programme.plans_year_after_visit and year_after:
            planned.append(Visit(kind=VisitKind.YEAR_AFTER, planned_on=classroom_end + dt.timedelta(days=365)))
        for visit in planned:
            visit.participation = participation
            visit.enterprise_id = participation.enterprise_id
            visit.full_clean()
            _check_visit_dates(visit)
            visit.save()
    return planned


def cohort_plan_visits(*, actor: Any, cohort: Cohort) -> int:
    total = 0
    with audited_write(actor):
        ensure_any(cohort, actor, Action.COACH, Action.MANAGE)
        for participation in cohort.members.select_related("cohort__programme", "enrolment"):
            total += len(participation_plan_visits(actor=actor, participation=participation))
    return total


# ---------------------------------------------------------------------------------------------------------
# Completion and certificates


def participation_complete(
    *, actor: Any, participation: CohortEnterprise, on: dt.date | None = None
) -> CohortEnterprise:
    with audited_write(actor):
        _coach_participation(participation, actor)
        if participation.is_completed:
            raise ValidationError(_("This module is already completed."))
        progress = load_progress(participation)
        if not progress.ready:
            raise ValidationError([_("The module cannot be completed yet:"), *progress.reasons])
        participation.completed_on = on or timezone.localdate()
        participation.completed_by = actor
        participation.full_clean()
        participation.save(update_fields=["completed_on", "completed_by"])
    return participation


def certificate_issue(*, actor: Any, participation: CohortEnterprise, on: dt.date | None = None) -> Certificate:
    with audited_write(actor):
        _coach_participation(participation, actor)
        if not participation.is_completed:
            reasons = load_progress(participation).reasons
            raise ValidationError(
                [_("A certificate is issued only for a completed module, and this one is not complete."), *reasons]
            )
        if Certificate.objects.filter(participation=participation).exists():
            raise ValidationError(_("A certificate has already been issued for this module."))
        certificate = Certificate(
            participation=participation,
            enterprise_id=participation.enterprise_id,
            module_id=participation.cohort.module_id,
            programme_id=participation.cohort.programme_id,
            issued_on=on or timezone.localdate(),
            issued_by=actor,
        )
        certificate.full_clean()
        try:
            certificate.save()
        except IntegrityError as exc:  # a rare clash of random codes: say so rather than fail
            raise ValidationError(_("The certificate could not be issued; please try again.")) from exc
        ensure_visible(certificate, actor, Action.VIEW)
    return certificate


def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    with audited_write(actor):
        ensure_visible(certificate, actor, Action.MANAGE)
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the certificate is revoked.")})
        if certificate.revoked_on:
            raise ValidationError(_("This certificate is already revoked."))
        certificate.revoked_on = timezone.localdate()
        certificate.revoked_reason = reason.strip()
        certificate.save(update_fields=["revoked_on", "revoked_reason"])
    return certificate


# ---------------------------------------------------------------------------------------------------------
# Improvement team and plan


def team_create(*, actor: Any, enterprise: Enterprise, team: ImprovementTeam) -> ImprovementTeam:
    with audited_write(actor):
        ensure_any(enterprise, actor, Action.OPERATE, Action.COACH)
        if ImprovementTeam.objects.filter(enterprise=enterprise).exists():
            raise ValidationError(_("This enterprise already has an improvement team."))
        team.enterprise = enterprise
        team.full_clean()
        team.save()
    return team


def member_save(*, actor: Any, team: ImprovementTeam, member: TeamMember) -> TeamMember:
    with audited_write(actor):
        ensure_any(team, actor, Action.OPERATE, Action.COACH)
        member.team = team
        member.full_clean()
        member.save()
    return member


def meeting_save(
    *, actor: Any, team: ImprovementTeam, meeting: TeamMeeting, attendees: Iterable[TeamMember]
) -> TeamMeeting:
    attendees = list(attendees)
    with audited_write(actor):
        ensure_any(team, actor, Action.OPERATE, Action.COACH)
        meeting.team = team
        meeting.full_clean()
        if meeting.held_on > timezone.localdate():
            raise ValidationError({"held_on": _("Record a meeting after it took place.")})
        if any(a.team_id != team.pk for a in attendees):
            raise ValidationError({"attendees": _("Attendees are members of this team.")})
        meeting.save()
        meeting.attendees.set(attendees)
    return meeting


def plan_link_types() -> list[ContentType]:
    """Content types an improvement-plan item may link to (those whose app exists)."""
    from django.apps import apps

    types = []
    for label in PLAN_LINK_MODELS:
        app_label, model_name = label.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        types.append(ContentType.objects.get_for_model(model))
    return types


def _enterprise_of(obj: models.Model) -> int | None:
    """The enterprise a linkable record belongs to (``enterprise_id``, or through a visit)."""
    if hasattr(obj, "enterprise_id"):
        return obj.enterprise_id
    visit = getattr(obj, "visit", None)
    return getattr(visit, "enterprise_id", None)


def plan_item_save(
    *,
    actor: Any,
    enterprise: Enterprise,
    item: PlanItem,
    link_type: ContentType | None = None,
    link_id: int | None = None,
) -> PlanItem:
    with audited_write(actor):
        ensure_any(enterprise, actor, Action.OPERATE, Action.COACH)
        if item.pk and item.enterprise_id != enterprise.pk:
            raise OutOfScope
        item.enterprise = enterprise
        if link_type is None and link_id is None:
            item.link_type, item.link_id = None, None
        else:
            if link_type is None or link_id is None:
                raise ValidationError({"link_id": _("Choose both the kind of record and the record.")})
            if link_type.pk not in {t.pk for t in plan_link_types()}:
                raise ValidationError({"link_type": _("An improvement-plan item cannot point to this kind of record.")})
            model = link_type.model_class()
            target = None
            if model is not None:
                manager: Any = model._default_manager
                queryset = manager.all()
                if hasattr(queryset, "visible_to"):
                    queryset = queryset.visible_to(actor, Action.VIEW)
                target = queryset.filter(pk=link_id).first()
            if target is None or _enterprise_of(target) != enterprise.pk:
                raise ValidationError({"link_id": _("No such record of this enterprise.")})
            item.link_type, item.link_id = link_type, link_id
        item.full_clean()
        item.save()
    return item


# ---------------------------------------------------------------------------------------------------------
# Trainers and providers


def _require_programme_admin(actor: Any) -> None:
    if not is_programme_admin(actor):
        raise OutOfScope


def trainer_create(*, actor: Any, profile: TrainerProfile) -> TrainerProfile:
    with audited_write(actor):
        _require_programme_admin(actor)
        if not Membership.objects.filter(
            user_id=profile.user_id, organisation_id=profile.provider_id, role=Role.TRAINER
        ).exists():
            Membership.objects.create(user_id=profile.user_id, organisation_id=profile.provider_id, role=Role.TRAINER)
        profile.full_clean()
        profile.save()
    return profile


def certification_add(*, actor: Any, certification: TrainerCertification) -> TrainerCertification:
    """A trainer enters the path for a module (as a candidate, after training of trainers)."""
    with audited_write(actor):
        _require_programme_admin(actor)
        certification.full_clean()
        certification.save()
    return certification


def _is_expert(user: Any, module: Module) -> bool:
    return TrainerCertification.objects.filter(trainer__user=user, module__code=module.code, status="expert").exists()


def certification_recommend(*, actor: Any, certification: TrainerCertification) -> TrainerCertification:
    """An expert trainer of the module recommends the next step on the trainer's path."""
    with audited_write(actor):
        ensure_visible(certification, actor, Action.VIEW)
        if not _is_expert(actor, certification.module):
            raise OutOfScope
        if certification.trainer.user_id == actor.pk:
            raise ValidationError(_("Trainers cannot recommend themselves."))
        step = next_certification_status(certification.status)
        if step is None:
            raise ValidationError(_("This trainer is already an expert trainer in the module."))
        certification.recommended_status = step
        certification.recommended_by = actor
        certification.recommended_on = timezone.localdate()
        certification.save(update_fields=["recommended_status", "recommended_by", "recommended_on"])
    return certification


def certification_approve(*, actor: Any, certification: TrainerCertification) -> TrainerCertification:
    """The programme office approves a recommended step."""
    with audited_write(actor):
        _require_programme_admin(actor)
        if not certification.recommended_status:
            raise ValidationError(_("An expert trainer has to recommend this step first."))
        certification.status = certification.recommended_status
        certification.since = timezone.localdate()
        certification.approved_by = actor
        certification.approved_on = timezone.localdate()
        certification.recommended_status = ""
        certification.save()
    return certification


def accreditation_add(*, actor: Any, accreditation: ProviderAccreditation) -> ProviderAccreditation:
    with audited_write(actor):
        _require_programme_admin(actor)
        accreditation.full_clean()
        accreditation.save()
    return accreditation


def accreditation_recommend(*, actor: Any, accreditation: ProviderAccreditation) -> ProviderAccreditation:
    with audited_write(actor):
        ensure_visible(accreditation, actor, Action.VIEW)
        if not _is_expert(actor, accreditation.module):
            raise OutOfScope
        if accreditation.status == AccreditationStatus.ACCREDITED:
            raise ValidationError(_("This provider is already accredited for the module."))
        accreditation.recommended_by = actor
        accreditation.recommended_on = timezone.localdate()
        accreditation.save(update_fields=["recommended_by", "recommended_on"])
    return accreditation


def accreditation_approve(*, actor: Any, accreditation: ProviderAccreditation) -> ProviderAccreditation:
    with audited_write(actor):
        _require_programme_admin(actor)
        if accreditation.status == AccreditationStatus.ACCREDITED:
            raise ValidationError(_("This provider is already accredited for the module."))
        if accreditation.recommended_by_id is None:
            raise ValidationError(_("An expert trainer has to recommend the accreditation first."))
        accreditation.status = AccreditationStatus.ACCREDITED
        accreditation.since = timezone.localdate()
        accreditation.approved_by = actor
        accreditation.approved_on = timezone.localdate()
        accreditation.save()
    return accreditation


def accreditation_suspend(*, actor: Any, accreditation: ProviderAccreditation) -> ProviderAccreditation:
    with audited_write(actor):
        _require_programme_admin(actor)
        accreditation.status = AccreditationStatus.SUSPENDED
        accreditation.since = timezone.localdate()
        accreditation.recommended_by = None
        accreditation.recommended_on = None
        accreditation.save()
    return accreditation


def module_save(*, actor: Any, module: Module, prerequisites: Iterable[Module]) -> Module:
    prerequisites = list(prerequisites)
    with audited_write(actor):
        if not scope_for(actor).reaches_everything(Action.MANAGE):
            raise OutOfScope
        module.full_clean()
        if any(p.code == module.code for p in prerequisites):
            raise ValidationError({"prerequisites": _("A module cannot be its own prerequisite.")})
        module.save()
        module.prerequisites.set(prerequisites)
    return module


def module_new_version(*, actor: Any, module: Module) -> Module:
    """Copy a module into its next version (the old version stays for the cohorts that used it)."""
    with audited_write(actor):
        if not scope_for(actor).reaches_everything(Action.MANAGE):
            raise OutOfScope
        latest = Module.objects.filter(code=module.code).order_by("-version").first()
        assert latest is not None
        copy = Module(
            code=module.code,
            version=latest.version + 1,
            name_zh=module.name_zh,
            name_en=module.name_en,
            description_zh=module.description_zh,
            description_en=module.description_en,
            classroom_days=module.classroom_days,
            default_followup_visits=module.default_followup_visits,
            order=module.order,
            is_active=True,
        )
        copy.full_clean()
        copy.save()
        copy.prerequisites.set(module.prerequisites.all())
    return copy
