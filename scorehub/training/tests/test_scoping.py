"""Who sees which training records: cohorts through the provider or the jurisdiction, the rest through
the enterprise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scorehub.accounts.models import ProviderAssignment
from scorehub.core.scoping import Action
from scorehub.training.models import ClassroomSession, Cohort, CohortEnterprise, Participant, Programme, Visit

pytestmark = pytest.mark.django_db


def test_trainer_of_another_provider_gets_404_on_the_cohort(client_as, osh_cohort):
    response = client_as("zj_trainer").get(reverse("training:cohort-detail", kwargs={"pk": osh_cohort.pk}))
    assert response.status_code == 404


def test_trainer_of_another_provider_gets_404_even_when_assigned_one_of_its_enterprises(
    persona, client_as, osh_cohort, nanxun_enterprise
):
    # The other provider also coaches this enterprise (in another module): the cohort stays out of reach.
    zj = persona("zj_trainer").memberships.get().organisation
    ProviderAssignment.objects.create(provider=zj, enterprise=nanxun_enterprise)
    client = client_as("zj_trainer")
    assert client.get(reverse("training:cohort-detail", kwargs={"pk": osh_cohort.pk})).status_code == 404
    session = osh_cohort.sessions.first()
    assert client.get(reverse("training:session-detail", kwargs={"pk": session.pk})).status_code == 404


def test_trainer_sees_exactly_their_providers_cohorts(persona):
    trainer = persona("trainer")
    provider = trainer.memberships.get().organisation
    expected = set(Cohort.objects.filter(provider=provider).values_list("pk", flat=True))
    assert expected
    assert set(Cohort.objects.visible_to(trainer).values_list("pk", flat=True)) == expected
    assert set(Cohort.objects.visible_to(trainer, Action.COACH).values_list("pk", flat=True)) == expected


def test_city_official_sees_cohorts_with_enterprises_in_the_city(persona):
    official = persona("huzhou_official")
    expected = {
        c.pk
        for c in Cohort.objects.all()
        if c.programme.region_id.startswith("3305") or any(e.region_id.startswith("3305") for e in c.enterprises.all())
    }
    assert expected
    assert set(Cohort.objects.visible_to(official).values_list("pk", flat=True)) == expected


def test_official_of_another_district_gets_404_on_the_cohort(client_as, osh_cohort):
    assert client_as("fangshan_official").get(osh_cohort.get_absolute_url()).status_code == 404


def test_inspector_reads_cohorts_of_the_district_but_does_not_coach(persona, osh_cohort):
    inspector = persona("nanxun_inspector")
    assert Cohort.objects.visible_to(inspector).filter(pk=osh_cohort.pk).exists()
    assert not Cohort.objects.visible_to(inspector, Action.COACH).exists()


def test_enterprise_sees_its_own_progress_but_not_the_cohort_page(client_as, persona, osh_cohort, nanxun_participation):
    manager = persona("factory_manager")
    assert list(CohortEnterprise.objects.visible_to(manager)) == list(
        CohortEnterprise.objects.filter(enterprise=nanxun_participation.enterprise)
    )
    client = client_as("factory_manager")
    assert client.get(osh_cohort.get_absolute_url()).status_code == 404
    assert client.get(nanxun_participation.get_absolute_url()).status_code == 200


def test_enterprise_sees_only_its_own_participants(persona, nanxun_enterprise):
    visible = Participant.objects.visible_to(persona("factory_manager"))
    assert visible.exists()
    assert set(visible.values_list("enterprise_id", flat=True)) == {nanxun_enterprise.pk}


def test_buyer_sees_no_training_record(persona):
    buyer = persona("buyer")
    for model in (Cohort, CohortEnterprise, ClassroomSession, Participant, Visit):
        assert not model.objects.visible_to(buyer).exists(), model


def test_programmes_follow_the_region_tree(persona):
    fangshan = set(Programme.objects.visible_to(persona("fangshan_official")).values_list("region_id", flat=True))
    assert fangshan == {"110111"}
    huzhou_manage = Programme.objects.visible_to(persona("huzhou_official"), Action.MANAGE)
    assert set(huzhou_manage.values_list("region_id", flat=True)) == {"330500"}


def test_trainer_reads_the_programmes_of_their_enterprises_regions(persona):
    regions = set(Programme.objects.visible_to(persona("trainer")).values_list("region_id", flat=True))
    assert {"330500", "110111"} <= regions
    assert "330784" not in regions
