"""The enterprise registry: create, edit, archive, contacts, consent and the change log."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from scorehub.core.scoping import OutOfScope
from scorehub.enterprises import services
from scorehub.enterprises.credit_code import build_credit_code
from scorehub.enterprises.models import BuyerConsent, Enterprise

pytestmark = pytest.mark.django_db


def enterprise_data(region: str = "330503", body: str = "MA0000001") -> dict:
    return {
        "name_zh": "南浔测试纺织有限公司",
        "name_en": "",
        "credit_code": build_credit_code(region, body),
        "region_id": region,
        "address": "南浔镇1号",
        "industry_division": "17",
        "size_class": "small",
        "employees_total": 40,
        "employees_women": 25,
        "status": "active",
    }


def form_data(enterprise: Enterprise, **changes: object) -> dict:
    data = {
        "name_zh": enterprise.name_zh,
        "name_en": enterprise.name_en,
        "credit_code": enterprise.credit_code,
        "region": enterprise.region_id,
        "address": enterprise.address,
        "industry_division": enterprise.industry_division,
        "size_class": enterprise.size_class,
        "employees_total": enterprise.employees_total,
        "employees_women": enterprise.employees_women,
        "status": enterprise.status,
    }
    data.update(changes)
    return data


def test_official_creates_an_enterprise_in_the_jurisdiction_and_it_is_logged(persona):
    official = persona("huzhou_official")
    enterprise = services.enterprise_create(actor=official, data=enterprise_data())
    assert enterprise.industry_section == "C"
    entry = LogEntry.objects.get_for_object(enterprise).get()
    assert entry.actor == official
    assert entry.action == LogEntry.Action.CREATE


def test_creating_outside_the_jurisdiction_is_rolled_back(persona):
    before = Enterprise.objects.count()
    with pytest.raises(OutOfScope):
        services.enterprise_create(actor=persona("huzhou_official"), data=enterprise_data("110111", "MA0000002"))
    assert Enterprise.objects.count() == before


def test_a_wrong_check_character_is_refused_with_its_position(persona):
    data = enterprise_data()
    data["credit_code"] = data["credit_code"][:17] + ("0" if data["credit_code"][17] != "0" else "1")
    with pytest.raises(ValidationError) as excinfo:
        services.enterprise_create(actor=persona("huzhou_official"), data=data)
    assert "18" in str(excinfo.value.message_dict["credit_code"])


def test_edit_page_refuses_a_region_outside_the_jurisdiction(client_as, nanxun_enterprise):
    client = client_as("huzhou_official")
    response = client.post(f"/enterprises/{nanxun_enterprise.pk}/edit/", form_data(nanxun_enterprise, region="110111"))
    assert response.status_code == 200
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.region_id == "330503"


def test_edit_records_before_and_after_in_the_history_tab(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    response = client.post(
        f"/enterprises/{nanxun_enterprise.pk}/edit/", form_data(nanxun_enterprise, employees_total=999)
    )
    assert response.status_code == 302
    history = client.get(f"/enterprises/{nanxun_enterprise.pk}/history/").content.decode()
    assert "999" in history
    assert "沈国平" in history  # the manager's display name, as the actor


def test_more_women_than_employees_is_refused_on_the_field(client_as, nanxun_enterprise):
    client = client_as("huzhou_official")
    response = client.post(
        f"/enterprises/{nanxun_enterprise.pk}/edit/",
        form_data(nanxun_enterprise, employees_total=10, employees_women=11),
    )
    assert response.status_code == 200
    assert 'id="id_employees_women_error"' in response.content.decode()
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.employees_total != 10


def test_archive_hides_from_the_list_and_restore_brings_back(client_as, nanxun_enterprise):
    client = client_as("huzhou_official")
    assert client.post(f"/enterprises/{nanxun_enterprise.pk}/archive/").status_code == 302
    listing = client.get("/enterprises/?export=csv").content.decode("utf-8-sig")
    assert nanxun_enterprise.credit_code not in listing
    archived = client.get("/enterprises/?archived=archived&export=csv").content.decode("utf-8-sig")
    assert nanxun_enterprise.credit_code in archived
    client.post(f"/enterprises/{nanxun_enterprise.pk}/restore/")
    assert nanxun_enterprise.credit_code in client.get("/enterprises/?export=csv").content.decode("utf-8-sig")


def test_enterprise_manager_cannot_archive_their_enterprise(client_as, nanxun_enterprise):
    response = client_as("factory_manager").post(f"/enterprises/{nanxun_enterprise.pk}/archive/")
    assert response.status_code == 404
    nanxun_enterprise.refresh_from_db()
    assert nanxun_enterprise.archived_at is None


def test_region_filter_takes_the_whole_subtree(client_as):
    client = client_as("zhejiang_official")
    body = client.get("/enterprises/?region=330500&export=csv").content.decode("utf-8-sig")
    huzhou = Enterprise.objects.filter(region__code__startswith="3305", archived_at__isnull=True)
    for enterprise in huzhou:
        assert enterprise.credit_code in body
    for other in Enterprise.objects.filter(region_id="330784"):
        assert other.credit_code not in body


def test_revoking_consent_hides_the_supplier_from_the_buyer_at_once(client_as, persona):
    consent = BuyerConsent.objects.active().first()
    buyer_client = client_as("buyer")
    assert buyer_client.get(f"/enterprises/{consent.enterprise_id}/").status_code == 200
    services.consent_revoke(actor=persona("admin"), consent=consent)
    assert buyer_client.get(f"/enterprises/{consent.enterprise_id}/").status_code == 404


def test_buyer_sees_the_summary_but_not_contacts_or_history(client_as):
    consent = BuyerConsent.objects.active().first()
    client = client_as("buyer")
    page = client.get(f"/enterprises/{consent.enterprise_id}/").content.decode()
    assert "/contacts/" not in page
    assert client.get(f"/enterprises/{consent.enterprise_id}/contacts/").status_code == 404
    assert client.get(f"/enterprises/{consent.enterprise_id}/history/").status_code == 404
