"""Hidden hazards: the lifecycle with its timeline, the refusals, major hazards, photos, the bureau."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from scorehub.core.scoping import OutOfScope
from scorehub.core.tests.photo_files import CAMERA_MAKE, jpeg_with_gps, pixel_bomb_png, truncated_jpeg, upload
from scorehub.safety import services
from scorehub.safety.models import (
    BureauNotification,
    Hazard,
    HazardClass,
    HazardSource,
    HazardStatus,
    SafetyPhoto,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def jpeg_with_exif(size=(2000, 1500)) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 100, 50))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0132] = "2024:05:01 10:00:00"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("site.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def hazard(persona, nanxun_enterprise):
    return services.hazard_report(
        actor=persona("nanxun_inspector"),
        enterprise=nanxun_enterprise,
        place="一车间",
        description="冲床光电保护被短接",
        found_on=TODAY() - dt.timedelta(days=3),
    )


def test_the_whole_lifecycle_is_on_the_timeline(persona, hazard):
    inspector, manager = persona("nanxun_inspector"), persona("factory_manager")
    services.hazard_assign(
        actor=inspector,
        hazard=hazard,
        responsible_person="设备主管",
        deadline=TODAY(),
        required_measures="恢复光电保护",
    )
    services.hazard_rectify(actor=manager, hazard=hazard, note="已恢复并班前点检", photos=[jpeg_with_exif()])
    services.hazard_verify(actor=inspector, hazard=hazard, passed=True, note="现场确认")
    services.hazard_close(actor=inspector, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.CLOSED
    steps = list(hazard.events.order_by("at", "pk").values_list("kind", "actor__username"))
    assert steps == [
        ("found", "nanxun_inspector"),
        ("assigned", "nanxun_inspector"),
        ("rectified", "factory_manager"),
        ("verified", "nanxun_inspector"),
        ("closed", "nanxun_inspector"),
    ]


def test_verifying_ones_own_rectification_is_refused(persona, hazard):
    manager = persona("factory_manager")
    services.hazard_rectify(actor=manager, hazard=hazard, note="已整改")
    with pytest.raises(ValidationError, match="须由其他人验收"):
        services.hazard_verify(actor=manager, hazard=hazard, passed=True)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.RECTIFIED
    assert hazard.verified_by is None


def test_a_failed_verification_reopens_the_hazard(persona, hazard):
    services.hazard_rectify(actor=persona("factory_manager"), hazard=hazard, note="已整改")
    with pytest.raises(ValidationError):
        services.hazard_verify(actor=persona("nanxun_inspector"), hazard=hazard, passed=False, note="")
    services.hazard_verify(actor=persona("nanxun_inspector"), hazard=hazard, passed=False, note="防护仍可拆除")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.ASSIGNED
    assert hazard.rectified_on is None
    assert hazard.reopened_count == 1
    assert hazard.events.filter(kind="verification_failed").exists()


@pytest.mark.parametrize("stage", ["found", "assigned", "rectified"])
def test_closing_a_hazard_that_is_not_verified_is_refused(persona, hazard, stage):
    inspector = persona("nanxun_inspector")
    if stage in ("assigned", "rectified"):
        services.hazard_assign(
            actor=inspector, hazard=hazard, responsible_person="甲", deadline=TODAY(), required_measures="整改"
        )
    if stage == "rectified":
        services.hazard_rectify(actor=persona("factory_manager"), hazard=hazard, note="已整改")
    with pytest.raises(ValidationError):
        services.hazard_close(actor=inspector, hazard=hazard)
    hazard.refresh_from_db()
    assert hazard.status != HazardStatus.CLOSED
    assert not hazard.events.filter(kind="closed").exists()


def test_a_deadline_before_the_finding_is_refused(persona, hazard):
    with pytest.raises(ValidationError) as excinfo:
        services.hazard_assign(
            actor=persona("nanxun_inspector"),
            hazard=hazard,
            responsible_person="甲",
            deadline=hazard.found_on - dt.timedelta(days=1),
            required_measures="整改",
        )
    assert "deadline" in excinfo.value.message_dict
    hazard.refresh_from_db()
    assert hazard.deadline is None
    assert hazard.status == HazardStatus.FOUND


def test_the_assign_form_shows_the_deadline_error(client_as, hazard):
    response = client_as("nanxun_inspector").post(
        reverse("safety:hazard-assign", kwargs={"pk": hazard.pk}),
        {
            "responsible_person": "甲",
            "deadline": (hazard.found_on - dt.timedelta(days=1)).isoformat(),
            "required_measures": "整改",
        },
    )
    assert response.status_code == 200
    assert "整改期限不能早于隐患发现日期" in response.content.decode()


def test_a_major_hazard_needs_a_plan_before_rectification(persona, nanxun_enterprise):
    inspector, manager = persona("nanxun_inspector"), persona("factory_manager")
    major = services.hazard_report(
        actor=inspector,
        enterprise=nanxun_enterprise,
        place="仓库",
        description="安全出口被锁闭",
        hazard_class=HazardClass.MAJOR,
    )
    with pytest.raises(ValidationError, match="治理方案"):
        services.hazard_rectify(actor=manager, hazard=major, note="已打开")
    services.hazard_plan_save(
        actor=manager,
        hazard=major,
        data={
            "objective": "恢复疏散通道畅通",
            "measures": "拆除锁具，清理堆放物",
            "funds": Decimal("3000"),
            "responsible_person": "仓库主管",
            "deadline": TODAY() + dt.timedelta(days=5),
            "interim_measures": "设专人值守",
        },
    )
    services.hazard_rectify(actor=manager, hazard=major, note="已拆除锁具并清理")
    major.refresh_from_db()
    assert major.status == HazardStatus.RECTIFIED
    assert major.deadline == TODAY() + dt.timedelta(days=5)


def test_a_major_hazard_goes_to_the_huzhou_bureau_at_once(persona, nanxun_enterprise, rf_home):
    from scorehub.safety.apps import safety_attention

    official = persona("huzhou_official")
    before = {i.label: i.count for i in safety_attention(rf_home(official))}
    major = services.hazard_report(
        actor=persona("factory_manager"),
        enterprise=nanxun_enterprise,
        place="粉尘车间",
        description="除尘器未设泄爆装置",
        hazard_class=HazardClass.MAJOR,
        source_kind=HazardSource.SUGGESTION,
    )
    assert BureauNotification.objects.filter(hazard=major, bureau__region_id="330500", read_at__isnull=True).exists()
    official = persona("huzhou_official")
    after = {i.label: i.count for i in safety_attention(rf_home(official))}
    label = next(k for k in after if str(k) == "Major hazards reported to the bureau")
    assert after[label] == before.get(label, 0) + 1
    # The Fangshan bureau hears nothing of it.
    assert not BureauNotification.objects.filter(hazard=major, bureau__region_id="110111").exists()


@pytest.fixture
def rf_home():
    from django.utils import translation

    translation.activate("en")

    def make(user):
        request = RequestFactory().get("/")
        request.user = user
        return request

    yield make
    translation.deactivate()


def test_acknowledging_a_report_needs_a_member_of_that_bureau(client_as, persona):
    report = BureauNotification.objects.filter(bureau__region_id="330500").first()
    assert report is not None
    BureauNotification.objects.filter(pk=report.pk).update(read_at=None, read_by=None)
    report.refresh_from_db()
    url = reverse("safety:report-acknowledge", kwargs={"pk": report.pk})
    assert client_as("fangshan_official").post(url).status_code == 404
    report.refresh_from_db()
    assert report.read_at is None
    assert client_as("huzhou_official").post(url).status_code == 302
    report.refresh_from_db()
    assert report.read_by.username == "huzhou_official"


def test_overdue_hazards_are_listed_and_flagged(client_as):
    response = client_as("huzhou_official").get(reverse("safety:hazard-list"), {"state": "overdue"})
    expected = Hazard.objects.filter(
        status__in=["found", "assigned"], deadline__lt=TODAY(), enterprise__region__code__startswith="3305"
    ).count()
    assert expected
    assert response.context["total_count"] == expected
    assert b"table-danger overdue" in response.content


def test_photos_are_stripped_of_exif_downsized_and_served_only_in_scope(client_as, persona, hazard):
    services.hazard_rectify(actor=persona("factory_manager"), hazard=hazard, note="已整改", photos=[jpeg_with_exif()])
    photo = SafetyPhoto.objects.get(hazard=hazard)
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert max(stored.size) == 1600
    url = reverse("safety:photo", kwargs={"pk": photo.pk})
    assert client_as("factory_manager").get(url).status_code == 200
    assert client_as("fangshan_official").get(url).status_code == 404
    assert client_as("buyer").get(url).status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_saved(persona, hazard):
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>" * 20, content_type="image/jpeg")
    with pytest.raises(ValidationError, match="不是可读取的照片"):
        services.hazard_rectify(actor=persona("factory_manager"), hazard=hazard, note="已整改", photos=[fake])
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.FOUND
    assert not SafetyPhoto.objects.filter(hazard=hazard).exists()


def test_a_photo_over_the_size_limit_is_refused(persona, hazard, settings):
    settings.SCOREHUB_IMAGE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match=r"照片过大：最多 0\.000954 MB"):
        services.hazard_rectify(
            actor=persona("factory_manager"), hazard=hazard, note="已整改", photos=[jpeg_with_exif((400, 300))]
        )


def rectify(client, hazard, photo):
    return client.post(
        reverse("safety:hazard-rectify", kwargs={"pk": hazard.pk}),
        {"note": "已整改", "rectified_on": TODAY().isoformat(), "photos": [photo]},
    )


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note; the cleaner refuses
def test_a_pixel_bomb_is_refused_on_the_rectification_form_and_nothing_saved(client_as, hazard):
    response = rectify(client_as("factory_manager"), hazard, upload(pixel_bomb_png(7000), "bomb.png", "image/png"))
    assert response.status_code == 200
    assert "照片像素过多：最多 40 百万像素。" in response.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.FOUND
    assert not SafetyPhoto.objects.filter(hazard=hazard).exists()


def test_a_broken_photo_is_refused_on_the_rectification_form(client_as, hazard):
    response = rectify(client_as("factory_manager"), hazard, upload(truncated_jpeg()))
    assert response.status_code == 200
    assert "不是可读取的照片" in response.content.decode()
    assert not SafetyPhoto.objects.filter(hazard=hazard).exists()


def test_a_phone_photo_on_the_rectification_form_is_stored_without_its_position(client_as, hazard):
    response = rectify(client_as("factory_manager"), hazard, upload(jpeg_with_gps()))
    assert response.status_code == 302
    photo = SafetyPhoto.objects.get(hazard=hazard)
    data = photo.image.read()
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert stored.size == (1600, 1200)
    assert CAMERA_MAKE.encode() not in data


def test_only_the_enterprise_rectifies(persona, hazard):
    with pytest.raises(OutOfScope):
        services.hazard_rectify(actor=persona("nanxun_inspector"), hazard=hazard, note="代为整改")
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.FOUND


def test_a_hazard_from_a_suggestion_keeps_a_generic_link_to_its_source(persona, nanxun_enterprise):
    from scorehub.enterprises.models import ContactPerson

    source = ContactPerson.objects.filter(enterprise=nanxun_enterprise).first()  # any record stands in
    hazard = services.hazard_report(
        actor=persona("factory_manager"),
        enterprise=nanxun_enterprise,
        place="包装车间",
        description="传送带急停按钮失灵",
        source_kind=HazardSource.SUGGESTION,
        source=source,
    )
    assert hazard.source == source
    assert hazard.source_reference == str(source)


def test_the_hazard_page_offers_verification_only_to_someone_else(client_as, persona, hazard):
    services.hazard_rectify(actor=persona("factory_manager"), hazard=hazard, note="已整改")
    url = reverse("safety:hazard-detail", kwargs={"pk": hazard.pk})
    assert b'data-testid="verify"' not in client_as("factory_manager").get(url).content
    assert b'data-testid="verify"' in client_as("nanxun_inspector").get(url).content


@pytest.mark.parametrize(
    ("who", "step", "status"),
    [
        ("trainer", "safety:hazard-assign", 404),  # trainers report what they see; they do not direct it
        ("trainer", "safety:hazard-verify", 404),
        ("trainer", "safety:hazard-close", 404),
        ("nanxun_inspector", "safety:hazard-assign", 200),
        ("factory_manager", "safety:hazard-assign", 200),
        ("huzhou_official", "safety:hazard-rectify", 404),  # only the enterprise records its rectification
        ("factory_manager", "safety:hazard-rectify", 200),
        ("fangshan_official", "safety:hazard-assign", 404),
    ],
)
def test_who_may_open_each_step_of_a_hazard(client_as, hazard, who, step, status):
    assert client_as(who).get(reverse(step, kwargs={"pk": hazard.pk})).status_code == status


def test_a_hazard_nobody_signed_in_found_can_still_be_assigned(client_as, hazard):
    Hazard.objects.filter(pk=hazard.pk).update(found_by=None)  # e.g. a worker's report on paper
    response = client_as("nanxun_inspector").post(
        reverse("safety:hazard-assign", kwargs={"pk": hazard.pk}),
        {"responsible_person": "设备主管", "deadline": TODAY().isoformat(), "required_measures": "恢复光电保护"},
    )
    assert response.status_code == 302
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.ASSIGNED
    assert hazard.found_by is None


def test_public_notice_board_shows_no_personal_data_and_no_enterprise_name(client, client_as, nanxun_enterprise):
    from scorehub.accounts.models import User
    from scorehub.enterprises.models import ContactPerson

    board = services.notice_board_for(nanxun_enterprise)
    hazard = Hazard.objects.filter(enterprise=nanxun_enterprise).first()
    hazard.responsible_person = "郑晓光"
    hazard.save()
    response = client.get(reverse("safety:notice-board-public", kwargs={"token": board.token}))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"#{hazard.pk}" in html
    assert "郑晓光" not in html
    assert nanxun_enterprise.name_zh not in html
    assert nanxun_enterprise.credit_code not in html
    for user in User.objects.exclude(display_name=""):
        assert user.display_name not in html
    for contact in ContactPerson.objects.filter(enterprise=nanxun_enterprise):
        assert contact.name not in html
        assert contact.phone not in html
    # The signed-in tab the enterprise prints from carries its name.
    internal = client_as("factory_manager").get(reverse("safety:notice-board", kwargs={"pk": nanxun_enterprise.pk}))
    assert nanxun_enterprise.name_zh in internal.content.decode()


def test_wrong_notice_board_token_is_404(client):
    assert client.get(reverse("safety:notice-board-public", kwargs={"token": "not-a-token"})).status_code == 404
