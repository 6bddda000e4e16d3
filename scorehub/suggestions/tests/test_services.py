"""Review and implementation, projects and savings, the library: the rules and who may do what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scorehub.core.scoping import Action, OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.suggestions import services
from scorehub.suggestions.models import (
    CaseStudy,
    CaseStudyStatus,
    ImprovementProject,
    Photo,
    ProjectStatus,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
)

from .factories import photo_upload, submit

pytestmark = pytest.mark.django_db


def evidence():
    return services.clean_photos([photo_upload()])


@pytest.fixture
def manager(persona):
    return persona("factory_manager")


@pytest.fixture
def member(persona):
    return persona("team_member")


@pytest.fixture
def fresh(nanxun_enterprise, member):
    return submit(nanxun_enterprise, actor=member)


def snapshot(suggestion):
    suggestion = Suggestion.objects.get(pk=suggestion.pk)
    return (suggestion.status, suggestion.decided_at, suggestion.rejection_reason, suggestion.events.count())


def test_team_member_takes_a_suggestion_from_submission_to_implementation(fresh, member):
    services.suggestion_transition(actor=member, suggestion=fresh, to="under_review")
    services.suggestion_transition(actor=member, suggestion=fresh, to="adopted")
    due = timezone.localdate() + dt.timedelta(days=14)
    services.suggestion_transition(actor=member, suggestion=fresh, to="in_progress", owner_name="陆建华", due_date=due)
    done = services.suggestion_transition(
        actor=member, suggestion=fresh, to="implemented", note="已划线并装凸面镜", photos=evidence()
    )
    assert done.status == SuggestionStatus.IMPLEMENTED
    assert done.decided_at is not None
    assert done.implemented_at is not None
    assert done.owner_name == "陆建华"
    assert done.due_date == due
    timeline = list(done.events.order_by("at", "pk").values_list("kind", "from_status", "to_status", "actor"))
    assert timeline == [
        ("submitted", "", "submitted", member.pk),
        ("status", "submitted", "under_review", member.pk),
        ("status", "under_review", "adopted", member.pk),
        ("status", "adopted", "in_progress", member.pk),
        ("status", "in_progress", "implemented", member.pk),
    ]
    assert Photo.objects.filter(suggestion=done, kind="evidence").count() == 1


def test_rejection_requires_a_reason_and_keeps_it_for_the_worker(fresh, member):
    before = snapshot(fresh)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_transition(actor=member, suggestion=fresh, to="rejected", reason="  ")
    assert "reason" in exc.value.message_dict
    assert snapshot(fresh) == before
    rejected = services.suggestion_transition(actor=member, suggestion=fresh, to="rejected", reason="已有改造计划")
    assert rejected.rejection_reason == "已有改造计划"
    assert rejected.events.last().note == "已有改造计划"


def test_work_in_progress_needs_an_owner_and_a_due_date(fresh, member):
    services.suggestion_transition(actor=member, suggestion=fresh, to="adopted")
    before = snapshot(fresh)
    with pytest.raises(ValidationError) as exc:
        services.suggestion_transition(actor=member, suggestion=fresh, to="in_progress")
    assert set(exc.value.message_dict) == {"owner_name", "due_date"}
    assert snapshot(fresh) == before


def test_implementation_needs_a_note_and_a_photo(fresh, member):
    services.suggestion_transition(actor=member, suggestion=fresh, to="adopted")
    before = snapshot(fresh), Photo.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.suggestion_transition(actor=member, suggestion=fresh, to="implemented", note="")
    assert set(exc.value.message_dict) == {"note", "photos"}
    assert (snapshot(fresh), Photo.objects.count()) == before


def test_a_move_the_board_does_not_offer_is_refused(fresh, member):
    with pytest.raises(ValidationError):
        services.suggestion_transition(actor=member, suggestion=fresh, to="implemented", note="x", photos=evidence())
    assert Suggestion.objects.get(pk=fresh.pk).status == SuggestionStatus.SUBMITTED


def test_reopening_a_rejected_suggestion_clears_the_decision(fresh, member):
    services.suggestion_transition(actor=member, suggestion=fresh, to="rejected", reason="重复")
    reopened = services.suggestion_transition(actor=member, suggestion=fresh, to="under_review")
    assert reopened.decided_at is None
    assert reopened.rejection_reason == ""


@pytest.mark.parametrize("outsider", ["huzhou_official", "nanxun_inspector", "trainer", "buyer", "fangshan_official"])
def test_only_the_enterprise_team_can_move_suggestions(fresh, persona, outsider):
    before = snapshot(fresh)
    with pytest.raises(OutOfScope):
        services.suggestion_transition(actor=persona(outsider), suggestion=fresh, to="adopted")
    assert snapshot(fresh) == before


def test_manager_of_one_enterprise_cannot_enter_suggestions_for_another(manager, nanxun_enterprise):
    other = Enterprise.objects.exclude(pk=nanxun_enterprise.pk).first()
    before = Suggestion.objects.count()
    with pytest.raises(OutOfScope):
        submit(other, actor=manager)
    assert Suggestion.objects.count() == before


def test_duplicate_is_merged_and_points_to_the_original(nanxun_enterprise, member):
    original = submit(nanxun_enterprise, actor=member)
    duplicate = submit(nanxun_enterprise, actor=member)
    merged = services.suggestion_merge(actor=member, duplicate=duplicate, into=original)
    assert merged.status == SuggestionStatus.MERGED
    assert merged.duplicate_of == original
    assert SuggestionEvent.objects.filter(suggestion=original, kind="merged").count() == 1
    with pytest.raises(ValidationError):
        services.suggestion_merge(actor=member, duplicate=original, into=merged)


def test_duplicates_of_another_enterprise_cannot_be_merged(nanxun_enterprise, persona):
    admin = persona("admin")
    other = Enterprise.objects.exclude(pk=nanxun_enterprise.pk).first()
    a, b = submit(nanxun_enterprise, actor=admin), submit(other, actor=admin)
    with pytest.raises(ValidationError):
        services.suggestion_merge(actor=admin, duplicate=b, into=a)
    assert Suggestion.objects.get(pk=b.pk).status == SuggestionStatus.SUBMITTED


def test_suggestion_becomes_a_project_and_another_joins_it(nanxun_enterprise, member):
    first, second = submit(nanxun_enterprise, actor=member), submit(nanxun_enterprise, actor=member)
    project = services.project_create(
        actor=member,
        enterprise=nanxun_enterprise,
        data={
            "title": "人车分流",
            "goal": "消除叉车碰撞风险",
            "cost": Decimal("5200"),
            "expected_savings": Decimal("0"),
        },
        suggestions=[first],
    )
    services.suggestion_join_project(actor=member, suggestion=second, project=project)
    assert set(project.suggestions.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert SuggestionEvent.objects.filter(kind="project", suggestion__in=[first, second]).count() == 2


def completed_project(enterprise, actor, **extra):
    data = {
        "title": "空压机查漏",
        "goal": "降低电费",
        "status": ProjectStatus.COMPLETED,
        "started_on": timezone.localdate() - dt.timedelta(days=60),
        "completed_on": timezone.localdate() - dt.timedelta(days=10),
        "cost": Decimal("3800"),
        "expected_savings": Decimal("46000"),
        **extra,
    }
    return services.project_create(actor=actor, enterprise=enterprise, data=data)


def test_trainer_verifies_savings_but_the_enterprise_cannot_verify_its_own(nanxun_enterprise, manager, persona):
    project = completed_project(nanxun_enterprise, manager)
    with pytest.raises(OutOfScope):
        services.project_verify_savings(actor=manager, project=project, amount=Decimal("46000"))
    assert not ImprovementProject.objects.get(pk=project.pk).is_verified
    trainer = persona("trainer")
    verified = services.project_verify_savings(actor=trainer, project=project, amount=Decimal("41000"), note="电费单")
    assert verified.verified_savings == Decimal("41000")
    assert verified.verified_by == trainer


def test_savings_of_an_unfinished_project_cannot_be_verified(nanxun_enterprise, manager, persona):
    project = completed_project(nanxun_enterprise, manager, status=ProjectStatus.IN_PROGRESS, completed_on=None)
    with pytest.raises(ValidationError):
        services.project_verify_savings(actor=persona("trainer"), project=project, amount=Decimal("1"))


def test_project_cannot_end_before_it_starts(nanxun_enterprise, manager):
    with pytest.raises(ValidationError):
        completed_project(nanxun_enterprise, manager, completed_on=timezone.localdate() - dt.timedelta(days=90))


def case_data(**extra):
    return {
        "title_zh": "空压机查漏",
        "title_en": "Air leaks fixed",
        "summary_zh": "员工发现夜间漏气，改善团队查漏并夜间停机。",
        "before_text": "夜间空转漏气",
        "after_text": "每月节电六千度",
        **extra,
    }


def test_case_study_is_approved_by_the_programme_office_only(nanxun_enterprise, manager, persona):
    case = services.case_study_propose(
        actor=manager, project=completed_project(nanxun_enterprise, manager), data=case_data()
    )
    assert case.status == CaseStudyStatus.PROPOSED
    for not_office in ("factory_manager", "huzhou_official", "trainer", "zhejiang_official"):
        with pytest.raises(OutOfScope):
            services.case_study_approve(actor=persona(not_office), case=case)
        assert CaseStudy.objects.get(pk=case.pk).status == CaseStudyStatus.PROPOSED
    approved = services.case_study_approve(actor=persona("admin"), case=case)
    assert approved.status == CaseStudyStatus.APPROVED


def test_case_study_naming_a_worker_is_refused(nanxun_enterprise, manager):
    suggestion = submit(nanxun_enterprise, actor=manager, submitter_name="王建军")
    project = completed_project(nanxun_enterprise, manager)
    services.suggestion_join_project(actor=manager, suggestion=suggestion, project=project)
    before = CaseStudy.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.case_study_propose(actor=manager, project=project, data=case_data(summary_zh="王建军提出了这个建议"))
    assert "王建军" in str(exc.value)
    assert CaseStudy.objects.count() == before


def test_only_a_completed_project_becomes_a_case_study(nanxun_enterprise, manager):
    project = completed_project(nanxun_enterprise, manager, status=ProjectStatus.IN_PROGRESS, completed_on=None)
    with pytest.raises(ValidationError):
        services.case_study_propose(actor=manager, project=project, data=case_data())


def test_approved_case_studies_are_read_across_the_programme_but_not_by_buyers(nanxun_enterprise, manager, persona):
    case = services.case_study_propose(
        actor=manager, project=completed_project(nanxun_enterprise, manager), data=case_data()
    )
    fangshan = persona("fangshan_official")
    assert not CaseStudy.objects.visible_to(fangshan).filter(pk=case.pk).exists()  # not approved yet
    services.case_study_approve(actor=persona("admin"), case=case)
    for reader in ("fangshan_official", "trainer", "nanxun_inspector", "factory_manager"):
        assert CaseStudy.objects.visible_to(persona(reader)).filter(pk=case.pk).exists(), reader
    assert not CaseStudy.objects.visible_to(persona("buyer")).filter(pk=case.pk).exists()
    assert not CaseStudy.objects.visible_to(fangshan, Action.OPERATE).filter(pk=case.pk).exists()


def test_poster_revocation_is_for_the_enterprise_team(nanxun_enterprise, manager, persona):
    poster = services.poster_create(actor=manager, enterprise=nanxun_enterprise, workshop="染整车间")
    with pytest.raises(OutOfScope):
        services.poster_revoke(actor=persona("huzhou_official"), poster=poster)
    assert poster.__class__.objects.get(pk=poster.pk).is_active
    services.poster_revoke(actor=persona("team_member"), poster=poster)
    assert not poster.__class__.objects.get(pk=poster.pk).is_active


def test_api_style_idempotent_creation_returns_the_first_result(nanxun_enterprise, member, manager):
    data = {"problem": "p", "proposal": "q", "category": "quality"}
    first, created = services.suggestion_create(
        actor=member, enterprise=nanxun_enterprise, data=data, idempotency_key="k1"
    )
    again, created_again = services.suggestion_create(
        actor=member, enterprise=nanxun_enterprise, data=data, idempotency_key="k1"
    )
    assert created
    assert not created_again
    assert again.pk == first.pk
    with pytest.raises(ValidationError):
        services.suggestion_create(actor=manager, enterprise=nanxun_enterprise, data=data, idempotency_key="k1")


def test_a_record_from_another_app_can_be_linked_generically(fresh, member, nanxun_enterprise):
    # Any model will do: the link is a content type and an id (the safety register will link hazards).
    linked = services.suggestion_link_record(actor=member, suggestion=fresh, record=nanxun_enterprise, note="隐患")
    assert linked.linked_record == nanxun_enterprise
    assert linked.events.last().kind == "linked"


def test_returned_case_study_is_corrected_and_goes_back_for_approval(nanxun_enterprise, manager, persona):
    suggestion = submit(nanxun_enterprise, actor=manager, submitter_name="王建军")
    project = completed_project(nanxun_enterprise, manager)
    services.suggestion_join_project(actor=manager, suggestion=suggestion, project=project)
    case = services.case_study_propose(actor=manager, project=project, data=case_data())
    services.case_study_return(actor=persona("admin"), case=case, note="请补充改善后的数据")
    case.after_text = "王建军说效果很好"
    with pytest.raises(ValidationError):
        services.case_study_update(actor=manager, case=case)
    assert CaseStudy.objects.get(pk=case.pk).status == CaseStudyStatus.RETURNED
    case.after_text = "每月节电六千度，噪声下降"
    updated = services.case_study_update(actor=manager, case=case)
    assert updated.status == CaseStudyStatus.PROPOSED
    services.case_study_approve(actor=persona("admin"), case=updated)
    with pytest.raises(ValidationError):
        services.case_study_update(actor=manager, case=CaseStudy.objects.get(pk=case.pk))
