"""In-factory visits: dates against enrolment and classroom, joint visits with inspectors, findings marked
advice or enforcement, photos, the bilingual PDF report, the calendar."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from scorehub.accounts.models import User
from scorehub.core.tests.photo_files import CAMERA_MAKE, jpeg_with_gps, pixel_bomb_png, truncated_jpeg, upload
from scorehub.training import services
from scorehub.training.models import FindingKind, Visit, VisitFinding, VisitKind, VisitPhoto, VisitStatus

from .helpers import pdf_text

pytestmark = pytest.mark.django_db


def test_a_visit_before_enrolment_is_refused(persona, nanxun_participation):
    enrolled_on = nanxun_participation.enrolment.enrolled_on
    visit = Visit(kind=VisitKind.BASELINE, planned_on=enrolled_on - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        services.visit_plan(actor=persona("trainer"), participation=nanxun_participation, visit=visit)
    assert "cannot come before its enrolment" in " ".join(error.value.messages)
    assert visit.pk is None


def test_a_followup_before_the_classroom_is_refused(persona, nanxun_participation):
    first_end = nanxun_participation.cohort.sessions.order_by("ends_on").first().ends_on
    visit = Visit(kind=VisitKind.FOLLOW_UP, planned_on=first_end)
    with pytest.raises(ValidationError, match="after the classroom training"):
        services.visit_plan(actor=persona("trainer"), participation=nanxun_participation, visit=visit)


def test_a_followup_in_a_cohort_without_classroom_is_refused(persona, huzhou_programme, today):
    from scorehub.training.models import Cohort, CohortEnterprise, Module

    trainer = persona("trainer")
    cohort = services.cohort_save(
        actor=trainer,
        cohort=Cohort(
            programme=huzhou_programme,
            module=Module.objects.get(code="WC", version=1),
            provider=trainer.memberships.get().organisation,
            name="无课堂",
            lead_trainer=trainer,
        ),
        co_trainers=[],
    )
    enrolment = huzhou_programme.enrolments.filter(enterprise__region_id="330503", status="active").first()
    services.cohort_enrol(actor=trainer, cohort=cohort, enterprises=[enrolment.enterprise], joined_on=today)
    participation = CohortEnterprise.objects.get(cohort=cohort)
    with pytest.raises(ValidationError, match="schedule a classroom session first"):
        services.visit_plan(
            actor=trainer, participation=participation, visit=Visit(kind=VisitKind.FOLLOW_UP, planned_on=today)
        )


def test_recording_a_followup_needs_classroom_attendance_first(persona, nanxun_participation):
    visit = nanxun_participation.visits.filter(kind=VisitKind.FOLLOW_UP, status=VisitStatus.PLANNED).first()
    attended = nanxun_participation.enterprise.training_participants.filter(
        session__cohort=nanxun_participation.cohort, attendance__isnull=False
    )
    first_day = min(a.day for p in attended for a in p.attendance.all())
    visit.done_on = first_day - dt.timedelta(days=1)
    visit.status = VisitStatus.DONE
    trainer = persona("trainer")
    with pytest.raises(ValidationError):
        services.visit_record(actor=trainer, visit=visit, consultants=[trainer])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PLANNED


def test_trainer_records_a_joint_visit_with_the_inspector(client_as, persona, nanxun_participation, today):
    visit = (
        nanxun_participation.visits.filter(kind=VisitKind.FOLLOW_UP, status=VisitStatus.PLANNED)
        .order_by("planned_on")
        .first()
    )
    inspector = persona("nanxun_inspector")
    trainer = persona("trainer")
    response = client_as("trainer").post(
        reverse("training:visit-record", kwargs={"pk": visit.pk}),
        {
            "done_on": f"{today:%Y-%m-%d}",
            "consultants": [trainer.pk],
            "inspector": inspector.pk,
            "observations": "与安全监管人员一起巡查冲压车间。",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.done_on, visit.inspector) == (VisitStatus.DONE, today, inspector)
    assert visit.is_joint


def test_only_an_inspector_of_the_area_can_be_named(persona, nanxun_participation, today):
    visit = nanxun_participation.visits.filter(status=VisitStatus.PLANNED).first()
    visit.done_on = today
    visit.inspector = User.objects.get(username="fangshan_official")
    with pytest.raises(ValidationError, match="not a safety inspector"):
        services.visit_record(actor=persona("trainer"), visit=visit, consultants=[persona("trainer")])


def test_inspector_joins_a_planned_visit_and_records_an_enforcement_finding(client_as, persona, nanxun_participation):
    visit = nanxun_participation.visits.filter(status=VisitStatus.PLANNED).order_by("planned_on").last()
    visit.inspector = None
    visit.save()
    client = client_as("nanxun_inspector")
    assert client.post(reverse("training:visit-join", kwargs={"pk": visit.pk})).status_code == 302
    visit.refresh_from_db()
    assert visit.inspector == persona("nanxun_inspector")
    response = client.post(
        reverse("training:finding-add", kwargs={"pk": visit.pk}),
        {"text": "配电箱未上锁。", "kind": FindingKind.ENFORCEMENT},
    )
    assert response.status_code == 302
    assert visit.findings.filter(kind="enforcement", text="配电箱未上锁。").exists()


def test_inspector_of_another_district_cannot_join(persona):
    from scorehub.core.scoping import OutOfScope

    visit = Visit.objects.filter(enterprise__region_id="330521", status=VisitStatus.PLANNED).first()
    with pytest.raises(OutOfScope):
        services.visit_join(actor=persona("nanxun_inspector"), visit=visit)


def test_enterprise_cannot_record_findings(client_as, nanxun_participation):
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    before = visit.findings.count()
    response = client_as("factory_manager").post(
        reverse("training:finding-add", kwargs={"pk": visit.pk}), {"text": "x", "kind": "advice"}
    )
    assert response.status_code == 404
    assert visit.findings.count() == before


def test_enterprise_signs_off_a_done_visit(client_as, nanxun_participation, today):
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).order_by("-done_on").first()
    response = client_as("factory_manager").post(
        reverse("training:visit-sign-off", kwargs={"pk": visit.pk}),
        {"signed_by": "沈国平", "signed_on": f"{today:%Y-%m-%d}"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.signed_by, visit.signed_on) == ("沈国平", today)


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0110] = "PhoneModel"  # Model
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_photo_upload_strips_metadata(client_as, nanxun_participation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    upload = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    assert Image.open(io.BytesIO(jpeg_with_exif())).getexif()
    response = client_as("trainer").post(
        reverse("training:photo-add", kwargs={"pk": visit.pk}), {"image": upload, "caption": "通道"}
    )
    assert response.status_code == 302
    photo = VisitPhoto.objects.get(visit=visit, caption="通道")
    with photo.image.open("rb") as handle:
        stored = Image.open(handle)
        assert stored.format == "JPEG"
        assert not stored.getexif()
    served = client_as("factory_manager").get(reverse("training:photo-file", kwargs={"pk": photo.pk}))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"
    assert client_as("zj_trainer").get(reverse("training:photo-file", kwargs={"pk": photo.pk})).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused(client_as, nanxun_participation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    upload = SimpleUploadedFile("p.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    before = VisitPhoto.objects.count()
    response = client_as("trainer").post(reverse("training:photo-add", kwargs={"pk": visit.pk}), {"image": upload})
    assert response.status_code == 200
    assert VisitPhoto.objects.count() == before


def add_photo(client, visit, photo):
    return client.post(reverse("training:photo-add", kwargs={"pk": visit.pk}), {"image": photo, "caption": "通道"})


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note; the cleaner refuses
def test_a_pixel_bomb_is_refused_with_the_limit_and_nothing_saved(client_as, nanxun_participation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    before = VisitPhoto.objects.count()
    response = add_photo(client_as("trainer"), visit, upload(pixel_bomb_png(7000), "bomb.png", "image/png"))
    assert response.status_code == 200
    assert "照片像素过多：最多 40 百万像素。" in response.content.decode()
    assert VisitPhoto.objects.count() == before
    assert not any(tmp_path.rglob("*.*"))


def test_a_broken_photo_is_refused(client_as, nanxun_participation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    before = VisitPhoto.objects.count()
    response = add_photo(client_as("trainer"), visit, upload(truncated_jpeg()))
    assert response.status_code == 200
    assert "不是可读取的照片" in response.content.decode()
    assert VisitPhoto.objects.count() == before


def test_a_phone_photo_is_stored_without_its_position(client_as, nanxun_participation, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE).first()
    response = add_photo(client_as("trainer"), visit, upload(jpeg_with_gps()))
    assert response.status_code == 302
    photo = VisitPhoto.objects.get(visit=visit, caption="通道")
    with photo.image.open("rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert stored.size == (1600, 1200)
    assert CAMERA_MAKE.encode() not in data


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_visit_report_pdf_is_bilingual(client_as, nanxun_participation):
    visit = nanxun_participation.visits.filter(status=VisitStatus.DONE, findings__isnull=False).first()
    VisitFinding.objects.create(visit=visit, text="消防通道堆放物料", kind="enforcement")
    response = client_as("trainer").get(reverse("training:visit-pdf", kwargs={"pk": visit.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "职业安全与健康" in text
    assert "Safety and Health at Work" in text
    assert "入厂辅导报告" in text
    assert "In-factory visit report" in text
    assert "消防通道堆放物料" in text
    assert "执法事项" in text
    assert "Enforcement matter" in text
    assert visit.enterprise.name_zh in text


def test_calendar_lists_the_trainers_overdue_and_coming_visits(client_as, persona, today):
    trainer = persona("trainer")
    response = client_as("trainer").get(reverse("training:visit-calendar"))
    assert response.status_code == 200
    overdue = response.context["overdue"]
    expected = Visit.objects.filter(status="planned", planned_on__lt=today, consultants=trainer)
    assert {v.pk for v in overdue} >= set(expected.values_list("pk", flat=True))
    assert all(v.planned_on < today and v.status == "planned" for v in overdue)
    assert overdue, "the demo has overdue visits"


def test_inspector_sees_joint_visits_on_the_home_page(client_as, persona, today):
    inspector = persona("nanxun_inspector")
    Visit.objects.filter(status="planned", planned_on__lt=today, enterprise__region_id="330503").update(
        inspector=inspector
    )
    response = client_as("nanxun_inspector").get(reverse("core:home"))
    labels = {str(item.label): item.count for item in response.context["attention"]}
    expected = Visit.objects.filter(status="planned", planned_on__lt=today, inspector=inspector).count()
    assert labels.get("逾期的联合辅导") == expected or labels.get("Overdue joint visits") == expected


def test_trainer_home_page_counts_overdue_visits(client_as, persona, today):
    response = client_as("trainer").get(reverse("core:home"))
    counts = [item.count for item in response.context["attention"] if item.url == reverse("training:visit-calendar")]
    provider = persona("trainer").memberships.get().organisation
    expected = Visit.objects.filter(
        status="planned", planned_on__lt=today, participation__cohort__provider=provider
    ).count()
    assert counts == [expected]


def test_plan_visits_spreads_followups_after_the_classroom(persona, osh_cohort):
    participation = osh_cohort.members.first()
    participation.visits.filter(kind="follow_up", status="planned").delete()
    planned = services.participation_plan_visits(actor=persona("trainer"), participation=participation)
    classroom_end = osh_cohort.sessions.order_by("ends_on").first().ends_on
    done = participation.visits.filter(kind="follow_up", status="done").count()
    assert len(planned) == osh_cohort.programme.followup_visits - done
    assert all(v.planned_on > classroom_end for v in planned)


def test_visit_list_exports_csv_without_out_of_scope_rows(client_as):
    response = client_as("nanxun_inspector").get(reverse("training:visit-list") + "?export=csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    others = Visit.objects.exclude(enterprise__region_id="330503").select_related("enterprise")
    assert not any(v.enterprise.name_zh in text for v in others)


def test_visit_list_query_count(client_as, django_assert_max_num_queries):
    client = client_as("admin")
    client.get(reverse("training:visit-list"))
    with django_assert_max_num_queries(20):
        response = client.get(reverse("training:visit-list"))
    assert len(list(response.context["table"].paginated_rows)) == min(25, Visit.objects.count())
