"""The worker's side: the poster's page, the photo, the tracking code, abuse control."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from scorehub.core.models import RateLimitCounter
from scorehub.core.tests.photo_files import pixel_bomb_png, truncated_jpeg, upload
from scorehub.suggestions import services
from scorehub.suggestions.models import Photo, Poster, Suggestion, SuggestionEvent

from .factories import photo_upload, poster_for

pytestmark = pytest.mark.django_db


def submit_url(poster: Poster) -> str:
    return reverse("suggestions:public-submit", kwargs={"token": poster.token})


def form_data(**extra):
    return {"problem": "冲床防护罩松动", "proposal": "加固防护罩，每班检查", "category": "safety", **extra}


@pytest.fixture
def poster(nanxun_enterprise):
    return poster_for(nanxun_enterprise, workshop="织造车间")


def test_submission_page_shows_only_the_workshop_in_chinese_without_login(client, poster, nanxun_enterprise):
    response = client.get(submit_url(poster))
    assert response.status_code == 200
    html = response.content.decode()
    assert "织造车间" in html
    # Not even the enterprise's name: a forwarded link tells a stranger nothing.
    assert nanxun_enterprise.name_zh not in html
    assert nanxun_enterprise.name_en
    assert nanxun_enterprise.name_en not in html
    assert "提交建议" in html or "发送建议" in html  # Chinese by default
    assert nanxun_enterprise.credit_code not in html
    assert nanxun_enterprise.address not in html
    for contact in nanxun_enterprise.contacts.all():
        assert contact.name not in html
        assert contact.phone not in html
    assert response["Content-Language"] == "zh-hans"
    # The token must not leak to other sites, yet the form's own origin must reach the CSRF check.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_submission_page_is_light_and_has_no_framework(client, poster):
    response = client.get(submit_url(poster))
    html = response.content.decode()
    assert "<script" not in html
    assert "bootstrap" not in html
    assert "htmx" not in html
    stylesheets = re.findall(r'href="/static/([^"]+\.css)"', html)
    assert stylesheets == ["suggestions/public.css"]
    css = Path(finders.find(stylesheets[0])).read_bytes()
    assert len(response.content) + len(css) < 100 * 1024


def test_submission_page_in_english_on_request(client, poster):
    response = client.get(submit_url(poster) + "?lang=en")
    assert "Send suggestion" in response.content.decode()


def test_worker_submits_anonymously_and_gets_a_tracking_code(client, poster):
    before = Suggestion.objects.count()
    response = client.post(submit_url(poster), form_data())
    assert response.status_code == 302
    suggestion = Suggestion.objects.latest("pk")
    assert Suggestion.objects.count() == before + 1
    assert response["Location"].startswith(
        reverse("suggestions:public-track", kwargs={"code": suggestion.tracking_code})
    )
    assert suggestion.is_anonymous
    assert suggestion.created_by is None
    assert suggestion.workshop == "织造车间"
    assert suggestion.channel == "qr"
    assert suggestion.poster == poster
    assert list(suggestion.events.values_list("kind", "actor")) == [("submitted", None)]
    page = client.get(response["Location"])
    assert suggestion.display_code in page.content.decode()
    assert "已提交" in page.content.decode()


def test_photo_is_checked_downsized_and_stripped_of_metadata(client, poster, phone_photo):
    assert Image.open(io.BytesIO(phone_photo)).getexif()  # the upload really carries EXIF (make, model, GPS)
    client.post(submit_url(poster), {**form_data(), "photos": [photo_upload(data=phone_photo)]})
    photo = Photo.objects.get(suggestion=Suggestion.objects.latest("pk"))
    with photo.image.open("rb") as fh:
        data = fh.read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "JPEG"
    assert max(stored.size) == 1600
    assert not stored.getexif()
    assert "exif" not in stored.info
    assert "icc_profile" not in stored.info
    assert b"PhoneMaker" not in data
    assert b"Model X" not in data
    assert Path(photo.image.path).is_relative_to(Path(photo.image.storage.location))


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(client, poster):
    before = Suggestion.objects.count(), Photo.objects.count()
    fake = photo_upload(name="photo.jpg", data=b"%PDF-1.4 not an image at all")
    response = client.post(submit_url(poster), {**form_data(), "photos": [fake]})
    assert response.status_code == 200
    assert "JPEG" in response.content.decode()
    assert (Suggestion.objects.count(), Photo.objects.count()) == before


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow's note; the cleaner refuses
def test_a_pixel_bomb_is_refused_with_the_limit_before_decoding_and_nothing_is_stored(client, poster):
    bomb = pixel_bomb_png(7000)
    assert len(bomb) < 10 * 1024  # 49 million pixels in a few kilobytes
    before = Suggestion.objects.count(), Photo.objects.count()
    response = client.post(submit_url(poster), {**form_data(), "photos": [upload(bomb, "IMG_0002.png", "image/png")]})
    assert response.status_code == 200
    assert "照片像素过多：最多 40 百万像素。" in response.content.decode()
    assert (Suggestion.objects.count(), Photo.objects.count()) == before


def test_a_broken_photo_is_refused_on_the_photo_field_in_english_too(client, poster):
    before = Suggestion.objects.count(), Photo.objects.count()
    response = client.post(submit_url(poster) + "?lang=en", {**form_data(), "photos": [upload(truncated_jpeg())]})
    assert response.status_code == 200
    assert "This file is not a photo that can be read. Use a JPEG, PNG or WebP photo." in response.content.decode()
    assert list(response.context["form"].errors) == ["photos"]
    assert (Suggestion.objects.count(), Photo.objects.count()) == before


def test_revoked_token_says_so_and_stores_nothing(client, poster, persona):
    services.poster_revoke(actor=persona("factory_manager"), poster=poster)
    before = Suggestion.objects.count(), SuggestionEvent.objects.count()
    page = client.get(submit_url(poster))
    assert page.status_code == 410
    assert "不再使用" in page.content.decode()
    response = client.post(submit_url(poster), form_data())
    assert response.status_code == 410
    assert 'data-testid="revoked"' in response.content.decode()
    assert (Suggestion.objects.count(), SuggestionEvent.objects.count()) == before


def test_unknown_token_is_404_and_stores_nothing(client):
    before = Suggestion.objects.count()
    response = client.post(reverse("suggestions:public-submit", kwargs={"token": "no-such-token"}), form_data())
    assert response.status_code == 404
    assert Suggestion.objects.count() == before


@pytest.fixture
def clock():
    """10:02:00 Beijing time, standing still: no ten-minute window ends during a burst."""
    with time_machine.travel(dt.datetime(2030, 3, 4, 2, 2, tzinfo=dt.UTC), tick=False) as traveller:
        yield traveller


def test_burst_of_50_from_one_address_is_throttled_and_only_accepted_ones_are_stored(client, poster, clock):
    before = Suggestion.objects.count()
    accepted = throttled = 0
    for i in range(50):
        response = client.post(submit_url(poster), form_data(problem=f"问题 {i}"), REMOTE_ADDR="10.9.8.7")
        if response.status_code == 302:
            accepted += 1
        else:
            assert response.status_code == 429
            assert "请求太多" in response.content.decode() or "太多" in response.content.decode()
            # Past 10 the ten-minute window (ending at 10:10) refuses; past 40 the day (ending at 08:00 tomorrow).
            assert response["Retry-After"] == ("480" if i < 40 else "79080")
            throttled += 1
    assert accepted == 10
    assert throttled == 40
    assert Suggestion.objects.count() == before + accepted
    # Another address (another worker) can still send.
    other = client.post(submit_url(poster), form_data(), REMOTE_ADDR="10.9.8.8")
    assert other.status_code == 302


@override_settings(BEHIND_PROXY=True, TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_a_new_forwarded_for_each_time_does_not_bypass_the_address_limit(client, poster, clock):
    codes = [
        client.post(
            submit_url(poster), form_data(), REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 198.51.100.66"
        ).status_code
        for i in range(12)
    ]
    assert codes == [302] * 10 + [429] * 2


def test_per_token_limit_stops_a_poster_flooded_from_many_addresses(client, poster, settings, clock):
    settings.SCOREHUB_SUGGESTION_THROTTLE = [("ip", 100, 600), ("token", 5, 600)]
    codes = [client.post(submit_url(poster), form_data(), REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(8)]
    assert codes == [302] * 5 + [429] * 3


def test_the_limits_count_the_same_in_the_database_store(client, poster, settings, clock):
    settings.RATELIMIT_STORE = "database"
    settings.SCOREHUB_SUGGESTION_THROTTLE = [("ip", 3, 600)]
    codes = [client.post(submit_url(poster), form_data(), REMOTE_ADDR="10.9.8.7").status_code for _ in range(5)]
    assert codes == [302] * 3 + [429] * 2
    assert RateLimitCounter.objects.get().count == 5


def test_oversized_request_is_refused_before_reading_and_stores_nothing(client, poster, settings):
    from scorehub.suggestions import views

    before = Suggestion.objects.count()
    response = client.post(submit_url(poster), form_data(), CONTENT_LENGTH=str(views.MAX_PUBLIC_REQUEST_BYTES + 1))
    assert response.status_code == 413
    assert Suggestion.objects.count() == before


def test_resubmitting_the_same_form_never_creates_a_duplicate(client, poster):
    before = Suggestion.objects.count()
    data = form_data(form_key="5f0c0a8e2b6d4f1e9a7c3b2d1e0f9a8b")
    first = client.post(submit_url(poster), data)
    second = client.post(submit_url(poster), data)
    assert first["Location"] == second["Location"]
    assert Suggestion.objects.count() == before + 1


def test_rejected_suggestion_shows_its_reason_and_nothing_else(client, poster, persona):
    client.post(submit_url(poster), form_data(submitter_name="王建军", submitter_contact="13800000000"))
    suggestion = Suggestion.objects.latest("pk")
    services.suggestion_transition(
        actor=persona("factory_manager"), suggestion=suggestion, to="rejected", reason="已列入年度改造计划"
    )
    html = client.get(reverse("suggestions:public-track", kwargs={"code": suggestion.tracking_code})).content.decode()
    assert "未采纳" in html or "不采纳" in html
    assert "已列入年度改造计划" in html
    for private in ("王建军", "13800000000", "冲床防护罩松动", suggestion.enterprise.name_zh):
        assert private not in html


def test_tracking_code_is_forgiving_about_case_and_dashes(client, poster):
    client.post(submit_url(poster), form_data())
    suggestion = Suggestion.objects.latest("pk")
    typed = suggestion.display_code.lower()
    response = client.get(reverse("suggestions:public-track-lookup"), {"code": typed})
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200


def test_unknown_tracking_code_is_404(client):
    response = client.get(reverse("suggestions:public-track", kwargs={"code": "ZZZZZZZZ"}))
    assert response.status_code == 404


def test_merged_duplicate_shows_the_status_of_the_original(client, poster, persona):
    manager = persona("factory_manager")
    client.post(submit_url(poster), form_data())
    original = Suggestion.objects.latest("pk")
    client.post(submit_url(poster), form_data(problem="同样的问题"))
    duplicate = Suggestion.objects.latest("pk")
    services.suggestion_merge(actor=manager, duplicate=duplicate, into=original)
    services.suggestion_transition(actor=manager, suggestion=original, to="adopted")
    html = client.get(reverse("suggestions:public-track", kwargs={"code": duplicate.tracking_code})).content.decode()
    assert "已采纳" in html


def test_tracking_lookups_are_throttled(client, settings, clock):
    settings.SCOREHUB_SUGGESTION_THROTTLE = [("lookup", 3, 600)]
    url = reverse("suggestions:public-track", kwargs={"code": "ABCDEFGH"})
    assert [client.get(url).status_code for _ in range(5)] == [404, 404, 404, 429, 429]


def test_the_public_limits_come_from_the_environment_for_a_factory_behind_one_address():
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SCOREHUB_SUGGESTION_THROTTLE)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "scorehub.settings", "SUGGESTION_RATES": "ip=100/600, token=200/600"}
    configured = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert configured.stdout.strip() == "[('ip', 100, 600), ('token', 200, 600)]"
    env.pop("SUGGESTION_RATES")
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)  # noqa: S603
    assert default.stdout.strip() == "[]"  # the defaults of PUBLIC_LIMITS apply
