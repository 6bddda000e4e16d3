"""The pages: board, detail, lists, posters, projects, library, tabs, home; scoped to 404 for outsiders."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from scorehub.enterprises.models import Enterprise
from scorehub.suggestions import services
from scorehub.suggestions.models import CaseStudy, CaseStudyStatus, Photo, Poster, Suggestion, SuggestionStatus

from .factories import photo_upload, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh(nanxun_enterprise, persona):
    return submit(nanxun_enterprise, actor=persona("team_member"), submitter_name="王建军", submitter_contact="139")


def test_board_shows_columns_and_cards_with_moves_for_the_team(client_as, fresh):
    response = client_as("team_member").get(reverse("suggestions:board"))
    html = response.content.decode()
    assert response.status_code == 200
    for column in ("submitted", "under_review", "adopted", "in_progress", "implemented", "rejected"):
        assert f'data-testid="column-{column}"' in html
    assert f'data-testid="card-{fresh.tracking_code}"' in html
    assert 'hx-post="{}"'.format(reverse("suggestions:move", kwargs={"pk": fresh.pk})) in html
    assert "<script>" not in html  # no inline script (strict CSP)


def test_board_for_an_official_has_no_moves(client_as, fresh):
    html = client_as("huzhou_official").get(reverse("suggestions:board")).content.decode()
    assert f'data-testid="card-{fresh.tracking_code}"' in html
    assert 'data-testid="move-' not in html


def test_board_queries_do_not_grow_with_the_number_of_cards(client_as, nanxun_enterprise, persona):
    client = client_as("team_member")
    url = reverse("suggestions:board")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(15):
        submit(nanxun_enterprise, actor=persona("team_member"))
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


def test_htmx_move_from_the_board_returns_the_board_and_records_the_move(client_as, fresh, persona):
    client = client_as("team_member")
    board = reverse("suggestions:board")
    response = client.post(
        reverse("suggestions:move", kwargs={"pk": fresh.pk}),
        {"to": "adopted", "next": board},
        HTTP_HX_REQUEST="true",
        follow=True,
    )
    assert response.status_code == 200
    assert 'id="board"' in response.content.decode()
    fresh.refresh_from_db()
    assert fresh.status == SuggestionStatus.ADOPTED
    assert fresh.events.last().actor == persona("team_member")


def test_rejection_from_the_board_asks_for_a_reason(client_as, fresh):
    client = client_as("team_member")
    url = reverse("suggestions:move", kwargs={"pk": fresh.pk})
    form = client.get(url, {"to": "rejected"})
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    invalid = client.post(url, {"to": "rejected", "reason": ""})
    assert invalid.status_code == 200
    assert Suggestion.objects.get(pk=fresh.pk).status == SuggestionStatus.SUBMITTED
    client.post(url, {"to": "rejected", "reason": "已有计划"})
    assert Suggestion.objects.get(pk=fresh.pk).rejection_reason == "已有计划"


def test_implementation_form_takes_the_evidence_photo(client_as, fresh, persona):
    services.suggestion_transition(actor=persona("team_member"), suggestion=fresh, to="adopted")
    client = client_as("team_member")
    response = client.post(
        reverse("suggestions:move", kwargs={"pk": fresh.pk}),
        {"to": "implemented", "note": "已完成", "photos": [photo_upload()]},
    )
    assert response.status_code == 302
    assert Photo.objects.filter(suggestion=fresh, kind="evidence").count() == 1


def test_a_move_that_is_not_offered_is_404(client_as, fresh):
    response = client_as("team_member").get(reverse("suggestions:move", kwargs={"pk": fresh.pk}), {"to": "implemented"})
    assert response.status_code == 404


def test_detail_shows_the_timeline_and_the_name_only_to_the_team(client_as, fresh):
    team_html = client_as("team_member").get(fresh.get_absolute_url()).content.decode()
    assert "王建军" in team_html
    assert 'data-testid="timeline"' in team_html
    official_html = client_as("huzhou_official").get(fresh.get_absolute_url()).content.decode()
    assert "王建军" not in official_html
    assert "139" not in official_html.split('data-testid="suggestion-facts"')[1].split("</dl>")[0]


@pytest.mark.parametrize("outsider", ["fangshan_official", "buyer"])
def test_outsider_gets_404_for_a_suggestion_of_another_city(client_as, fresh, outsider):
    client = client_as(outsider)
    for name in ("detail", "move", "merge", "join-project"):
        assert client.get(reverse(f"suggestions:{name}", kwargs={"pk": fresh.pk}), {"to": "adopted"}).status_code == 404
    before = Suggestion.objects.get(pk=fresh.pk).status
    assert client.post(reverse("suggestions:move", kwargs={"pk": fresh.pk}), {"to": "adopted"}).status_code == 404
    assert Suggestion.objects.get(pk=fresh.pk).status == before


def test_photos_are_served_only_through_the_scope(client, client_as, nanxun_enterprise, persona):
    photos = services.clean_photos([photo_upload()])
    suggestion, _ = services.suggestion_create(
        actor=persona("team_member"),
        enterprise=nanxun_enterprise,
        data={"problem": "p", "proposal": "q", "category": "safety"},
        photos=photos,
    )
    photo = suggestion.photos.get()
    url = reverse("suggestions:photo", kwargs={"pk": photo.pk})
    assert client.get(url).status_code == 302  # anonymous: to the login page
    assert client_as("fangshan_official").get(url).status_code == 404
    response = client_as("factory_manager").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert not image.getexif()
    assert photo.image.url not in client_as("factory_manager").get(suggestion.get_absolute_url()).content.decode()


def test_suggestion_list_paginates_and_exports_with_constant_queries(client_as, nanxun_enterprise, persona):
    client = client_as("factory_manager")
    url = reverse("suggestions:list")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for _ in range(10):
        submit(nanxun_enterprise, actor=persona("team_member"))
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert response.status_code == 200
    assert len(after) == len(before)
    export = client.get(url, {"export": "csv"})
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode() if export.streaming else export.content.decode()
    assert "王" not in text.split("\n")[0]  # header row: no personal columns
    assert len(text.strip().splitlines()) == Suggestion.objects.filter(enterprise=nanxun_enterprise).count() + 1


def test_staff_enter_a_paper_box_suggestion_with_its_date(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    day = timezone.localdate() - dt.timedelta(days=5)
    response = client.post(
        reverse("suggestions:create"),
        {
            "enterprise": nanxun_enterprise.pk,
            "problem": "意见箱：食堂太挤",
            "proposal": "错峰就餐",
            "category": "working_conditions",
            "submitted_on": day.isoformat(),
        },
    )
    assert response.status_code == 302
    suggestion = Suggestion.objects.latest("pk")
    assert suggestion.channel == "manual"
    assert timezone.localtime(suggestion.submitted_at).date() == day


def test_poster_list_shows_links_to_the_team_only(client_as, nanxun_enterprise):
    poster = Poster.objects.filter(enterprise=nanxun_enterprise).first()
    assert poster.token in client_as("team_member").get(reverse("suggestions:poster-list")).content.decode()
    assert poster.token not in client_as("huzhou_official").get(reverse("suggestions:poster-list")).content.decode()


def test_poster_pdf_is_a_printable_a4_document(client_as, nanxun_enterprise):
    poster = Poster.objects.filter(enterprise=nanxun_enterprise).exclude(workshop="").first()
    response = client_as("factory_manager").get(reverse("suggestions:poster-pdf", kwargs={"pk": poster.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdfinfo"):
        pdfinfo = [shutil.which("pdfinfo") or "pdfinfo", "-"]
        info = subprocess.run(pdfinfo, input=response.content, capture_output=True, check=True).stdout  # noqa: S603
        assert b"(A4)" in info
        assert b"Pages:           1" in info


def test_poster_pdf_is_404_for_officials_and_for_revoked_posters(client_as, nanxun_enterprise, persona):
    poster = Poster.objects.filter(enterprise=nanxun_enterprise).first()
    assert (
        client_as("huzhou_official").get(reverse("suggestions:poster-pdf", kwargs={"pk": poster.pk})).status_code == 404
    )
    services.poster_revoke(actor=persona("factory_manager"), poster=poster)
    assert (
        client_as("factory_manager").get(reverse("suggestions:poster-pdf", kwargs={"pk": poster.pk})).status_code == 404
    )


def test_new_poster_and_revocation_through_the_pages(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    client.post(reverse("suggestions:poster-create"), {"enterprise": nanxun_enterprise.pk, "workshop": "机修组"})
    poster = Poster.objects.get(enterprise=nanxun_enterprise, workshop="机修组")
    client.post(reverse("suggestions:poster-revoke", kwargs={"pk": poster.pk}))
    poster.refresh_from_db()
    assert not poster.is_active


def test_enterprise_tabs_show_numbers_and_projects(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    detail = client.get(nanxun_enterprise.get_absolute_url()).content.decode()
    assert reverse("suggestions:enterprise-suggestions", kwargs={"pk": nanxun_enterprise.pk}) in detail
    assert reverse("suggestions:enterprise-projects", kwargs={"pk": nanxun_enterprise.pk}) in detail
    tab = client.get(reverse("suggestions:enterprise-suggestions", kwargs={"pk": nanxun_enterprise.pk}))
    assert tab.status_code == 200
    assert 'data-testid="numbers"' in tab.content.decode()
    projects = client.get(reverse("suggestions:enterprise-projects", kwargs={"pk": nanxun_enterprise.pk}))
    assert 'data-testid="enterprise-projects"' in projects.content.decode()


def test_buyer_sees_no_suggestion_tabs_of_a_consenting_supplier(client_as):
    from scorehub.enterprises.models import BuyerConsent

    supplier = BuyerConsent.objects.active().first().enterprise
    client = client_as("buyer")
    assert client.get(supplier.get_absolute_url()).status_code == 200
    assert client.get(reverse("suggestions:enterprise-suggestions", kwargs={"pk": supplier.pk})).status_code == 404


def test_home_page_lists_waiting_and_overdue_suggestions(client_as, nanxun_enterprise):
    html = client_as("team_member").get(reverse("core:home")).content.decode()
    assert "待审核的建议" in html
    waiting = Suggestion.objects.filter(enterprise=nanxun_enterprise, status__in=["submitted", "under_review"]).count()
    assert waiting > 0


def test_library_is_searchable_by_a_reader_in_another_city(client_as):
    approved = CaseStudy.objects.filter(status=CaseStudyStatus.APPROVED)
    assert approved.count() == 2
    client = client_as("fangshan_official")
    html = client.get(reverse("suggestions:library")).content.decode()
    for case in approved:
        assert case.title_zh in html
    proposed = CaseStudy.objects.exclude(status=CaseStudyStatus.APPROVED).first()
    if proposed is not None and not proposed.enterprise.region_id.startswith("1101"):
        assert proposed.title_zh not in html or approved.filter(title_zh=proposed.title_zh).exists()
    case = approved.first()
    detail = client.get(case.get_absolute_url())
    assert detail.status_code == 200
    for name in case.project.suggestions.exclude(submitter_name="").values_list("submitter_name", flat=True):
        assert name not in detail.content.decode()
    pdf = client.get(reverse("suggestions:case-pdf", kwargs={"pk": case.pk}))
    assert pdf.content.startswith(b"%PDF")
    filtered = client.get(reverse("suggestions:library"), {"q": "zzzz-no-such-text"}).content.decode()
    assert case.title_zh not in filtered


def test_programme_admin_approves_a_proposed_case_study(client_as):
    case = CaseStudy.objects.exclude(status=CaseStudyStatus.APPROVED).first()
    assert (
        client_as("factory_manager").post(reverse("suggestions:case-approve", kwargs={"pk": case.pk})).status_code
        == 404
    )
    assert CaseStudy.objects.get(pk=case.pk).status != CaseStudyStatus.APPROVED
    client_as("admin").post(reverse("suggestions:case-approve", kwargs={"pk": case.pk}))
    assert CaseStudy.objects.get(pk=case.pk).status == CaseStudyStatus.APPROVED


def test_improvement_words_keep_their_own_chinese_next_to_the_common_ones(client_as, nanxun_enterprise):
    """An improvement's "Before" and "After" and a suggestion's "Code" are not the change log's or a region's."""
    from scorehub.suggestions.models import ImprovementProject

    client = client_as("factory_manager")
    project = ImprovementProject.objects.filter(enterprise=nanxun_enterprise, measurements__isnull=False).first()
    page = client.get(project.get_absolute_url()).content.decode()
    assert "改善前" in page
    assert "改善后" in page
    assert "修改前" not in page
    listed = client.get(reverse("suggestions:list")).content.decode()
    assert "跟踪码" in listed
    posters = client.get(reverse("suggestions:poster-list")).content.decode()
    assert "作废" in posters


def test_case_study_proposal_is_for_the_team_and_trainers_not_for_officials(client_as, nanxun_enterprise):
    from scorehub.suggestions.models import ImprovementProject, ProjectStatus

    project = ImprovementProject.objects.filter(enterprise=nanxun_enterprise, status=ProjectStatus.COMPLETED).first()
    url = reverse("suggestions:case-propose", kwargs={"pk": project.pk})
    assert client_as("factory_manager").get(url).status_code == 200
    assert client_as("trainer").get(url).status_code == 200
    before = CaseStudy.objects.count()
    for official in ("huzhou_official", "nanxun_inspector"):
        assert client_as(official).get(url).status_code == 404
        response = client_as(official).post(url, {"title_zh": "换模", "summary_zh": "x", "before_text": "x"})
        assert response.status_code == 404
    assert CaseStudy.objects.count() == before


def test_an_approved_case_study_is_not_edited_and_the_edit_page_leads_back_to_it(client_as):
    case = CaseStudy.objects.filter(status=CaseStudyStatus.APPROVED).first()
    client = client_as("admin")
    url = reverse("suggestions:case-edit", kwargs={"pk": case.pk})
    shown = client.get(url)
    assert (shown.status_code, shown["Location"]) == (302, case.get_absolute_url())
    posted = client.post(url, {"title_zh": "改过的标题"})
    assert (posted.status_code, posted["Location"]) == (302, case.get_absolute_url())
    assert CaseStudy.objects.get(pk=case.pk).title_zh == case.title_zh
    assert client_as("fangshan_official").get(url).status_code == 404


def test_trainer_verifies_savings_on_the_project_page(client_as, nanxun_enterprise):
    from scorehub.suggestions.models import ImprovementProject, ProjectStatus

    project = (
        ImprovementProject.objects.filter(
            enterprise=nanxun_enterprise, status=ProjectStatus.COMPLETED, verified_at__isnull=True
        ).first()
        or ImprovementProject.objects.filter(enterprise=nanxun_enterprise, status=ProjectStatus.COMPLETED).first()
    )
    client = client_as("trainer")
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'data-testid="verify-savings"' in page
    client.post(reverse("suggestions:project-verify", kwargs={"pk": project.pk}), {"amount": "12345", "note": "核对"})
    project.refresh_from_db()
    assert project.verified_savings == Decimal("12345")
    manager_page = client_as("factory_manager").get(project.get_absolute_url()).content.decode()
    assert 'data-testid="verify-savings"' not in manager_page


def test_project_from_a_suggestion(client_as, fresh, nanxun_enterprise):
    client = client_as("team_member")
    url = reverse("suggestions:project-create") + f"?suggestion={fresh.pk}"
    form = client.get(url).content.decode()
    assert fresh.proposal in form
    response = client.post(
        url,
        {
            "enterprise": nanxun_enterprise.pk,
            "title": "人车分流",
            "goal": "安全",
            "status": "planned",
            "started_on": timezone.localdate().isoformat(),
            "cost": "100",
            "expected_savings": "0",
        },
    )
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.project.title == "人车分流"


def test_numbers_page_counts_only_the_users_scope(client_as):
    response = client_as("factory_manager").get(
        reverse("suggestions:numbers"), {"start": "2000-01-01", "end": "2100-01-01"}
    )
    assert response.status_code == 200
    own = Suggestion.objects.filter(enterprise__organisation__isnull=False).counted().count()
    assert f'data-testid="num-submitted">{own}<' in response.content.decode()
    assert Enterprise.objects.count() > 1


def test_project_list_queries_do_not_grow_with_the_rows(client_as, nanxun_enterprise, persona):
    client = client_as("huzhou_official")
    url = reverse("suggestions:project-list")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for i in range(8):
        services.project_create(
            actor=persona("factory_manager"), enterprise=nanxun_enterprise, data={"title": f"项目{i}", "goal": "g"}
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert response.status_code == 200
    assert len(after) == len(before)


def test_move_page_without_a_target_leads_back_to_the_suggestion(client_as, fresh):
    response = client_as("team_member").get(reverse("suggestions:move", kwargs={"pk": fresh.pk}))
    assert response.status_code == 302
    assert response["Location"] == fresh.get_absolute_url()
