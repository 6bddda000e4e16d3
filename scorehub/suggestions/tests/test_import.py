"""Importing historical suggestions: all rows or none, every broken row reported, the enterprise in scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from scorehub.core import importing
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.suggestions.importers import SuggestionImporter, parse_day
from scorehub.suggestions.models import Channel, Suggestion, SuggestionEvent

pytestmark = pytest.mark.django_db

IMPORT_URL = "/suggestions/import/"

CHINESE = {
    "credit_code": "统一社会信用代码",
    "submitted_on": "提交日期",
    "problem": "问题",
    "proposal": "建议",
    "category": "类别",
    "workshop": "车间",
    "status": "状态",
    "decided_on": "决定日期",
    "implemented_on": "实施日期",
    "rejection_reason": "不采纳理由",
    "owner_name": "负责人",
    "due_date": "截止日期",
    "submitter_name": "建议人",
    "submitter_gender": "性别",
}
ENGLISH = {
    "credit_code": "Unified social credit code",
    "submitted_on": "Submitted on",
    "problem": "Problem",
    "proposal": "Suggestion",
    "category": "Category",
    "status": "Status",
    "implemented_on": "Implemented on",
}


def row(code: str, index: int, **overrides: str) -> dict[str, str]:
    values = {
        "credit_code": code,
        "submitted_on": "2024-03-01",
        "problem": f"导入测试问题{index}：叉车通道没有划线",
        "proposal": f"导入测试建议{index}：通道两侧划黄线",
        "category": "安全",
    }
    values.update(overrides)
    return values


def table(rows: list[dict[str, str]], headers: dict[str, str] = CHINESE) -> list[list[str]]:
    return [list(headers.values()), *[[r.get(field, "") for field in headers] for r in rows]]


def csv_bytes(cells: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(cells)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(cells: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for cells_of_row in cells:
        sheet.append(cells_of_row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return (
        Suggestion.objects.count(),
        SuggestionEvent.objects.count(),
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Suggestion)).count(),
    )


def upload(client: Any, data: bytes, name: str, capture: Any) -> ImportJob:
    with capture(execute=True):
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def confirm(client: Any, job: ImportJob, capture: Any) -> ImportJob:
    with capture(execute=True):
        response = client.post(reverse("suggestions:import-confirm", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def check(actor: Any, cells: list[list[Any]], name: str = "x.csv") -> importing.CheckResult:
    data = xlsx_bytes(cells) if name.endswith(".xlsx") else csv_bytes(cells)
    return SuggestionImporter(actor=actor).check(importing.read_sheet(data, name))


def errors_by_row(errors: list[Any]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in errors:
        error = error if isinstance(error, dict) else error.as_dict()
        found.setdefault(error["row"], []).append((error["column"], error["message"]))
    return found


@pytest.fixture
def other_enterprise(nanxun_enterprise: Enterprise) -> Enterprise:
    """An enterprise of the demo that the factory's own team does not run (it exists all the same)."""
    return Enterprise.objects.exclude(pk=nanxun_enterprise.pk).order_by("pk").first()


# --- broken files --------------------------------------------------------------------------------------


def broken_file(code: str, other_code: str) -> bytes:
    rows = [
        row(code, 1),  # row 2: fine
        row(code, 2, submitted_on="2024-13-01"),  # row 3: no such date
        row(code, 3, category="天气"),  # row 4: unknown category
        row(code, 4, status="不采纳"),  # row 5: rejected without a reason
        row(other_code, 5),  # row 6: someone else's enterprise
        row(code, 6, problem=""),  # row 7: required cell empty
        row(code, 7, status="实施中", decided_on="2024-02-01"),  # row 8: three problems
        row(code, 1),  # row 9: the same as row 2
    ]
    return csv_bytes(table(rows))


