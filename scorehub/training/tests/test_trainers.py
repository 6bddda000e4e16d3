"""Trainer certification (an expert recommends, the programme office approves), provider accreditation,
and workload and quality per trainer."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorehub.core.scoping import OutOfScope
from scorehub.training import selectors, services
from scorehub.training.models import (
    ClassroomSession,
    CohortEnterprise,
    ProviderAccreditation,
    SurveyResponse,
    TrainerCertification,
    TrainerProfile,
    Visit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang_osh():
    return TrainerCertification.objects.get(trainer__user__username="trainer_wang", module__code="OSH")


def test_expert_recommends_and_office_approves(client_as, persona):
    certification = TrainerCertification.objects.get(trainer__user__username="trainer_wang", module__code="WC")
    assert certification.status == "certified"
    response = client_as("trainer").post(reverse("training:certification-recommend", kwargs={"pk": certification.pk}))
    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.recommended_status, certification.recommended_by) == ("expert", persona("trainer"))
    response = client_as("admin").post(reverse("training:certification-approve", kwargs={"pk": certification.pk}))
    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.status, certification.recommended_status) == ("expert", "")


def test_a_trainer_who_is_not_expert_in_the_module_cannot_recommend(persona, wang_osh):
    # The demo's trainer is certified in OSH, not an expert.
    wang_osh.recommended_status = ""
    wang_osh.save()
    with pytest.raises(OutOfScope):
        services.certification_recommend(actor=persona("trainer"), certification=wang_osh)
    wang_osh.refresh_from_db()
    assert wang_osh.recommended_status == ""


def test_only_the_programme_office_approves(client_as, wang_osh):
    for name in ("huzhou_official", "trainer"):
        assert (
            client_as(name).post(reverse("training:certification-approve", kwargs={"pk": wang_osh.pk})).status_code
            == 404
        )
    wang_osh.refresh_from_db()
    assert wang_osh.status == "supervised"


def test_approval_needs_a_recommendation(persona):
    certification = TrainerCertification.objects.get(trainer__user__username="trainer", module__code="QM")
    with pytest.raises(ValidationError, match="recommend"):
        services.certification_approve(actor=persona("admin"), certification=certification)


def test_experts_cannot_recommend_themselves(persona):
    own = TrainerCertification.objects.get(trainer__user__username="trainer", module__code="QM")
    TrainerCertification.objects.filter(trainer__user__username="trainer", module__code="WC").update(status="expert")
    own.module = TrainerCertification.objects.get(trainer__user__username="trainer", module__code="WC").module
    with pytest.raises(ValidationError):
        services.certification_recommend(actor=persona("trainer"), certification=own)


def test_provider_accreditation_recommended_then_approved(persona):
    accreditation = ProviderAccreditation.objects.get(module__code="OSH", status="applied")
    assert accreditation.recommended_by is not None
    services.accreditation_approve(actor=persona("admin"), accreditation=accreditation)
    accreditation.refresh_from_db()
    assert accreditation.status == "accredited"
    with pytest.raises(OutOfScope):
        services.accreditation_suspend(actor=persona("huzhou_official"), accreditation=accreditation)


def test_trainers_see_only_their_providers_trainers(persona):
    visible = TrainerProfile.objects.visible_to(persona("zj_trainer"))
    assert set(visible.values_list("provider__name_zh", flat=True)) == {"浙江安全生产培训服务中心"}


def test_workload_and_quality_per_trainer_match_independent_counts(persona):
    trainer = persona("trainer")
    profile = selectors.with_trainer_numbers(TrainerProfile.objects.filter(user=trainer)).get()
    sessions = [s for s in ClassroomSession.objects.all() if trainer in s.trainers.all()]
    visits = [v for v in Visit.objects.filter(status="done") if trainer in v.consultants.all()]
    coached = {
        ce.enterprise_id
        for ce in CohortEnterprise.objects.select_related("cohort")
        if trainer.pk in ce.cohort.all_trainer_ids()
    }
    responses = [r for r in SurveyResponse.objects.all() if r.session in sessions]
    assert profile.session_count == len(sessions) > 0
    assert profile.visit_count == len(visits) > 0
    assert profile.enterprise_count == len(coached) > 0
    assert profile.response_count == len(responses)
    assert profile.satisfied_count == sum(1 for r in responses if r.overall >= 4)


def test_trainer_list_shows_workload_with_few_queries(client_as, django_assert_max_num_queries):
    client = client_as("admin")
    client.get(reverse("training:trainer-list"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("training:trainer-list"))
    assert len(list(response.context["table"].paginated_rows)) == TrainerProfile.objects.count()


def test_lead_trainer_choices_are_the_providers_trainers(client_as):
    response = client_as("trainer").get(reverse("training:cohort-create"))
    names = {u.username for u in response.context["form"].fields["lead_trainer"].queryset}
    assert names == {"trainer", "trainer_wang"}
