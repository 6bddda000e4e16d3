"""The progress path, completion with its reasons, certificates as bilingual PDF with a QR code, and the
public verification page."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from scorehub.training import selectors, services
from scorehub.training.models import Attendance, Certificate, CohortEnterprise, Visit, VisitKind, VisitStatus

from .helpers import pdf_page_image, pdf_text

pytestmark = pytest.mark.django_db


def test_progress_path_reflects_the_records(nanxun_participation):
    progress = selectors.load_progress(nanxun_participation)
    steps = {s.key: s.done for s in progress.steps}
    done_followups = nanxun_participation.visits.filter(kind="follow_up", status="done").count()
    assert steps["enrolled"] is True
    assert steps["baseline"] is nanxun_participation.visits.filter(kind="baseline", status="done").exists()
    assert (
        steps["classroom"]
        is Attendance.objects.filter(
            participant__enterprise=nanxun_participation.enterprise,
            participant__session__cohort=nanxun_participation.cohort,
        ).exists()
    )
    assert steps["visits"] is (done_followups >= 3)
    assert steps["completed"] is False
    assert f"{done_followups} of the 3 follow-up visits" in " ".join(progress.reasons)


def test_completion_is_refused_with_the_reasons_and_nothing_changes(persona, nanxun_participation):
    with pytest.raises(ValidationError) as error:
        services.participation_complete(actor=persona("trainer"), participation=nanxun_participation)
    assert "follow-up visits" in " ".join(error.value.messages)
    nanxun_participation.refresh_from_db()
    assert nanxun_participation.completed_on is None


def test_a_certificate_for_an_incomplete_module_is_refused(client_as, nanxun_participation):
    response = client_as("trainer").post(
        reverse("training:certificate-issue", kwargs={"pk": nanxun_participation.pk}), follow=True
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("不完整" in m or "not complete" in m for m in messages)
    assert not Certificate.objects.filter(participation=nanxun_participation).exists()


def finish(participation, trainer, today):
    """Record the missing follow-up visits (after the classroom) so the module can complete."""
    for visit in participation.visits.filter(kind="follow_up", status="planned"):
        visit.done_on = today
        services.visit_record(actor=trainer, visit=visit, consultants=[trainer], plan_next=False)


def test_completion_then_certificate_then_public_verification(client, client_as, persona, nanxun_participation, today):
    trainer = persona("trainer")
    finish(nanxun_participation, trainer, today)
    services.participation_complete(actor=trainer, participation=nanxun_participation)
    certificate = services.certificate_issue(actor=trainer, participation=nanxun_participation)
    assert certificate.module.code == "OSH"
    assert certificate.is_valid
    # Anyone can check it, without an account, and sees only the certificate's facts.
    response = client.get(reverse("training:certificate-verify", kwargs={"code": certificate.verification_code}))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="verify-valid"' in body
    assert certificate.enterprise.name_zh in body
    assert "职业安全与健康" in body
    assert certificate.enterprise.credit_code not in body
    assert certificate.enterprise.address not in body
    assert "沈国平" not in body  # the manager's name appears nowhere


def test_verification_code_is_case_insensitive_and_unknown_codes_say_so(client):
    certificate = Certificate.objects.first()
    response = client.get(
        reverse("training:certificate-verify", kwargs={"code": certificate.verification_code.lower()})
    )
    assert response.status_code == 200
    response = client.get(reverse("training:certificate-verify", kwargs={"code": "AAAA-BBBB-CCCC"}))
    assert response.status_code == 404
    assert 'data-testid="verify-not-found"' in response.content.decode()


def test_revoked_certificate_is_shown_as_revoked(client, persona):
    certificate = Certificate.objects.filter(enterprise__region_id="330503").first()
    services.certificate_revoke(actor=persona("huzhou_official"), certificate=certificate, reason="信息有误")
    response = client.get(reverse("training:certificate-verify", kwargs={"code": certificate.verification_code}))
    assert 'data-testid="verify-revoked"' in response.content.decode()


def test_trainer_cannot_revoke(persona):
    from scorehub.core.scoping import OutOfScope

    certificate = Certificate.objects.filter(enterprise__region_id="330503").first()
    with pytest.raises(OutOfScope):
        services.certificate_revoke(actor=persona("trainer"), certificate=certificate, reason="x")
    certificate.refresh_from_db()
    assert certificate.is_valid


def test_verification_is_throttled(client):
    code = Certificate.objects.first().verification_code
    url = reverse("training:certificate-verify", kwargs={"code": code})
    cache.clear()
    # The clock stands still: the one-minute window cannot end while the requests are being sent.
    with time_machine.travel(dt.datetime(2030, 3, 4, 2, 0, 10, tzinfo=dt.UTC), tick=False):
        statuses = [client.get(url).status_code for _ in range(62)]
        refused = client.get(url)
    assert statuses == [200] * 60 + [429] * 2
    assert refused["Retry-After"] == "50"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_certificate_pdf_is_bilingual_with_code_and_link(client_as, nanxun_enterprise, tmp_path):
    certificate = Certificate.objects.filter(enterprise=nanxun_enterprise).select_related("module").first()
    response = client_as("factory_manager").get(reverse("training:certificate-pdf", kwargs={"pk": certificate.pk}))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, layout=True)
    assert certificate.module.name_zh in text
    assert certificate.module.name_en in text
    assert "结业证书" in text
    assert "Certificate of completion" in text
    assert certificate.verification_code in text
    assert f"/training/verify/{certificate.verification_code}/" in text
    # The QR code (SVG, drawn as vector paths) fills the bottom-right corner with dark modules.
    if shutil.which("pdftoppm"):
        from PIL import Image

        page = Image.open(pdf_page_image(response.content, tmp_path)).convert("L")
        width, height = page.size
        corner = page.crop((int(width * 0.75), int(height * 0.7), width, height))
        dark = sum(corner.histogram()[:100])
        assert dark > 0.05 * corner.size[0] * corner.size[1]


def test_certificate_of_another_enterprise_is_404(client_as):
    other = Certificate.objects.exclude(enterprise__region_id="330503").first()
    assert (
        client_as("factory_manager").get(reverse("training:certificate-pdf", kwargs={"pk": other.pk})).status_code
        == 404
    )


def test_progress_page_explains_why_the_module_is_not_complete(client_as, nanxun_participation):
    response = client_as("factory_manager").get(nanxun_participation.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="not-complete-reasons"' in body
    assert 'data-testid="complete-button"' not in body  # the enterprise reads, the trainer acts


def test_not_requiring_a_baseline_skips_that_step(persona, nanxun_participation):
    programme = nanxun_participation.cohort.programme
    programme.requires_baseline = False
    programme.save()
    nanxun_participation.visits.filter(kind=VisitKind.BASELINE).delete()
    progress = selectors.load_progress(nanxun_participation)
    baseline = next(s for s in progress.steps if s.key == "baseline")
    assert not baseline.required
    assert not any("baseline" in r for r in progress.reasons)


def test_year_after_visit_is_planned_when_the_programme_asks(persona, today):
    participation = CohortEnterprise.objects.filter(cohort__programme__plans_year_after_visit=True).first()
    assert participation.visits.filter(kind=VisitKind.YEAR_AFTER).exists()
    participation.visits.filter(kind=VisitKind.YEAR_AFTER).delete()
    planned = services.participation_plan_visits(actor=persona("trainer"), participation=participation)
    assert [v.kind for v in planned] == [VisitKind.YEAR_AFTER]
    first_end = participation.cohort.sessions.order_by("ends_on").first().ends_on
    assert planned[0].planned_on == first_end + dt.timedelta(days=365)


def test_recording_the_next_visit_plans_it(persona, nanxun_participation, today):
    trainer = persona("trainer")
    visit = nanxun_participation.visits.filter(kind="follow_up", status="planned").order_by("planned_on").first()
    Visit.objects.filter(participation=nanxun_participation, status="planned").exclude(pk=visit.pk).delete()
    visit.done_on = today
    visit.next_visit_on = today + dt.timedelta(days=30)
    services.visit_record(actor=trainer, visit=visit, consultants=[trainer])
    assert nanxun_participation.visits.filter(
        status=VisitStatus.PLANNED, planned_on=today + dt.timedelta(days=30)
    ).exists()
