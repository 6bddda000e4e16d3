"""Cohorts (trainers, enterprises, provider reach) and classroom sessions (overlaps, participants,
attendance, participant mix)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorehub.accounts.models import ProviderAssignment, User
from scorehub.core.scoping import forget_scope
from scorehub.enterprises.models import Enterprise
from scorehub.training import selectors, services
from scorehub.training.models import (
    Attendance,
    ClassroomSession,
    Cohort,
    CohortEnterprise,
    Module,
    Participant,
    Programme,
)

pytestmark = pytest.mark.django_db


def new_cohort(persona, programme, *, module="WC", lead="trainer", supervisor=None, provider=None):
    trainer = persona("trainer")
    return Cohort(
        programme=programme,
        module=Module.objects.get(code=module, version=1),
        provider=provider or trainer.memberships.get().organisation,
        name="测试批次",
        lead_trainer=User.objects.get(username=lead),
        supervisor=User.objects.get(username=supervisor) if supervisor else None,
    )


def test_trainer_creates_a_cohort_through_the_page(client_as, persona, huzhou_programme):
    trainer = persona("trainer")
    response = client_as("trainer").post(
        reverse("training:cohort-create"),
        {
            "programme": huzhou_programme.pk,
            "module": Module.objects.get(code="WC", version=1).pk,
            "provider": trainer.memberships.get().organisation_id,
            "name": "南浔 WC 第三批",
            "lead_trainer": trainer.pk,
            "trainers": [User.objects.get(username="trainer_wang").pk],
        },
    )
    cohort = Cohort.objects.get(name="南浔 WC 第三批")
    assert response.status_code == 302
    assert response["Location"] == reverse("training:cohort-enrol", kwargs={"pk": cohort.pk})
    assert [u.username for u in cohort.trainers.all()] == ["trainer_wang"]


def test_lead_trainer_must_be_certified_in_the_module(persona, huzhou_programme):
    cohort = new_cohort(persona, huzhou_programme, module="QM")  # the trainer is only a QM candidate
    huzhou_programme.modules.clear()
    with pytest.raises(ValidationError) as error:
        services.cohort_save(actor=persona("trainer"), cohort=cohort, co_trainers=[])
    assert "supervise" in " ".join(error.value.messages)
    assert not Cohort.objects.filter(name="测试批次").exists()


def test_a_candidate_leads_only_under_a_certified_supervisor(persona, huzhou_programme):
    cohort = new_cohort(persona, huzhou_programme, module="OSH", lead="trainer_wang")  # supervised, not certified
    with pytest.raises(ValidationError):
        services.cohort_save(actor=persona("trainer"), cohort=cohort, co_trainers=[])
    cohort.supervisor = User.objects.get(username="trainer")  # certified in OSH
    services.cohort_save(actor=persona("trainer"), cohort=cohort, co_trainers=[])
    assert cohort.pk


def test_a_trainer_without_certification_cannot_lead(persona, huzhou_programme):
    cohort = new_cohort(persona, huzhou_programme, module="OSH", lead="trainer_wang")
    cohort.module = Module.objects.get(code="HR", version=1)
    huzhou_programme.modules.clear()
    with pytest.raises(ValidationError, match="holds no certification"):
        services.cohort_save(actor=persona("trainer"), cohort=cohort, co_trainers=[])


def test_trainers_of_another_provider_cannot_be_put_in_the_cohort(persona, huzhou_programme):
    cohort = new_cohort(persona, huzhou_programme)
    with pytest.raises(ValidationError, match="is not a trainer of"):
        services.cohort_save(
            actor=persona("trainer"), cohort=cohort, co_trainers=[User.objects.get(username="zj_trainer")]
        )


def test_official_enrolling_an_enterprise_gives_the_provider_reach(persona, huzhou_programme, today):
    zj_trainer = persona("zj_trainer")
    zj = zj_trainer.memberships.get().organisation
    cohort = Cohort.objects.get(programme=huzhou_programme, provider=zj)
    # A Nanxun enterprise enrolled in the programme but not yet reachable by the Zhejiang provider.
    enterprise = (
        Enterprise.objects.filter(
            region_id="330503", training_enrolments__programme=huzhou_programme, training_enrolments__status="active"
        )
        .exclude(provider_assignments__provider=zj)
        .first()
    )
    assert enterprise is not None
    assert not Enterprise.objects.visible_to(zj_trainer).filter(pk=enterprise.pk).exists()
    services.cohort_enrol(actor=persona("huzhou_official"), cohort=cohort, enterprises=[enterprise], joined_on=today)
    assert ProviderAssignment.objects.filter(provider=zj, enterprise=enterprise).exists()
    forget_scope(zj_trainer)
    assert Enterprise.objects.visible_to(zj_trainer).filter(pk=enterprise.pk).exists()


def test_a_trainer_cannot_add_an_enterprise_they_do_not_reach(persona, huzhou_programme, today):
    zj_trainer = persona("zj_trainer")
    zj = zj_trainer.memberships.get().organisation
    cohort = Cohort.objects.get(programme=huzhou_programme, provider=zj)
    enterprise = Enterprise.objects.filter(region_id="330503").exclude(provider_assignments__provider=zj).first()
    from scorehub.core.scoping import OutOfScope

    with pytest.raises(OutOfScope):
        services.cohort_enrol(actor=zj_trainer, cohort=cohort, enterprises=[enterprise], joined_on=today)
    assert not ProviderAssignment.objects.filter(provider=zj, enterprise=enterprise).exists()


def test_an_enterprise_must_be_enrolled_in_the_programme_to_join(persona, today):
    fangshan_enterprise = Enterprise.objects.filter(region_id="110111").first()
    cohort = Cohort.objects.get(programme__region_id="330500", module__code="WC", provider__name_zh__startswith="中国")
    with pytest.raises(ValidationError, match="is not enrolled in the programme"):
        services.cohort_enrol(actor=persona("admin"), cohort=cohort, enterprises=[fangshan_enterprise], joined_on=today)


def test_osh_needs_workplace_cooperation_first(persona, osh_cohort, huzhou_programme, today):
    from scorehub.enterprises.credit_code import build_credit_code

    newcomer = Enterprise.objects.create(
        name_zh="南浔新来纺织有限公司",
        credit_code=build_credit_code("330503", "NEWC0MER1"),
        region_id="330503",
        industry_division="17",
        size_class="small",
        employees_total=50,
        employees_women=20,
    )
    services.enrolment_create_many(
        actor=persona("huzhou_official"), programme=huzhou_programme, enterprises=[newcomer], enrolled_on=today
    )
    with pytest.raises(ValidationError, match="has to take WC before module OSH"):
        services.cohort_enrol(
            actor=persona("huzhou_official"), cohort=osh_cohort, enterprises=[newcomer], joined_on=today
        )
    assert not osh_cohort.members.filter(enterprise=newcomer).exists()


def test_overlapping_sessions_for_the_same_trainer_are_refused(persona, osh_cohort):
    existing = osh_cohort.sessions.order_by("starts_on").first()
    trainer = persona("trainer")
    clash = ClassroomSession(
        cohort=osh_cohort,
        title="重叠",
        starts_on=existing.ends_on,
        ends_on=existing.ends_on + dt.timedelta(days=1),
        venue="X",
    )
    with pytest.raises(ValidationError) as error:
        services.session_save(actor=trainer, session=clash, trainers=[trainer])
    message = " ".join(error.value.messages)
    assert "cannot overlap" in message
    assert existing.title in message
    assert not ClassroomSession.objects.filter(title="重叠").exists()


def test_overlap_is_checked_across_cohorts_and_shown_on_the_form(client_as, persona, wc_cohort, osh_cohort):
    existing = osh_cohort.sessions.order_by("starts_on").first()
    response = client_as("trainer").post(
        reverse("training:session-create", kwargs={"pk": wc_cohort.pk}),
        {
            "title": "补课",
            "starts_on": f"{existing.starts_on:%Y-%m-%d}",
            "ends_on": f"{existing.starts_on:%Y-%m-%d}",
            "venue": "南浔",
            "trainers": [persona("trainer").pk],
        },
    )
    assert response.status_code == 200
    assert "不能重叠" in response.content.decode() or "cannot overlap" in response.content.decode()
    assert not ClassroomSession.objects.filter(title="补课").exists()


def test_a_different_trainer_may_teach_at_the_same_time(persona, osh_cohort):
    existing = osh_cohort.sessions.order_by("starts_on").first()
    other = User.objects.get(username="trainer_wang")
    session = ClassroomSession(
        cohort=osh_cohort, title="并行", starts_on=existing.starts_on, ends_on=existing.starts_on, venue="Y"
    )
    if existing.trainers.filter(pk=other.pk).exists():
        existing.trainers.remove(other)
    services.session_save(actor=persona("trainer"), session=session, trainers=[other])
    assert session.pk
    assert session.survey_expires_at is not None


def test_participant_must_come_from_an_enterprise_of_the_cohort(persona, osh_cohort):
    session = osh_cohort.sessions.first()
    outsider = Enterprise.objects.filter(region_id="330521").exclude(training_participations__cohort=osh_cohort).first()
    with pytest.raises(ValidationError):
        services.participant_add(
            actor=persona("admin"),
            session=session,
            participant=Participant(enterprise=outsider, name="张三", role="worker", gender="male"),
        )


def test_attendance_grid_replaces_the_sessions_attendance(client_as, osh_cohort):
    session = osh_cohort.sessions.order_by("starts_on").first()
    participants = list(session.participants.order_by("pk")[:2])
    first_day = session.starts_on
    url = reverse("training:session-attendance", kwargs={"pk": session.pk})
    client = client_as("trainer")
    assert client.get(url).status_code == 200
    response = client.post(url, {"present": [f"{p.pk}:{first_day:%Y-%m-%d}" for p in participants]})
    assert response.status_code == 302
    assert set(Attendance.objects.filter(participant__session=session).values_list("participant_id", "day")) == {
        (p.pk, first_day) for p in participants
    }


def test_attendance_outside_the_session_days_is_refused(persona, osh_cohort):
    session = osh_cohort.sessions.order_by("starts_on").first()
    participant = session.participants.first()
    before = Attendance.objects.filter(participant__session=session).count()
    with pytest.raises(ValidationError):
        services.attendance_record(
            actor=persona("trainer"),
            session=session,
            present=[(participant.pk, session.ends_on + dt.timedelta(days=5))],
        )
    assert Attendance.objects.filter(participant__session=session).count() == before


def test_session_page_warns_when_an_enterprise_sends_only_managers(client_as, osh_cohort):
    session = osh_cohort.sessions.order_by("starts_on").first()
    only_managers = [
        e for e in selectors.mix_by_enterprise(session.participants.all()) if e.workers == 0 and e.managers > 0
    ]
    assert only_managers, "the demo has one enterprise that sent only managers"
    response = client_as("trainer").get(session.get_absolute_url())
    body = response.content.decode()
    assert body.count('data-testid="only-managers-warning"') == len(only_managers)
    assert Enterprise.objects.get(pk=only_managers[0].enterprise_id).name_zh in body


def test_participant_mix_counts_workers_and_women(osh_cohort):
    participants = Participant.objects.filter(session__cohort=osh_cohort)
    mix = selectors.participant_mix(participants)
    assert mix.total == len(participants)
    assert mix.workers == sum(1 for p in participants if p.role == "worker")
    assert mix.women == sum(1 for p in participants if p.gender == "female")
    assert mix.women_share == mix.women / mix.total


def test_cohort_page_shows_each_enterprises_progress_path(client_as, osh_cohort):
    response = client_as("trainer").get(osh_cohort.get_absolute_url())
    assert response.status_code == 200
    members = response.context["members"]
    assert len(members) == osh_cohort.members.count()
    for _member, progress in members:
        assert [s.key for s in progress.steps] == ["enrolled", "baseline", "classroom", "visits", "completed"]


def test_cohort_page_runs_a_constant_number_of_queries(client_as, osh_cohort, django_assert_max_num_queries):
    client = client_as("trainer")
    client.get(osh_cohort.get_absolute_url())
    with django_assert_max_num_queries(30):
        client.get(osh_cohort.get_absolute_url())


def test_cohort_list_query_count_does_not_grow_with_rows(client_as, django_assert_max_num_queries):
    client = client_as("admin")
    client.get(reverse("training:cohort-list"))
    with django_assert_max_num_queries(25):
        response = client.get(reverse("training:cohort-list"))
    assert len(list(response.context["table"].paginated_rows)) == Cohort.objects.count()


def test_programme_cohorts_visible_to_official_include_other_provider(persona):
    official = persona("huzhou_official")
    providers = set(
        Cohort.objects.visible_to(official)
        .filter(programme__region_id="330500")
        .values_list("provider__name_zh", flat=True)
    )
    assert len(providers) == 2
    assert Programme.objects.visible_to(official).filter(region_id="330500").exists()
    assert CohortEnterprise.objects.visible_to(official).exists()