def test_file_with_broken_rows_saves_nothing_and_reports_every_broken_row(
    client_as, nanxun_enterprise, other_enterprise, django_capture_on_commit_callbacks
):
    client = client_as("factory_manager")
    before = counts()

    job = upload(
        client,
        broken_file(nanxun_enterprise.credit_code, other_enterprise.credit_code),
        "建议.csv",
        django_capture_on_commit_callbacks,
    )

    assert job.status == ImportStatus.INVALID
    assert job.total_rows == 8
    by_row = errors_by_row(job.errors)
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9]
    assert [column for column, _ in by_row[3]] == ["提交日期"]
    assert "2024-13-01" in by_row[3][0][1]
    assert [column for column, _ in by_row[4]] == ["类别"]
    assert "天气" in by_row[4][0][1]
    assert [column for column, _ in by_row[5]] == ["不采纳理由"]
    assert [column for column, _ in by_row[6]] == ["统一社会信用代码"]
    assert other_enterprise.credit_code in by_row[6][0][1]
    assert [column for column, _ in by_row[7]] == ["问题"]
    assert sorted(column for column, _ in by_row[8]) == ["决定日期", "截止日期", "负责人"]
    assert [column for column, _ in by_row[9]] == ["问题"]
    assert "2" in by_row[9][0][1]  # names the row it repeats
    assert job.error_count == 9
    assert counts() == before

    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert b'data-testid="import-errors"' in page.content
    assert b'data-testid="import-confirm"' not in page.content

    # Confirming a file with errors is refused; nothing changes.
    confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert counts() == before


def test_importer_run_on_broken_rows_raises_and_saves_nothing(persona, nanxun_enterprise, other_enterprise):
    before = counts()
    sheet = importing.read_sheet(broken_file(nanxun_enterprise.credit_code, other_enterprise.credit_code), "x.csv")
    with pytest.raises(importing.ImportRejected) as caught:
        SuggestionImporter(actor=persona("factory_manager")).run(sheet)
    assert {e.row for e in caught.value.result.errors} == {3, 4, 5, 6, 7, 8, 9}
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "column", "words"),
    [
        ({"submitted_on": "2099-01-01"}, "提交日期", "future"),
        ({"status": "已实施"}, "实施日期", "implementation date"),
        ({"status": "已实施", "implemented_on": "2024-02-01"}, "实施日期", "before the submission"),
        ({"status": "已采纳", "decided_on": "2024-03-09", "implemented_on": "2024-03-05"}, "实施日期", "decided"),
        ({"status": "merged"}, "状态", "merged"),
        ({"submitter_gender": "x"}, "性别", "“x”"),
        ({"due_date": "next week"}, "截止日期", "YYYY-MM-DD"),
        ({"problem": "长" * 2001}, "问题", "2001"),
        ({"workshop": "车" * 101}, "车间", "100"),
    ],
)
def test_each_rule_of_a_row_is_reported_in_its_column(persona, nanxun_enterprise, overrides, column, words):
    with translation.override("en"):
        result = check(persona("factory_manager"), table([row(nanxun_enterprise.credit_code, 1, **overrides)]))
    [error] = result.errors
    assert (error.row, error.column) == (2, column)
    assert words in error.message


def test_missing_required_column_is_reported_for_the_header_row(persona, nanxun_enterprise):
    result = check(persona("factory_manager"), [["问题", "建议", "备注"], ["问题", "建议", "无"]])
    assert result.ignored_headers == ["备注"]
    assert len(result.errors) == 3  # credit code, submission date, category
    assert all(e.row == 1 for e in result.errors)


# --- good files ----------------------------------------------------------------------------------------


