"""Safety checks: idempotent submission, one hazard per failed item, refusals, who may check what."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.safety import services
from scorehub.safety.models import (
    BureauNotification,
    CheckKind,
    ChecklistTemplate,
    Hazard,
    HazardClass,
    HazardStatus,
    Outcome,
    SafetyCheck,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def general_version():
    return ChecklistTemplate.objects.get(code="GEN-MFG").current_version


def results_for(version, failed_codes, passed=5):
    items = list(version.items.all())
    chosen = [i for i in items if i.code in failed_codes]
    others = [i for i in items if i.code not in failed_codes][:passed]
    return [services.ResultInput(item_id=i.pk, outcome=Outcome.FAIL, note="现场发现") for i in chosen] + [
        services.ResultInput(item_id=i.pk, outcome=Outcome.PASS) for i in others
    ]


def submit(actor, enterprise, version, key, failed=("E04", "H03"), **extra):
    return services.check_submit(
        actor=actor,
        enterprise=enterprise,
        client_uuid=key,
        kind=extra.pop("kind", CheckKind.GOVERNMENT),
        version=version,
        checked_on=extra.pop("checked_on", timezone.localdate()),
        results=results_for(version, failed),
        place="二车间",
        **extra,
    )


def test_each_failed_item_opens_exactly_one_hazard_linked_to_it(persona, nanxun_enterprise, general_version):
    check, created = submit(persona("nanxun_inspector"), nanxun_enterprise, general_version, uuid.uuid4())
    assert created
    hazards = Hazard.objects.filter(check_result__check_record=check)
    assert hazards.count() == 2
    assert {h.check_result.item.code for h in hazards} == {"E04", "H03"}
    assert all(h.status == HazardStatus.FOUND and h.found_on == check.checked_on for h in hazards)
    assert all(h.events.filter(kind="found").count() == 1 for h in hazards)


def test_a_retry_with_the_same_id_returns_the_first_check_and_creates_nothing(
    persona, nanxun_enterprise, general_version
):
    inspector = persona("nanxun_inspector")
    key = uuid.uuid4()
    first, created = submit(inspector, nanxun_enterprise, general_version, key)
    checks, hazards = SafetyCheck.objects.count(), Hazard.objects.count()
    again, created_again = submit(inspector, nanxun_enterprise, general_version, str(key))
    assert created
    assert not created_again
    assert again.pk == first.pk
    assert (SafetyCheck.objects.count(), Hazard.objects.count()) == (checks, hazards)


def test_the_form_posted_twice_makes_one_check(client_as, nanxun_enterprise, general_version):
    client = client_as("nanxun_inspector")
    items = list(general_version.items.all()[:4])
    key = str(uuid.uuid4())
    data = {
        "client_uuid": key,
        "template": general_version.template_id,
        "version": general_version.pk,
        "kind": CheckKind.GOVERNMENT,
        "checked_on": timezone.localdate().isoformat(),
        "place": "仓库",
        f"outcome_{items[0].pk}": "fail",
        f"outcome_{items[1].pk}": "fail",
        f"outcome_{items[2].pk}": "pass",
        f"outcome_{items[3].pk}": "na",
    }
    url = reverse("safety:check-new", kwargs={"pk": nanxun_enterprise.pk})
    before = SafetyCheck.objects.count(), Hazard.objects.count()
    first = client.post(url, data, HTTP_X_REQUESTED_WITH="fetch")
    second = client.post(url, data, HTTP_X_REQUESTED_WITH="fetch")
    assert first.status_code == 200
    assert first.json()["created"] is True
    assert second.json() == {**first.json(), "created": False}
    assert (SafetyCheck.objects.count(), Hazard.objects.count()) == (before[0] + 1, before[1] + 2)


def test_a_failed_major_item_is_reported_to_every_bureau_of_the_jurisdiction(
    persona, nanxun_enterprise, general_version
):
    check, _ = submit(persona("nanxun_inspector"), nanxun_enterprise, general_version, uuid.uuid4(), failed=("F03",))
    hazard = Hazard.objects.get(check_result__check_record=check)
    assert hazard.hazard_class == HazardClass.MAJOR
    bureaus = set(BureauNotification.objects.filter(hazard=hazard).values_list("bureau__region_id", flat=True))
    assert bureaus == {"330000", "330500", "330503"}  # province, Huzhou, Nanxun; not Deqing or Fangshan
    assert hazard.events.filter(kind="reported").exists()


def test_a_check_dated_in_the_future_is_refused_and_nothing_saved(persona, nanxun_enterprise, general_version):
    before = SafetyCheck.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        submit(
            persona("nanxun_inspector"),
            nanxun_enterprise,
            general_version,
            uuid.uuid4(),
            checked_on=timezone.localdate() + dt.timedelta(days=2),
        )
    assert "checked_on" in excinfo.value.message_dict
    assert SafetyCheck.objects.count() == before


def test_a_checklist_of_another_industry_needs_confirmation(persona, nanxun_enterprise):
    fireworks = ChecklistTemplate.objects.get(code="FIREWORKS").current_version
    assert nanxun_enterprise.industry_division != "26"
    inspector = persona("nanxun_inspector")
    before = SafetyCheck.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        submit(inspector, nanxun_enterprise, fireworks, uuid.uuid4(), failed=("YH01",))
    assert "confirm_industry" in excinfo.value.message_dict
    assert SafetyCheck.objects.count() == before
    check, created = submit(
        inspector, nanxun_enterprise, fireworks, uuid.uuid4(), failed=("YH01",), confirm_industry=True
    )
    assert created
    assert check.industry_confirmed


def test_the_check_form_warns_about_a_checklist_of_another_industry(client_as, nanxun_enterprise):
    fireworks = ChecklistTemplate.objects.get(code="FIREWORKS")
    url = reverse("safety:check-new", kwargs={"pk": nanxun_enterprise.pk}) + f"?template={fireworks.pk}"
    response = client_as("nanxun_inspector").get(url)
    assert response.status_code == 200
    assert b'data-testid="industry-warning"' in response.content


def test_an_item_from_another_version_is_refused(persona, nanxun_enterprise, general_version):
    other = ChecklistTemplate.objects.get(code="FIREWORKS").current_version.items.first()
    with pytest.raises(ValidationError):
        services.check_submit(
            actor=persona("nanxun_inspector"),
            enterprise=nanxun_enterprise,
            client_uuid=uuid.uuid4(),
            kind=CheckKind.GOVERNMENT,
            version=general_version,
            checked_on=timezone.localdate(),
            results=[services.ResultInput(item_id=other.pk, outcome=Outcome.FAIL)],
        )


def test_the_same_id_for_another_enterprise_is_refused(persona, nanxun_enterprise, general_version):
    key = uuid.uuid4()
    submit(persona("admin"), nanxun_enterprise, general_version, key)
    other = Enterprise.objects.exclude(pk=nanxun_enterprise.pk).first()
    with pytest.raises(ValidationError):
        submit(persona("admin"), other, general_version, key)


@pytest.mark.parametrize(
    ("username", "kind", "allowed"),
    [
        ("nanxun_inspector", CheckKind.GOVERNMENT, True),
        ("nanxun_inspector", CheckKind.SELF_CHECK, False),
        ("factory_manager", CheckKind.SELF_CHECK, True),
        ("factory_manager", CheckKind.GOVERNMENT, False),
        ("trainer", CheckKind.WALKTHROUGH, True),
        ("trainer", CheckKind.JOINT_VISIT, True),
        ("trainer", CheckKind.GOVERNMENT, False),
        ("buyer", CheckKind.SELF_CHECK, False),
        ("fangshan_official", CheckKind.GOVERNMENT, False),
    ],
)
def test_who_may_record_which_kind_of_check(persona, nanxun_enterprise, general_version, username, kind, allowed):
    before = SafetyCheck.objects.count()
    if allowed:
        _, created = submit(persona(username), nanxun_enterprise, general_version, uuid.uuid4(), kind=kind)
        assert created
    else:
        with pytest.raises(OutOfScope):
            submit(persona(username), nanxun_enterprise, general_version, uuid.uuid4(), kind=kind)
        assert SafetyCheck.objects.count() == before


def test_an_inspector_cannot_check_outside_the_district(persona, general_version):
    deqing = Enterprise.objects.filter(region_id="330521").first()
    with pytest.raises(OutOfScope):
        submit(persona("nanxun_inspector"), deqing, general_version, uuid.uuid4())


def test_a_planned_inspection_becomes_the_check(persona, general_version):
    from scorehub.safety.models import PlannedInspection, PlannedStatus

    planned = PlannedInspection.objects.filter(status=PlannedStatus.PLANNED).first()
    check, _ = submit(persona("admin"), planned.enterprise, general_version, uuid.uuid4(), planned=planned)
    planned.refresh_from_db()
    assert planned.status == PlannedStatus.DONE
    assert planned.done_check == check


def test_check_list_filters_by_kind(client_as):
    response = client_as("huzhou_official").get(reverse("safety:check-list"), {"kind": "government"})
    assert response.status_code == 200
    table = response.context["table"]
    assert {row.record.kind for row in table.page.object_list} == {"government"}
    expected = SafetyCheck.objects.filter(kind="government", enterprise__region__code__startswith="3305").count()
    assert response.context["total_count"] == expected
