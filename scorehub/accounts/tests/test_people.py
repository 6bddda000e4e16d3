"""A bureau sets up its people: organisations, members and provider assignments, all scoped."""

from __future__ import annotations

import pytest

from scorehub.accounts.models import Membership, Organisation, ProviderAssignment, User
from scorehub.enterprises.models import Enterprise

pytestmark = pytest.mark.django_db


def test_official_adds_an_inspector_to_a_bureau_in_the_jurisdiction(client_as):
    client = client_as("huzhou_official")
    bureau = Organisation.objects.get(name_en__startswith="Nanxun District")
    response = client.post(
        f"/accounts/organisations/{bureau.pk}/members/new/",
        {"username": "nanxun_inspector2", "display_name": "钱海燕", "role": "inspector", "password": "Safe-Pass-2026!"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="nanxun_inspector2")
    assert Membership.objects.filter(user=user, organisation=bureau, role="inspector").exists()
    assert user.check_password("Safe-Pass-2026!")


def test_a_role_that_does_not_fit_the_organisation_is_refused(client_as):
    client = client_as("huzhou_official")
    bureau = Organisation.objects.get(name_en__startswith="Nanxun District")
    response = client.post(
        f"/accounts/organisations/{bureau.pk}/members/new/",
        {"username": "x_trainer", "display_name": "X", "role": "trainer", "password": "Safe-Pass-2026!"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="x_trainer").exists()


def test_outsider_cannot_add_people_to_a_huzhou_bureau(client_as):
    client = client_as("fangshan_official")
    bureau = Organisation.objects.get(name_en__startswith="Huzhou")
    before = User.objects.count()
    response = client.post(
        f"/accounts/organisations/{bureau.pk}/members/new/",
        {"username": "intruder", "display_name": "X", "role": "official", "password": "Safe-Pass-2026!"},
    )
    assert response.status_code == 404
    assert User.objects.count() == before


def test_official_creates_a_bureau_only_inside_the_jurisdiction(client_as):
    client = client_as("huzhou_official")
    inside = client.post(
        "/accounts/organisations/new/",
        {"kind": "bureau", "name_zh": "安吉县应急管理局", "name_en": "Anji bureau", "region": "330523"},
    )
    assert inside.status_code == 302
    assert Organisation.objects.filter(name_zh="安吉县应急管理局").exists()
    outside = client.post(
        "/accounts/organisations/new/",
        {"kind": "bureau", "name_zh": "房山另一局", "name_en": "", "region": "110111"},
    )
    assert outside.status_code == 200  # the region is not a choice for this official
    assert not Organisation.objects.filter(name_zh="房山另一局").exists()


def test_official_assigns_a_provider_and_the_trainer_then_sees_the_enterprise(client_as, persona):
    enterprise = Enterprise.objects.filter(region_id="330522").first()
    provider = Organisation.objects.get(name_en__startswith="China Enterprise Confederation")
    ProviderAssignment.objects.filter(enterprise=enterprise).delete()
    assert not Enterprise.objects.visible_to(persona("trainer")).filter(pk=enterprise.pk).exists()
    response = client_as("huzhou_official").post(
        f"/enterprises/{enterprise.pk}/providers/new/", {"provider": provider.pk}
    )
    assert response.status_code == 302
    assert Enterprise.objects.visible_to(persona("trainer")).filter(pk=enterprise.pk).exists()


def test_a_trainer_cannot_assign_providers(client_as):
    enterprise = Enterprise.objects.filter(region_id="330503").first()
    provider = Organisation.objects.get(name_en__startswith="Zhejiang Work Safety")
    before = ProviderAssignment.objects.count()
    response = client_as("trainer").post(f"/enterprises/{enterprise.pk}/providers/new/", {"provider": provider.pk})
    assert response.status_code == 404
    assert ProviderAssignment.objects.count() == before