def test_gb18030_csv_with_chinese_headers_is_checked_then_imported_whole(
    client_as, persona, nanxun_enterprise, django_capture_on_commit_callbacks
):
    client = client_as("factory_manager")
    code = nanxun_enterprise.credit_code
    rows = [
        row(code, 1, status="已实施", workshop="仓库", decided_on="2024-03-05", implemented_on="2024-03-20"),
        row(code, 2, status="不采纳", category="生产效率", rejection_reason="成本太高", submitter_name="王建军"),
        row(code, 3, status="实施中", category="工作条件", owner_name="陆建华", due_date="2099-05-01"),
        row(code, 4, submitted_on="2024/3/3", submitter_gender="女"),
    ]
    data = csv_bytes(table(rows), encoding="gb18030")
    assert data[:3] != b"\xef\xbb\xbf"
    before = counts()

    job = upload(client, data, "合理化建议.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.total_rows == 4
    assert counts() == before  # the dry run saved nothing
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-confirm"' in page
    assert f"{code} {nanxun_enterprise.name}" in page  # the preview shows the enterprise it found

    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_count == 4
    assert job.content == b""
    imported = list(Suggestion.objects.filter(problem__startswith="导入测试问题").order_by("problem"))
    assert [s.status for s in imported] == ["implemented", "rejected", "in_progress", "submitted"]
    implemented, rejected, in_progress, submitted = imported
    assert {s.channel for s in imported} == {Channel.IMPORT}
    assert {s.enterprise_id for s in imported} == {nanxun_enterprise.pk}
    assert {s.created_by for s in imported} == {persona("factory_manager")}
    assert len({s.tracking_code for s in imported}) == 4
    assert implemented.workshop == "仓库"
    assert timezone.localdate(implemented.submitted_at) == dt.date(2024, 3, 1)
    assert timezone.localdate(implemented.decided_at) == dt.date(2024, 3, 5)
    assert timezone.localdate(implemented.implemented_at) == dt.date(2024, 3, 20)
    assert (rejected.rejection_reason, rejected.category, rejected.submitter_name) == (
        "成本太高",
        "productivity",
        "王建军",
    )
    assert timezone.localdate(rejected.decided_at) == dt.date(2024, 3, 1)  # no decision day: the submission day
    assert (in_progress.owner_name, in_progress.due_date) == ("陆建华", dt.date(2099, 5, 1))
    assert (submitted.submitter_gender, submitted.decided_at) == ("woman", None)
    assert timezone.localdate(submitted.submitted_at) == dt.date(2024, 3, 3)
    # The timeline: submitted on its day and, where it moved on, the status it reached.
    timeline = list(implemented.events.values_list("kind", "to_status", "at"))
    assert [(kind, to) for kind, to, _ in timeline] == [("submitted", "submitted"), ("status", "implemented")]
    assert timezone.localdate(timeline[1][2]) == dt.date(2024, 3, 20)
    assert list(submitted.events.values_list("kind", flat=True)) == ["submitted"]
    # One change-log entry per suggestion, in the name of the person who imported, noting the job.
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Suggestion), object_pk__in=[str(s.pk) for s in imported]
    )
    assert entries.count() == 4
    assert {e.actor_id for e in entries} == {persona("factory_manager").pk}
    assert {e.additional_data["import_job"] for e in entries} == {job.pk}
    assert counts() == (before[0] + 4, before[1] + 7, before[2] + 4)


def test_xlsx_with_english_headers_and_date_cells_imports(persona, nanxun_enterprise):
    cells: list[list[Any]] = [
        list(ENGLISH.values()),
        [nanxun_enterprise.credit_code, dt.datetime(2024, 2, 1), "地面油污", "每班清扫", "Safety", "", ""],
        [],  # a blank row is skipped but keeps its number
        [
            nanxun_enterprise.credit_code.lower(),
            dt.date(2024, 2, 2),
            "照明不足",
            "加灯",
            "quality",
            "Implemented",
            dt.datetime(2024, 2, 10),
        ],
    ]
    sheet = importing.read_sheet(xlsx_bytes(cells), "history.xlsx")
    assert [number for number, _ in sheet.rows] == [2, 4]

    result = SuggestionImporter(actor=persona("team_member")).run(sheet)

    assert result.created == 2
    oil = Suggestion.objects.get(problem="地面油污")
    light = Suggestion.objects.get(problem="照明不足")
    assert (oil.category, oil.status, timezone.localdate(oil.submitted_at)) == (
        "safety",
        "submitted",
        dt.date(2024, 2, 1),
    )
    assert (light.category, light.status) == ("quality", "implemented")
    assert timezone.localdate(light.implemented_at) == dt.date(2024, 2, 10)


