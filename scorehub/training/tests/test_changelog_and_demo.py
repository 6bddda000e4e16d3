"""Training writes land in the change log; the demo data set is reproducible and quick."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from scorehub.training import services
from scorehub.training.models import Visit, VisitStatus

pytestmark = pytest.mark.django_db


def test_recording_a_visit_is_in_the_change_log_with_its_author(persona, nanxun_participation, today):
    trainer = persona("trainer")
    visit = nanxun_participation.visits.filter(status=VisitStatus.PLANNED).order_by("planned_on").first()
    visit.done_on = today
    services.visit_record(actor=trainer, visit=visit, consultants=[trainer], plan_next=False)
    entry = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Visit), object_pk=str(visit.pk)
    ).latest("timestamp")
    assert entry.actor == trainer
    assert entry.changes_dict["status"] == ["planned", "done"]


def clear_training_demo() -> None:
    from scorehub.accounts.models import User
    from scorehub.training import models as m

    for model in (m.Certificate, m.CohortEnterprise, m.Cohort, m.Enrolment, m.Programme):
        model._default_manager.all().delete()
    for model in (m.ImprovementTeam, m.PlanItem, m.TrainerCertification, m.TrainerProfile, m.ProviderAccreditation):
        model._default_manager.all().delete()
    User.objects.filter(username__in=["zj_trainer", "trainer_wang", "trainer_zhou"]).delete()


def demo_context():
    """A context as the earlier apps leave it: personas, organisations, enterprises, the persona enterprise."""
    from scorehub.accounts.models import Organisation, User
    from scorehub.core.demodata import DemoContext
    from scorehub.enterprises.models import Enterprise

    ctx = DemoContext(seed=7, enterprise_count=30, rng=random.Random(7), today=dt.date(2026, 6, 1))
    ctx.users = {u.username: u for u in User.objects.all()}
    keys = {
        "SCORE 项目办公室": "office",
        "湖州市应急管理局": "huzhou",
        "房山区应急管理局": "fangshan",
        "永康市应急管理局": "yongkang",
        "中国企业联合会培训中心": "cec",
        "浙江安全生产培训服务中心": "zjtrain",
    }
    ctx.organisations = {keys[o.name_zh]: o for o in Organisation.objects.filter(name_zh__in=keys)}
    ctx.enterprises = list(Enterprise.objects.order_by("pk"))
    ctx.notes["persona_enterprise"] = Organisation.objects.get(kind="enterprise").enterprise
    return ctx


def snapshot():
    from scorehub.training.models import Cohort, Participant, PlanItem

    return (
        sorted(Cohort.objects.values_list("name", "members__enterprise__credit_code").distinct()),
        sorted(Participant.objects.values_list("name", "role", "gender")),
        sorted(Visit.objects.values_list("enterprise__credit_code", "kind", "planned_on", "status")),
        sorted(PlanItem.objects.values_list("objective", "due_on")),
    )


def test_demo_training_data_is_reproducible():
    from scorehub.training import demo

    results = []
    for _run in range(2):
        clear_training_demo()
        demo.build(demo_context())
        results.append(snapshot())
    first, second = results
    assert first == second
    assert all(first[:3])
