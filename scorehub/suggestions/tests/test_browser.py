"""End to end on a phone (360×740, Chinese): a worker scans the poster's link and sends a suggestion with a
photo; a team member adopts and implements it on the board; the worker's tracking page says "implemented"."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from PIL import Image

from scorehub.accounts.models import User
from scorehub.suggestions.models import Photo, Poster, Suggestion

from .conftest import jpeg_with_metadata

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def phone_world(live_world):
    """The demo world, committed, for the live server (see ``live_world``)."""


def signed_in_context(browser, live_server, username, locale="zh-CN", **options):
    client = Client()
    client.force_login(User.objects.get(username=username))
    context = browser.new_context(viewport=PHONE, locale=locale, **options)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    if locale.startswith("en"):
        # The language switcher's choice (the browser's own language is not consulted).
        context.add_cookies([{"name": "scorehub_language", "value": "en", "url": live_server.url}])
    return context


@pytest.mark.browser
def test_worker_to_team_and_back_on_a_phone(live_server, phone_world, browser, artifacts, tmp_path):
    poster = Poster.objects.filter(enterprise__organisation__isnull=False).exclude(workshop="").first()
    photo_path = tmp_path / "IMG_20240501.jpg"
    photo_path.write_bytes(jpeg_with_metadata())

    # The worker: no account, a phone, Chinese.
    worker = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = worker.new_page()
    page.goto(live_server.url + poster.submission_path())
    assert page.inner_text("[data-testid=workshop]") == poster.workshop
    assert poster.enterprise.name_zh not in page.content()
    page.screenshot(path=artifacts / "suggestions-submit-zh.png", full_page=True)
    page.fill("#id_problem", "3号冲床防护罩松动，手容易伸进去")
    page.fill("#id_proposal", "加固防护罩，每班开机前检查")
    page.get_by_label("安全", exact=True).check()
    page.set_input_files("#id_photos", str(photo_path))
    page.click("[data-testid=send]")
    page.wait_for_selector("[data-testid=tracking-code]")
    code = page.inner_text("[data-testid=tracking-code]").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    assert page.inner_text("[data-testid=status-label]") == "已提交"
    page.screenshot(path=artifacts / "suggestions-tracking-submitted-zh.png", full_page=True)
    tracking_url = page.url.split("?")[0]

    suggestion = Suggestion.objects.get(tracking_code=code.replace("-", ""))
    assert suggestion.is_anonymous
    assert suggestion.workshop == poster.workshop

    # The improvement team: the board on a phone, a one-tap adoption by HTMX, then implementation with evidence.
    team = signed_in_context(browser, live_server, "team_member")
    board = team.new_page()
    board.goto(f"{live_server.url}/suggestions/?enterprise={poster.enterprise_id}")
    card = board.locator(f"[data-testid=card-{suggestion.tracking_code}]")
    card.scroll_into_view_if_needed()
    board.screenshot(path=artifacts / "suggestions-board-zh.png", full_page=False)
    card.locator("[data-testid=move-adopted]").click()
    board.locator(f"[data-testid=column-adopted] [data-testid=card-{suggestion.tracking_code}]").wait_for()
    suggestion.refresh_from_db()
    assert suggestion.status == "adopted"
    board.locator(
        f"[data-testid=column-adopted] [data-testid=card-{suggestion.tracking_code}] [data-testid=move-implemented]"
    ).click()
    board.fill("#id_note", "已加固防护罩，并加入每班点检表")
    board.set_input_files("#id_photos", str(photo_path))
    board.screenshot(path=artifacts / "suggestions-implement-form-zh.png", full_page=True)
    board.click("button[type=submit].btn-primary")
    board.locator(f"[data-testid=column-implemented] [data-testid=card-{suggestion.tracking_code}]").wait_for()
    board.screenshot(path=artifacts / "suggestions-board-after-zh.png", full_page=False)
    detail = team.new_page()
    detail.goto(live_server.url + suggestion.get_absolute_url())
    assert "已实施" in detail.inner_text("[data-testid=suggestion-status]")
    assert detail.locator("[data-testid=timeline] li").count() == 3
    detail.screenshot(path=artifacts / "suggestions-detail-zh.png", full_page=True)

    # The worker checks again.
    page.goto(tracking_url)
    assert page.inner_text("[data-testid=status-label]") == "已实施"
    page.screenshot(path=artifacts / "suggestions-tracking-implemented-zh.png", full_page=True)

    # Every stored photo (the worker's and the evidence) has no EXIF left.
    photos = Photo.objects.filter(suggestion=suggestion)
    assert sorted(photos.values_list("kind", flat=True)) == ["evidence", "problem"]
    for photo in photos:
        with photo.image.open("rb") as fh:
            data = fh.read()
        assert not Image.open(io.BytesIO(data)).getexif()
        assert b"PhoneMaker" not in data

    # The same page in English, for the record.
    page.goto(live_server.url + poster.submission_path() + "?lang=en")
    assert "Send suggestion" in page.inner_text("[data-testid=send]")
    page.screenshot(path=artifacts / "suggestions-submit-en.png", full_page=True)
    team.close()
    worker.close()


@pytest.mark.browser
def test_revoked_poster_on_a_phone(live_server, phone_world, browser, artifacts):
    poster = Poster.objects.filter(enterprise__organisation__isnull=False).first()
    poster.revoked_at = poster.created_at
    poster.save()
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    response = page.goto(live_server.url + poster.submission_path())
    assert response.status == 410
    assert "不再使用" in page.inner_text("[data-testid=revoked]")
    page.screenshot(path=artifacts / "suggestions-revoked-zh.png", full_page=True)
    context.close()


def _history_csv(code: str, *, bad: bool) -> bytes:
    header = "统一社会信用代码,提交日期,问题,建议,类别,状态,实施日期,不采纳理由"
    rows = [
        f"{code},2023-05-04,冲床区地面有油污，容易滑倒,每班下班前清扫并放吸油棉,安全,已实施,2023-05-10,",
        f"{code},2023-06-12,包装线纸箱堆得太高,限高 1.5 米并划线,安全,{'不采纳' if bad else '已采纳'},,",
        f"{code},2023-07-01,夏天车间太热,加装冷风机,工作条件,,,",
    ]
    return ("\n".join([header, *rows]) + "\n").encode("gb18030")


@pytest.mark.browser
def test_team_imports_historical_suggestions_on_a_phone(live_server, phone_world, browser, artifacts):
    """From the board: a file with one bad row is refused whole; the corrected file imports all its rows."""
    user = User.objects.get(username="factory_manager")
    enterprise = user.memberships.get().organisation.enterprise
    before = Suggestion.objects.count()
    context = signed_in_context(browser, live_server, "factory_manager")
    page = context.new_page()
    page.goto(live_server.url + "/suggestions/")
    page.click("[data-testid=board-import]")
    page.wait_for_url(re.compile(r".*/suggestions/import/$"))
    assert "统一社会信用代码" in page.inner_text("[data-testid=import-columns]")
    assert "不采纳理由" in page.inner_text("[data-testid=import-columns]")
    page.screenshot(path=artifacts / "suggestions-import-upload-zh.png", full_page=True)

    # A rejected suggestion without its reason: nothing is saved, the row is named.
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "2023年合理化建议.csv",
                "mimeType": "text/csv",
                "buffer": _history_csv(enterprise.credit_code, bad=True),
            }
        ],
    )
    page.click("[data-testid=import-upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-errors]", timeout=20_000)
    bad_row = page.locator('[data-testid=import-errors] tr[data-row="3"]')
    assert "不采纳理由" in bad_row.inner_text()
    assert page.locator("[data-testid=import-confirm]").count() == 0
    page.screenshot(path=artifacts / "suggestions-import-errors-zh.png", full_page=True)
    assert Suggestion.objects.count() == before

    # The corrected file: checked, previewed, imported.
    page.goto(live_server.url + "/suggestions/import/")
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "2023年合理化建议.csv",
                "mimeType": "text/csv",
                "buffer": _history_csv(enterprise.credit_code, bad=False),
            }
        ],
    )
    page.click("[data-testid=import-upload-form] button[type=submit]")
    page.wait_for_selector("[data-testid=import-confirm]", timeout=20_000)
    page.screenshot(path=artifacts / "suggestions-import-preview-zh.png", full_page=True)
    page.click("[data-testid=import-confirm]")
    page.wait_for_selector("[data-testid=import-done]", timeout=20_000)
    page.screenshot(path=artifacts / "suggestions-import-done-zh.png", full_page=True)
    assert Suggestion.objects.count() == before + 3
    assert Suggestion.objects.filter(enterprise=enterprise, channel="import", problem="夏天车间太热").exists()

    job_url = page.url
    context.close()

    # The job page in English, for the record.
    english = signed_in_context(browser, live_server, "factory_manager", locale="en-US")
    page = english.new_page()
    page.goto(job_url)
    assert "3 rows were imported" in page.inner_text("[data-testid=import-done]")
    page.screenshot(path=artifacts / "suggestions-import-done-en.png", full_page=True)
    page.goto(live_server.url + "/suggestions/import/")
    assert "Reason for rejection" in page.inner_text("[data-testid=import-columns]")
    page.screenshot(path=artifacts / "suggestions-import-upload-en.png", full_page=True)
    english.close()
