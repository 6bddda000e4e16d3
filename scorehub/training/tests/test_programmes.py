"""Programmes, targets and enrolment: officials manage them in their area; progress against target."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.regions.models import Region
from scorehub.training import selectors, services
from scorehub.training.models import Enrolment, EnrolmentStatus, Programme, ProgrammeTarget, TargetKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_programme(persona, today):
    return services.programme_save(
        actor=persona("huzhou_official"),
        programme=Programme(
            name_zh="德清县 SCORE 新项目",
            name_en="Deqing SCORE",
            region=Region.objects.get(code="330521"),
            starts_on=today - dt.timedelta(days=30),
            ends_on=today + dt.timedelta(days=300),
        ),
    )


def test_official_creates_a_programme_with_a_target_through_the_pages(client_as, today):
    client = client_as("huzhou_official")
    response = client.post(
        reverse("training:programme-create"),
        {
            "name_zh": "吴兴区 SCORE 项目",
            "name_en": "Wuxing SCORE",
            "region": "330502",
            "starts_on": f"{today:%Y-%m-%d}",
            "ends_on": f"{today + dt.timedelta(days=365):%Y-%m-%d}",
            "followup_visits": 3,
            "followup_window_days": 90,
            "requires_baseline": "on",
        },
    )
    programme = Programme.objects.get(name_zh="吴兴区 SCORE 项目")
    assert response.status_code == 302
    assert response["Location"] == programme.get_absolute_url()
    response = client.post(
        reverse("training:target-add", kwargs={"pk": programme.pk}),
        {"kind": "enrolments", "value": 20, "due_on": f"{today + dt.timedelta(days=200):%Y-%m-%d}"},
    )
    assert response.status_code == 302
    assert list(programme.targets.values_list("kind", "value")) == [("enrolments", 20)]


def test_official_cannot_create_a_programme_outside_the_jurisdiction(persona, today):
    with pytest.raises(OutOfScope):
        services.programme_save(
            actor=persona("huzhou_official"),
            programme=Programme(
                name_zh="房山", region_id="110111", starts_on=today, ends_on=today + dt.timedelta(days=10)
            ),
        )
    assert not Programme.objects.filter(name_zh="房山").exists()


def test_trainer_cannot_open_the_programme_form(client_as):
    assert client_as("trainer").get(reverse("training:programme-create")).status_code == 404


def test_enrolment_is_all_or_nothing(persona, new_programme, today):
    official = persona("huzhou_official")
    deqing = list(Enterprise.objects.filter(region_id="330521")[:2])
    nanxun = Enterprise.objects.filter(region_id="330503").first()
    with pytest.raises(ValidationError) as error:
        services.enrolment_create_many(
            actor=official, programme=new_programme, enterprises=[*deqing, nanxun], enrolled_on=today
        )
    assert "lies outside the programme's region" in " ".join(error.value.messages)
    assert not Enrolment.objects.filter(programme=new_programme).exists()
    created = services.enrolment_create_many(
        actor=official, programme=new_programme, enterprises=deqing, enrolled_on=today
    )
    assert len(created) == 2
    with pytest.raises(ValidationError, match="already enrolled"):
        services.enrolment_create_many(
            actor=official, programme=new_programme, enterprises=deqing[:1], enrolled_on=today
        )


def test_enrolment_page_enrols_ticked_enterprises_and_pasted_credit_codes(client_as, new_programme, today):
    deqing = list(Enterprise.objects.filter(region_id="330521").order_by("pk"))
    assert len(deqing) >= 2
    url = reverse("training:programme-enrol", kwargs={"pk": new_programme.pk})
    client = client_as("huzhou_official")
    page = client.get(url)
    assert page.status_code == 200
    assert deqing[0].name_zh in page.content.decode()
    response = client.post(
        url,
        {
            "enterprises": [deqing[0].pk],
            "credit_codes": deqing[1].credit_code.lower(),
            "enrolled_on": f"{today:%Y-%m-%d}",
        },
    )
    assert response.status_code == 302
    assert set(new_programme.enrolments.values_list("enterprise_id", flat=True)) == {deqing[0].pk, deqing[1].pk}


def test_enrolment_page_refuses_unknown_credit_codes_and_saves_nothing(client_as, new_programme, today):
    response = client_as("huzhou_official").post(
        reverse("training:programme-enrol", kwargs={"pk": new_programme.pk}),
        {"credit_codes": "91330000000000000X", "enrolled_on": f"{today:%Y-%m-%d}"},
    )
    assert response.status_code == 200
    assert "91330000000000000X" in response.content.decode()
    assert not new_programme.enrolments.exists()


def test_enrol_all_matching_follows_the_filter(client_as, new_programme, today):
    deqing = Enterprise.objects.filter(region_id="330521", archived_at__isnull=True)
    division = deqing.first().industry_division
    expected = set(deqing.filter(industry_division=division).values_list("pk", flat=True))
    url = reverse("training:programme-enrol", kwargs={"pk": new_programme.pk}) + f"?industry_division={division}"
    response = client_as("huzhou_official").post(url, {"all_matching": "on", "enrolled_on": f"{today:%Y-%m-%d}"})
    assert response.status_code == 302
    assert set(new_programme.enrolments.values_list("enterprise_id", flat=True)) == expected


def test_dropping_out_needs_a_reason(persona, huzhou_programme):
    enrolment = huzhou_programme.enrolments.exclude(status="dropped").first()
    with pytest.raises(ValidationError):
        services.enrolment_set_status(actor=persona("huzhou_official"), enrolment=enrolment, status="dropped")
    services.enrolment_set_status(
        actor=persona("huzhou_official"), enrolment=enrolment, status="dropped", reason="企业停产"
    )
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.dropped_reason) == ("dropped", "企业停产")


def test_target_progress_counts_enrolments_and_completions_independently(persona, huzhou_programme):
    admin = persona("admin")
    from scorehub.training.models import CohortEnterprise

    progress = selectors.target_progress(
        huzhou_programme, Enrolment.objects.visible_to(admin), CohortEnterprise.objects.visible_to(admin)
    )
    by_kind = {p.target.kind: p.actual for p in progress}
    enrolled = [e for e in Enrolment.objects.filter(programme=huzhou_programme) if e.status != EnrolmentStatus.DROPPED]
    completed_wc = [
        ce
        for ce in CohortEnterprise.objects.filter(cohort__programme=huzhou_programme)
        if ce.completed_on and ce.cohort.module.code == "WC"
    ]
    assert by_kind[TargetKind.ENROLMENTS] == len(enrolled)
    assert by_kind[TargetKind.COMPLETIONS] == len(completed_wc) > 0


def test_programme_page_shows_target_and_chart_data(client_as, huzhou_programme):
    response = client_as("huzhou_official").get(huzhou_programme.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    enrolled = Enrolment.objects.filter(programme=huzhou_programme).exclude(status="dropped").count()
    assert f'data-testid="target-actual">{enrolled}<' in body
    assert 'id="programme-chart-data"' in body
    chart = response.context["chart"]
    assert chart["enrolled"][-1] == enrolled
    assert {"month": f"{huzhou_programme.targets.get(kind='enrolments').due_on:%Y-%m}", "value": 1000} in chart[
        "targets"
    ]


def test_enrolment_target_must_not_name_a_module(persona, huzhou_programme, today):
    from scorehub.training.models import Module

    with pytest.raises(ValidationError):
        services.target_add(
            actor=persona("huzhou_official"),
            programme=huzhou_programme,
            target=ProgrammeTarget(
                kind="enrolments", module=Module.objects.get(code="WC", version=1), value=5, due_on=today
            ),
        )


def test_enrolment_list_is_scoped_paginated_and_exports(client_as):
    client = client_as("fangshan_official")
    response = client.get(reverse("training:enrolment-list"))
    assert response.status_code == 200
    rows = response.context["table"].data
    assert all(r.enterprise.region_id == "110111" for r in rows)
    export = client.get(reverse("training:enrolment-list") + "?export=csv")
    assert export.status_code == 200
    text = export.content.decode("utf-8-sig")
    assert Enrolment.objects.filter(enterprise__region_id="110111").first().enterprise.credit_code in text
    assert "3305" not in "".join(line.split(",")[0] for line in text.splitlines()[1:])