def test_files_made_for_the_earlier_import_page_still_import(persona, nanxun_enterprise):
    """The first suggestion import took short headers (credit_code, submitted_on, owner, name, gender...)."""
    header = [
        "credit_code",
        "submitted_on",
        "problem",
        "proposal",
        "category",
        "status",
        "owner",
        "due_date",
        "name",
        "gender",
    ]
    cells = [
        header,
        [
            nanxun_enterprise.credit_code,
            "2024.1.9",
            "照明不足旧表",
            "加灯",
            "safety",
            "in_progress",
            "陆建华",
            "2099-01-01",
            "李娜",
            "female",
        ],
    ]
    result = SuggestionImporter(actor=persona("factory_manager")).run(importing.read_sheet(csv_bytes(cells), "old.csv"))
    assert result.created == 1
    suggestion = Suggestion.objects.get(problem="照明不足旧表")
    assert (suggestion.owner_name, suggestion.submitter_name, suggestion.submitter_gender) == (
        "陆建华",
        "李娜",
        "woman",
    )


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2024-03-01", dt.date(2024, 3, 1)),
        ("2024/3/1", dt.date(2024, 3, 1)),
        ("2024.03.01", dt.date(2024, 3, 1)),
        ("2024年3月1日", dt.date(2024, 3, 1)),
        ("20240301", dt.date(2024, 3, 1)),
        ("2024-03-01 09:30:00", dt.date(2024, 3, 1)),
        ("２０２４－０３－０１", dt.date(2024, 3, 1)),
    ],
)
def test_dates_are_read_as_chinese_spreadsheets_write_them(text, day):
    assert parse_day(text) == day


# --- scope -----------------------------------------------------------------------------------------------


def test_enterprise_outside_the_users_scope_is_refused_like_an_unknown_one(
    persona, nanxun_enterprise, other_enterprise
):
    before = counts()
    actor = persona("factory_manager")
    sheet = importing.read_sheet(
        csv_bytes(table([row(nanxun_enterprise.credit_code, 1), row(other_enterprise.credit_code, 2)])), "x.csv"
    )
    with pytest.raises(importing.ImportRejected) as caught:
        SuggestionImporter(actor=actor).run(sheet)
    [error] = caught.value.result.errors
    assert (error.row, error.column) == (3, "统一社会信用代码")
    unknown = "91330503MA2B3C4D5X"
    messages = {
        code: check(actor, table([row(code, 3)])).errors[0].message.replace(code, "?")
        for code in (other_enterprise.credit_code, unknown)
    }
    assert messages[other_enterprise.credit_code] == messages[unknown]
    assert counts() == before


def test_officials_and_trainers_reach_no_enterprise_for_suggestions(persona, nanxun_enterprise):
    for username in ("huzhou_official", "trainer"):
        result = check(persona(username), table([row(nanxun_enterprise.credit_code, 1)]))
        assert [e.column for e in result.errors] == ["统一社会信用代码"], username


class ScopeBlindImporter(SuggestionImporter):
    """An importer whose row check forgets the scope: the batch re-check must still refuse the import."""

    def prepare(self, rows):
        super().prepare(rows)
        for enterprise in Enterprise.objects.all():
            self.enterprises[enterprise.credit_code] = enterprise


def test_batch_scope_recheck_rolls_back_everything_when_a_record_falls_outside(
    persona, nanxun_enterprise, other_enterprise
):
    before = counts()
    sheet = importing.read_sheet(
        csv_bytes(table([row(nanxun_enterprise.credit_code, 1), row(other_enterprise.credit_code, 2)])), "x.csv"
    )
    importer = ScopeBlindImporter(actor=persona("factory_manager"))
    assert importer.check(sheet).ok
    with pytest.raises(OutOfScope):
        importer.run(sheet)
    assert counts() == before


def test_programme_admin_imports_for_any_enterprise(persona, nanxun_enterprise, other_enterprise):
    cells = table([row(nanxun_enterprise.credit_code, 1), row(other_enterprise.credit_code, 2)])
    result = SuggestionImporter(actor=persona("admin")).run(importing.read_sheet(csv_bytes(cells), "x.csv"))
    assert result.created == 2


# --- duplicates ------------------------------------------------------------------------------------------


