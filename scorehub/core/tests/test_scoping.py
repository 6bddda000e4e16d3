"""The choke point itself: each persona reaches exactly what the roles say, counted independently."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from scorehub.accounts.models import Organisation, ProviderAssignment
from scorehub.core.scoping import Action, OutOfScope, ensure_visible, forget_scope
from scorehub.core.views import ScopedListView
from scorehub.enterprises.models import BuyerConsent, ContactPerson, Enterprise

pytestmark = pytest.mark.django_db


def codes(queryset):
    return set(queryset.values_list("credit_code", flat=True))


def test_programme_admin_sees_every_enterprise(persona):
    assert codes(Enterprise.objects.visible_to(persona("admin"))) == codes(Enterprise.objects.all())


def test_city_official_sees_exactly_the_enterprises_under_the_city(persona):
    expected = {e.credit_code for e in Enterprise.objects.all() if e.region_id[:4] == "3305"}
    assert expected
    assert codes(Enterprise.objects.visible_to(persona("huzhou_official"))) == expected


def test_province_official_sees_huzhou_and_yongkang_but_not_fangshan(persona):
    visible = Enterprise.objects.visible_to(persona("zhejiang_official"))
    assert {e.region_id[:2] for e in visible} == {"33"}
    assert visible.filter(region_id="330784").exists()


def test_outsider_from_another_city_sees_nothing_of_huzhou(persona):
    visible = Enterprise.objects.visible_to(persona("fangshan_official"))
    assert visible.exists()
    assert not visible.filter(region__code__startswith="3305").exists()
    assert all(e.region_id == "110111" for e in visible)


def test_district_inspector_may_inspect_but_not_manage(persona):
    inspector = persona("nanxun_inspector")
    nanxun = {e.credit_code for e in Enterprise.objects.all() if e.region_id == "330503"}
    assert codes(Enterprise.objects.visible_to(inspector, Action.INSPECT)) == nanxun
    assert not Enterprise.objects.visible_to(inspector, Action.MANAGE).exists()


def test_trainer_sees_only_the_enterprises_assigned_to_their_provider(persona):
    trainer = persona("trainer")
    provider = Organisation.objects.get(memberships__user=trainer)
    assigned = set(
        ProviderAssignment.objects.filter(provider=provider).values_list("enterprise__credit_code", flat=True)
    )
    assert codes(Enterprise.objects.visible_to(trainer)) == assigned
    assert not Enterprise.objects.visible_to(trainer, Action.CHANGE).exists()


def test_enterprise_manager_sees_only_their_own_enterprise(persona, nanxun_enterprise):
    manager = persona("factory_manager")
    assert list(Enterprise.objects.visible_to(manager)) == [nanxun_enterprise]
    assert list(Enterprise.objects.visible_to(manager, Action.CHANGE)) == [nanxun_enterprise]
    assert not Enterprise.objects.visible_to(manager, Action.MANAGE).exists()


def test_buyer_sees_consenting_suppliers_summary_but_nothing_inside_them(persona):
    buyer = persona("buyer")
    consenting = set(BuyerConsent.objects.active().values_list("enterprise__credit_code", flat=True))
    assert consenting
    assert codes(Enterprise.objects.visible_to(buyer)) == consenting
    assert not ContactPerson.objects.visible_to(buyer).exists()
    assert not Enterprise.objects.visible_to(buyer, Action.HISTORY).exists()


def test_revoked_consent_ends_the_buyers_view(persona):
    buyer = persona("buyer")
    consent = BuyerConsent.objects.active().first()
    consent.revoked_at = consent.granted_at
    consent.save()
    forget_scope(buyer)
    assert not Enterprise.objects.visible_to(buyer).filter(pk=consent.enterprise_id).exists()


def test_user_without_membership_sees_nothing(django_user_model):
    stranger = django_user_model.objects.create(username="stranger")
    assert not Enterprise.objects.visible_to(stranger).exists()
    assert not Organisation.objects.visible_to(stranger).exists()


def test_ensure_visible_raises_for_out_of_scope_record(persona):
    huzhou_enterprise = Enterprise.objects.filter(region__code__startswith="3305").first()
    with pytest.raises(OutOfScope):
        ensure_visible(huzhou_enterprise, persona("fangshan_official"))


def test_regions_of_an_outsider_are_their_own_branch_only(persona):
    from scorehub.regions.models import Region

    visible = set(Region.objects.visible_to(persona("fangshan_official")).values_list("code", flat=True))
    assert visible == {"110000", "110111"}


def test_a_view_that_replaces_get_queryset_is_refused_at_class_creation():
    with pytest.raises(ImproperlyConfigured):

        class LeakyView(ScopedListView):
            model = Enterprise

            def get_queryset(self):
                return Enterprise.objects.all()
