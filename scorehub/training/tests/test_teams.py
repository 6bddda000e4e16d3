"""The enterprise improvement team and plan: warnings on the team's mix, meetings, plan items with a
generic link to the record they are about."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorehub.training import selectors, services
from scorehub.training.models import ImprovementTeam, PlanItem, TeamMember, VisitFinding

pytestmark = pytest.mark.django_db


def test_team_page_warns_when_workers_or_women_are_missing(client_as, nanxun_enterprise):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    team.members.filter(role="worker").update(left_on=team.formed_on)
    response = client_as("factory_manager").get(
        reverse("training:enterprise-team", kwargs={"pk": nanxun_enterprise.pk})
    )
    body = response.content.decode()
    assert 'data-testid="team-no-workers"' in body
    has_women = team.members.filter(left_on__isnull=True, gender="female").exists()
    assert ('data-testid="team-no-women"' in body) is (not has_women)


def test_team_warnings_follow_the_current_members(nanxun_enterprise):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    members = TeamMember.objects.filter(team=team)
    warnings = selectors.team_warnings(members)
    current = [m for m in members if m.left_on is None]
    assert warnings.no_workers is (not any(m.role == "worker" for m in current))
    assert warnings.no_women is (not any(m.gender == "female" for m in current))


def test_enterprise_manager_adds_members_and_records_a_meeting(client_as, nanxun_enterprise, today):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    client = client_as("factory_manager")
    response = client.post(
        reverse("training:member-add", kwargs={"pk": team.pk}),
        {
            "name": "朱红梅",
            "role": "worker",
            "gender": "female",
            "position": "挡车工",
            "joined_on": f"{today:%Y-%m-%d}",
        },
    )
    assert response.status_code == 302
    member = team.members.get(name="朱红梅")
    response = client.post(
        reverse("training:meeting-add", kwargs={"pk": team.pk}),
        {"held_on": f"{today:%Y-%m-%d}", "attendees": [member.pk], "minutes": "讨论三条合理化建议。"},
    )
    assert response.status_code == 302
    meeting = team.meetings.get(minutes="讨论三条合理化建议。")
    assert list(meeting.attendees.all()) == [member]


def test_meeting_attendees_must_belong_to_the_team(persona, nanxun_enterprise, today):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    stranger = TeamMember.objects.exclude(team=team).first()
    from scorehub.training.models import TeamMeeting

    with pytest.raises(ValidationError):
        services.meeting_save(
            actor=persona("factory_manager"),
            team=team,
            meeting=TeamMeeting(held_on=today, minutes="x"),
            attendees=[stranger],
        )


def test_plan_item_links_generically_to_a_finding_of_the_same_enterprise(persona, nanxun_enterprise, today):
    finding = VisitFinding.objects.filter(visit__enterprise=nanxun_enterprise).first()
    finding_type = ContentType.objects.get_for_model(VisitFinding)
    item = services.plan_item_save(
        actor=persona("factory_manager"),
        enterprise=nanxun_enterprise,
        item=PlanItem(objective="整改", owner="安全主管", due_on=today),
        link_type=finding_type,
        link_id=finding.pk,
    )
    item.refresh_from_db()
    assert item.link == finding


def test_plan_item_cannot_link_to_another_enterprises_record(persona, nanxun_enterprise, today):
    foreign = VisitFinding.objects.exclude(visit__enterprise=nanxun_enterprise).first()
    with pytest.raises(ValidationError, match="No such record"):
        services.plan_item_save(
            actor=persona("admin"),
            enterprise=nanxun_enterprise,
            item=PlanItem(objective="x", owner="y", due_on=today),
            link_type=ContentType.objects.get_for_model(VisitFinding),
            link_id=foreign.pk,
        )


def test_plan_item_cannot_link_to_an_unrelated_kind_of_record(persona, nanxun_enterprise, today):
    with pytest.raises(ValidationError):
        services.plan_item_save(
            actor=persona("admin"),
            enterprise=nanxun_enterprise,
            item=PlanItem(objective="x", owner="y", due_on=today),
            link_type=ContentType.objects.get_for_model(ImprovementTeam),
            link_id=ImprovementTeam.objects.get(enterprise=nanxun_enterprise).pk,
        )


def test_plan_item_form_offers_the_linkable_kinds(client_as, nanxun_enterprise):
    response = client_as("factory_manager").get(reverse("training:plan-item-add", kwargs={"pk": nanxun_enterprise.pk}))
    assert response.status_code == 200
    choices = dict(response.context["form"].fields["link_type"].choices)
    assert ContentType.objects.get_for_model(VisitFinding).pk in choices


def test_trainer_coaches_the_team_of_an_enterprise_they_reach(persona, nanxun_enterprise, today):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    member = services.member_save(
        actor=persona("trainer"), team=team, member=TeamMember(name="钱芳", role="worker", gender="female")
    )
    assert member.pk


def test_another_enterprise_and_the_buyer_cannot_touch_the_team(client_as, nanxun_enterprise):
    team = ImprovementTeam.objects.get(enterprise=nanxun_enterprise)
    before = team.members.count()
    for persona_name in ("buyer", "zj_trainer", "fangshan_official", "nanxun_inspector"):
        response = client_as(persona_name).post(
            reverse("training:member-add", kwargs={"pk": team.pk}), {"name": "x", "role": "worker", "gender": "male"}
        )
        assert response.status_code == 404, persona_name
    assert team.members.count() == before


def test_team_list_counts_members_workers_and_women(client_as, django_assert_max_num_queries):
    client = client_as("huzhou_official")
    client.get(reverse("training:team-list"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("training:team-list"))
    for row in response.context["table"].paginated_rows:
        team = row.record
        current = team.members.filter(left_on__isnull=True)
        assert team.member_count == current.count()
        assert team.worker_count == current.filter(role="worker").count()
        assert team.women_count == current.filter(gender="female").count()
        assert team.enterprise.region_id.startswith("3305")


def test_enterprise_tabs_appear_on_the_enterprise_page(client_as, nanxun_enterprise):
    response = client_as("factory_manager").get(reverse("enterprises:detail", kwargs={"pk": nanxun_enterprise.pk}))
    urls = [url for _tab, url in response.context["tabs"]]
    assert reverse("training:enterprise-training", kwargs={"pk": nanxun_enterprise.pk}) in urls
    assert reverse("training:enterprise-team", kwargs={"pk": nanxun_enterprise.pk}) in urls
    buyer_view = client_as("buyer")
    consented = nanxun_enterprise.buyer_consents.filter(revoked_at__isnull=True).exists()
    if consented:
        tabs = buyer_view.get(reverse("enterprises:detail", kwargs={"pk": nanxun_enterprise.pk})).context["tabs"]
        assert not any("training" in url for _tab, url in tabs)