def test_a_file_imported_twice_is_refused_the_second_time(persona, nanxun_enterprise):
    actor = persona("factory_manager")
    data = csv_bytes(table([row(nanxun_enterprise.credit_code, 1), row(nanxun_enterprise.credit_code, 2)]))
    SuggestionImporter(actor=actor).run(importing.read_sheet(data, "x.csv"))
    before = counts()

    with pytest.raises(importing.ImportRejected) as caught, translation.override("en"):
        SuggestionImporter(actor=actor).run(importing.read_sheet(data, "x.csv"))

    assert [(e.row, e.column) for e in caught.value.result.errors] == [(2, "问题"), (3, "问题")]
    assert "already" in caught.value.result.errors[0].message
    assert counts() == before


def test_duplicates_compare_texts_without_regard_to_spacing_and_width(persona, nanxun_enterprise):
    code = nanxun_enterprise.credit_code
    rows = [
        row(code, 1, problem="灯不亮 ，车间暗"),
        row(code, 1, problem=" 灯不亮  ,车间暗 "),  # the same text, typed again
        row(code, 1, problem="灯不亮 ，车间暗", submitted_on="2024-03-02"),  # another day: another suggestion
        row(code, 1, problem="灯不亮 ，车间暗", proposal="换灯"),  # another suggestion
    ]
    result = check(persona("factory_manager"), table(rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "问题")]
    assert "2" in result.errors[0].message


def test_a_suggestion_entered_on_the_board_is_not_imported_again(persona, nanxun_enterprise):
    from scorehub.suggestions.services import suggestion_create

    actor = persona("factory_manager")
    at = timezone.make_aware(dt.datetime(2024, 3, 1, 15, 20))
    suggestion_create(
        actor=actor,
        enterprise=nanxun_enterprise,
        data={"problem": "配电箱门坏了", "proposal": "换锁", "category": "safety"},
        submitted_at=at,
    )
    result = check(actor, table([row(nanxun_enterprise.credit_code, 1, problem="配电箱门坏了", proposal="换锁")]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "问题")]


