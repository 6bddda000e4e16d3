"""Checklist templates: versions kept by checks, and who edits them (the import: test_checklist_import.py)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from scorehub.safety import services
from scorehub.safety.models import CheckKind, ChecklistItem, ChecklistTemplate, ChecklistVersion, Outcome

pytestmark = pytest.mark.django_db


def test_editing_a_version_used_by_checks_makes_a_new_version(persona, nanxun_enterprise):
    admin = persona("admin")
    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    used = template.current_version
    item = used.items.get(code="E01")
    check, _ = services.check_submit(
        actor=admin,
        enterprise=nanxun_enterprise,
        client_uuid=uuid.uuid4(),
        kind=CheckKind.GOVERNMENT,
        version=used,
        checked_on=timezone.localdate(),
        results=[services.ResultInput(item_id=item.pk, outcome=Outcome.PASS)],
    )
    edited = services.checklist_item_save(actor=admin, template=template, item=item, data={"text_zh": "配电箱上锁"})
    assert edited.version.number == used.number + 1
    assert edited.version.items.count() == used.items.count()
    used.refresh_from_db()
    assert used.items.get(code="E01").text_zh != "配电箱上锁"
    check.refresh_from_db()
    assert check.version == used
    # A second edit before any check uses the new version stays in it.
    again = services.checklist_item_save(actor=admin, template=template, item=edited, data={"reference": "GB 50054"})
    assert again.version == edited.version
    assert ChecklistVersion.objects.filter(template=template).count() == used.number + 1


def test_enterprise_staff_and_inspectors_read_but_do_not_edit_checklists(persona):
    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    assert ChecklistTemplate.objects.visible_to(persona("factory_manager")).filter(pk=template.pk).exists()
    assert ChecklistTemplate.objects.visible_to(persona("buyer")).filter(pk=template.pk).exists()
    assert not ChecklistTemplate.objects.visible_to(persona("nanxun_inspector"), "change").exists()
    assert ChecklistTemplate.objects.visible_to(persona("huzhou_official"), "change").exists()


@pytest.mark.parametrize("who", ["nanxun_inspector", "trainer", "factory_manager", "buyer"])
def test_only_editors_change_checklists_and_a_refusal_changes_nothing(client_as, who):
    client = client_as(who)
    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    item = template.current_version.items.first()
    before = (ChecklistTemplate.objects.count(), ChecklistItem.objects.count(), ChecklistVersion.objects.count())
    for url in (
        reverse("safety:checklist-edit", kwargs={"pk": template.pk}),
        reverse("safety:checklist-item-add", kwargs={"pk": template.pk}),
        reverse("safety:checklist-item-edit", kwargs={"pk": item.pk}),
        reverse("safety:checklist-item-remove", kwargs={"pk": item.pk}),
        reverse("safety:checklist-create"),
    ):
        assert client.post(url, {"code": "X1", "category": "fire", "text_zh": "测试"}).status_code == 404, url
    assert (
        ChecklistTemplate.objects.count(),
        ChecklistItem.objects.count(),
        ChecklistVersion.objects.count(),
    ) == before
    # Reading them is for everyone with a scope.
    assert client.get(reverse("safety:checklist-detail", kwargs={"pk": template.pk})).status_code == 200