# --- pages, template, console ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["huzhou_official", "nanxun_inspector", "trainer", "buyer"])
def test_users_without_operate_get_404_for_the_import_pages(
    client_as, username, nanxun_enterprise, django_capture_on_commit_callbacks
):
    client = client_as(username)
    jobs = ImportJob.objects.count()
    assert client.get(IMPORT_URL).status_code == 404
    assert client.get(reverse("suggestions:import-template-xlsx")).status_code == 404
    assert client.get(reverse("suggestions:import-template-csv")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        data = csv_bytes(table([row(nanxun_enterprise.credit_code, 1)]))
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.csv", data)})
    assert response.status_code == 404
    assert ImportJob.objects.count() == jobs


def test_list_and_board_offer_import_only_to_the_enterprise_team(client_as):
    link = f'href="{IMPORT_URL}"'
    for username in ("factory_manager", "team_member"):
        client = client_as(username)
        assert link in client.get(reverse("suggestions:list")).content.decode(), username
        assert link in client.get(reverse("suggestions:board")).content.decode(), username
        assert client.get(IMPORT_URL).status_code == 200
    client = client_as("huzhou_official")
    assert link not in client.get(reverse("suggestions:list")).content.decode()
    assert link not in client.get(reverse("suggestions:board")).content.decode()


def test_job_pages_are_404_for_everyone_but_the_person_who_started_it(
    client_as, nanxun_enterprise, django_capture_on_commit_callbacks
):
    owner = client_as("factory_manager")
    data = csv_bytes(table([row(nanxun_enterprise.credit_code, 1)]))
    job = upload(owner, data, "mine.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED
    page = reverse("suggestions:import-job", kwargs={"pk": job.pk})
    before = counts()
    # The team member works on the same enterprise, but the job is the manager's.
    for username in ("team_member", "huzhou_official", "trainer"):
        other = client_as(username)
        assert other.get(page).status_code == 404, username
        with django_capture_on_commit_callbacks(execute=True):
            response = other.post(reverse("suggestions:import-confirm", kwargs={"pk": job.pk}))
        assert response.status_code == 404, username
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert counts() == before
    # Jobs show only under the importer that made them.
    assert client_as("factory_manager").get(page).status_code == 200
    assert owner.get(reverse("enterprises:import-job", kwargs={"pk": job.pk})).status_code == 404


def test_template_downloads_are_bilingual_and_the_example_row_is_not_imported(
    client_as, django_capture_on_commit_callbacks
):
    client = client_as("team_member")
    xlsx = client.get(reverse("suggestions:import-template-xlsx"))
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"] == 'attachment; filename="suggestion-import-template.xlsx"'
    sheet = importing.read_sheet(xlsx.content, "template.xlsx")
    assert sheet.headers[:5] == [
        "统一社会信用代码 / Unified social credit code",
        "提交日期 / Submitted on",
        "问题 / Problem",
        "建议 / Suggestion",
        "类别 / Category",
    ]
    assert len(sheet.rows) == 1

    csv_file = client.get(reverse("suggestions:import-template-csv"))
    assert csv_file.content.startswith(b"\xef\xbb\xbf")
    assert "不采纳理由 / Reason for rejection" in csv_file.content.decode("utf-8-sig")

    job = upload(client, xlsx.content, "template.xlsx", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    [error] = job.errors
    assert error["row"] == 2


def test_import_page_lists_the_columns_in_both_languages(client_as):
    page = client_as("factory_manager").get(IMPORT_URL).content.decode()
    assert 'data-testid="import-columns"' in page
    for label in ("统一社会信用代码", "Unified social credit code", "不采纳理由", "Reason for rejection"):
        assert label in page


def test_console_import_as_a_user_saves_all_rows(tmp_path, persona, nanxun_enterprise):
    path = tmp_path / "history.csv"
    path.write_bytes(csv_bytes(table([row(nanxun_enterprise.credit_code, 1), row(nanxun_enterprise.credit_code, 2)])))
    before = counts()

    call_command("import_suggestions", str(path), "--user", "factory_manager", "--dry-run", stdout=io.StringIO())
    assert counts() == before

    out = io.StringIO()
    call_command("import_suggestions", str(path), "--user", "factory_manager", "--language", "en", stdout=out)
    assert "2 rows imported" in out.getvalue()
    assert (
        Suggestion.objects.filter(problem__startswith="导入测试问题", created_by=persona("factory_manager")).count()
        == 2
    )


def test_console_import_with_errors_or_without_a_user_saves_nothing(tmp_path, nanxun_enterprise, other_enterprise):
    path = tmp_path / "history.csv"
    path.write_bytes(csv_bytes(table([row(nanxun_enterprise.credit_code, 1), row(other_enterprise.credit_code, 2)])))
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_suggestions", str(path), "--user", "factory_manager", "--language", "en", stderr=err)
    assert "row 3, 统一社会信用代码" in err.getvalue()
    with pytest.raises(CommandError, match="--user"):
        call_command("import_suggestions", str(path))
    assert counts() == before


# --- size --------------------------------------------------------------------------------------------------


def test_queries_grow_with_the_batches_not_with_the_rows(persona, nanxun_enterprise):
    actor = persona("factory_manager")

    def queries(first: int, size: int) -> int:
        rows = [
            row(nanxun_enterprise.credit_code, i, status="已实施", implemented_on="2024-03-09")
            for i in range(first, first + size)
        ]
        sheet = importing.read_sheet(csv_bytes(table(rows)), "x.csv")
        with CaptureQueriesContext(connection) as captured:
            SuggestionImporter(actor=actor, context={"size": size}).run(sheet)
        return len(captured)

    small, large = queries(0, 10), queries(1000, 400)
    # Only the bulk inserts grow (SQLite takes a few dozen rows per INSERT): never a query per row.
    assert large - small < 400 // 10, (small, large)


def test_five_thousand_rows_import_in_one_go(client_as, nanxun_enterprise, django_capture_on_commit_callbacks):
    client = client_as("factory_manager")
    start = dt.date(2019, 1, 1)
    rows = [
        row(nanxun_enterprise.credit_code, i, submitted_on=(start + dt.timedelta(days=i % 1500)).isoformat())
        for i in range(5000)
    ]
    before = counts()
    started = time.monotonic()
    job = upload(client, csv_bytes(table(rows)), "big.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors[:5]
    job = confirm(client, job, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started
    assert job.status == ImportStatus.DONE, job.message
    assert counts() == (before[0] + 5000, before[1] + 5000, before[2] + 5000)
    print(f"5,000 suggestions checked and imported in {elapsed:.1f} s")
