"""Enrolling enterprises in a programme from a spreadsheet: all rows or none, every broken row reported,
the programme from the URL, the enterprises in the importer's scope."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from scorehub.core import importing
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.models import Enterprise
from scorehub.training import services
from scorehub.training.importers import EnrolmentImporter
from scorehub.training.models import Enrolment, EnrolmentStatus, Programme

pytestmark = pytest.mark.django_db

CHINESE = {
    "credit_code": "统一社会信用代码",
    "enrolled_on": "报名日期",
    "status": "报名状态",
    "dropped_reason": "退出原因",
}
ENGLISH = {
    "credit_code": "Unified social credit code",
    "enrolled_on": "Enrolled on",
    "status": "Enrolment status",
    "dropped_reason": "Reason for dropping out",
}
UNKNOWN_CODE = "91330503MA2B3C4D5X"


def table(rows: list[dict[str, Any]], headers: dict[str, str] = CHINESE) -> list[list[Any]]:
    return [list(headers.values()), *[[r.get(field, "") for field in headers] for r in rows]]


def csv_bytes(cells: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(cells)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(cells: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for cells_of_row in cells:
        sheet.append(cells_of_row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def counts() -> tuple[int, int]:
    return (
        Enrolment.objects.count(),
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Enrolment)).count(),
    )


def import_url(programme: Programme, name: str = "import", **kwargs: Any) -> str:
    return reverse(f"training:{name}", kwargs={"programme": programme.pk, **kwargs})


def upload(client: Any, programme: Programme, data: bytes, name: str, capture: Any) -> ImportJob:
    with capture(execute=True):
        response = client.post(import_url(programme), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def confirm(client: Any, job: ImportJob, capture: Any) -> ImportJob:
    with capture(execute=True):
        response = client.post(reverse("training:import-confirm", kwargs={**job.parameters, "pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def errors_by_row(errors: list[Any]) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in errors:
        error = error if isinstance(error, dict) else error.as_dict()
        found.setdefault(error["row"], []).append((error["column"], error["message"]))
    return found


def check(actor: Any, programme: Programme, cells: list[list[Any]]) -> importing.CheckResult:
    importer = EnrolmentImporter(actor=actor, parameters={"programme": programme.pk})
    return importer.check(importing.read_sheet(csv_bytes(cells), "x.csv"))


def new_programme(actor: Any, region: str, today: dt.date, name: str) -> Programme:
    return services.programme_save(
        actor=actor,
        programme=Programme(
            name_zh=name,
            name_en=name,
            region_id=region,
            starts_on=today - dt.timedelta(days=90),
            ends_on=today + dt.timedelta(days=365),
        ),
    )


@pytest.fixture
def programme(persona: Any, today: dt.date) -> Programme:
    """A new Huzhou programme nobody is enrolled in yet (the demo's own enrols nearly all of Huzhou)."""
    return new_programme(persona("huzhou_official"), "330500", today, "湖州 SCORE 扩展二期")


@pytest.fixture
def nanxun_programme(persona: Any, today: dt.date) -> Programme:
    return new_programme(persona("huzhou_official"), "330503", today, "南浔 SCORE 试点")


def huzhou_firms(region: str = "3305") -> list[Enterprise]:
    return list(Enterprise.objects.filter(region__code__startswith=region, archived_at__isnull=True).order_by("pk"))


# --- good files ----------------------------------------------------------------------------------------


def test_csv_with_chinese_headers_is_checked_then_imported_whole(
    client_as, persona, programme, today, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    first, second, third, fourth = huzhou_firms()[:4]
    earlier = today - dt.timedelta(days=30)
    rows = [
        {"credit_code": first.credit_code},
        {"credit_code": second.credit_code.lower(), "enrolled_on": earlier.strftime("%Y/%m/%d")},
        {"credit_code": third.credit_code, "status": "已退出", "dropped_reason": "企业搬迁"},
        {"credit_code": fourth.credit_code, "enrolled_on": earlier.isoformat(), "status": "active"},
    ]
    programme_page = client.get(programme.get_absolute_url()).content.decode()
    assert f'href="{import_url(programme)}"' in programme_page
    before = counts()
    job = upload(client, programme, csv_bytes(table(rows)), "报名名单.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.parameters == {"programme": programme.pk}
    assert job.total_rows == 4
    assert counts() == before  # the dry run saved nothing
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-confirm"' in page
    assert f"{first.credit_code} {first.name}" in page  # the preview shows the enterprise it found
    assert programme.get_absolute_url() in page  # the way back leads to the programme
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_count == 4
    enrolments = {e.enterprise_id: e for e in Enrolment.objects.filter(programme=programme)}
    assert set(enrolments) == {first.pk, second.pk, third.pk, fourth.pk}
    assert (enrolments[first.pk].enrolled_on, enrolments[first.pk].status) == (today, EnrolmentStatus.ENROLLED)
    assert enrolments[first.pk].status_changed_on is None
    assert enrolments[second.pk].enrolled_on == earlier
    dropped = enrolments[third.pk]
    assert (dropped.status, dropped.dropped_reason, dropped.status_changed_on) == ("dropped", "企业搬迁", today)
    assert (enrolments[fourth.pk].status, enrolments[fourth.pk].enrolled_on) == ("active", earlier)
    # One "created" change-log entry per enrolment, in the importer's name, noting the job.
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Enrolment),
        object_pk__in=[str(e.pk) for e in enrolments.values()],
    )
    assert entries.count() == 4
    assert {e.action for e in entries} == {LogEntry.Action.CREATE}
    assert {e.actor_id for e in entries} == {persona("huzhou_official").pk}
    assert {e.additional_data["import_job"] for e in entries} == {job.pk}
    assert counts() == (before[0] + 4, before[1] + 4)


def test_xlsx_with_chinese_headers_date_cells_and_chinese_statuses_imports(persona, programme, today):
    first, second, third = huzhou_firms()[:3]
    day = today - dt.timedelta(days=7)
    cells: list[list[Any]] = [
        ["退出原因", "统一社会信用代码", "报名日期", "状态", "备注"],  # any order; other columns are ignored
        ["", first.credit_code, dt.datetime.combine(day, dt.time()), "已完成", "第一批"],
        [],  # a blank row is skipped but keeps its number
        ["", second.credit_code, day, "", ""],
        ["经营困难", third.credit_code, "", "退出", ""],
    ]
    sheet = importing.read_sheet(xlsx_bytes(cells), "报名.xlsx")
    assert [number for number, _ in sheet.rows] == [2, 4, 5]
    importer = EnrolmentImporter(actor=persona("huzhou_official"), parameters={"programme": programme.pk})
    result = importer.run(sheet)
    assert result.created == 3
    found = {e.enterprise_id: e for e in Enrolment.objects.filter(programme=programme)}
    assert (found[first.pk].status, found[first.pk].enrolled_on) == ("completed", day)
    assert (found[second.pk].status, found[second.pk].enrolled_on) == ("enrolled", day)
    assert (found[third.pk].status, found[third.pk].dropped_reason, found[third.pk].enrolled_on) == (
        "dropped",
        "经营困难",
        today,
    )


def test_english_headers_are_understood(persona, programme):
    [first] = huzhou_firms()[:1]
    result = check(persona("huzhou_official"), programme, table([{"credit_code": first.credit_code}], ENGLISH))
    assert result.ok, result.errors


# --- broken files --------------------------------------------------------------------------------------


def test_every_kind_of_broken_row_is_reported_in_its_column_and_nothing_is_saved(
    client_as, persona, nanxun_programme, today, django_capture_on_commit_callbacks
):
    nanxun = huzhou_firms("330503")
    wuxing = huzhou_firms("330502")[0]
    services.enrolment_create_many(
        actor=persona("huzhou_official"), programme=nanxun_programme, enterprises=[nanxun[1]], enrolled_on=today
    )
    rows = [
        {"credit_code": nanxun[0].credit_code},  # row 2: fine
        {"credit_code": UNKNOWN_CODE},  # row 3: no such enterprise
        {"credit_code": nanxun[1].credit_code},  # row 4: enrolled already
        {"credit_code": nanxun[0].credit_code},  # row 5: the same as row 2
        {"credit_code": wuxing.credit_code},  # row 6: outside the programme's region (Nanxun)
        {"credit_code": nanxun[2].credit_code, "enrolled_on": (today + dt.timedelta(days=1)).isoformat()},  # row 7
        {"credit_code": nanxun[3].credit_code, "enrolled_on": "2020-01-01"},  # row 8: before the programme
        {"credit_code": nanxun[4].credit_code, "enrolled_on": "下个月"},  # row 9: not a date
        {"credit_code": nanxun[5].credit_code, "status": "暂停"},  # row 10: no such status
        {"credit_code": nanxun[6].credit_code, "status": "已退出"},  # row 11: dropped without a reason
        {"credit_code": "", "enrolled_on": today.isoformat()},  # row 12: no enterprise
    ]
    client = client_as("huzhou_official")
    before = counts()
    job = upload(client, nanxun_programme, csv_bytes(table(rows)), "名单.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    by_row = errors_by_row(job.errors)
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    expected_columns = {
        3: "统一社会信用代码",
        4: "统一社会信用代码",
        5: "统一社会信用代码",
        6: "统一社会信用代码",
        7: "报名日期",
        8: "报名日期",
        9: "报名日期",
        10: "报名状态",
        11: "退出原因",
        12: "统一社会信用代码",
    }
    assert {number: [column for column, _ in errors] for number, errors in by_row.items()} == {
        number: [column] for number, column in expected_columns.items()
    }
    # The page is in Chinese (the visitor's language): the messages say what is wrong.
    assert UNKNOWN_CODE in by_row[3][0][1]
    assert "已经报名" in by_row[4][0][1]
    assert "2" in by_row[5][0][1]  # names the row it repeats
    assert wuxing.name_zh in by_row[6][0][1]
    assert "下个月" in by_row[9][0][1]
    assert "暂停" in by_row[10][0][1]
    assert counts() == before
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-errors"' in page
    assert 'data-testid="import-confirm"' not in page
    # Confirming a file with errors is refused; nothing changes.
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert counts() == before


@pytest.mark.parametrize(
    ("row", "column", "words"),
    [
        ({"enrolled_on": "2099-01-01"}, "报名日期", "future"),
        ({"enrolled_on": "2000-01-01"}, "报名日期", "within the programme's dates"),
        ({"enrolled_on": "2024-13-01"}, "报名日期", "YYYY-MM-DD"),
        ({"status": "on hold"}, "报名状态", "enrolled, active, completed, dropped"),
        ({"status": "dropped"}, "退出原因", "Say why the enterprise dropped out."),
        ({"status": "dropped", "dropped_reason": "长" * 301}, "退出原因", "300"),
    ],
)
def test_each_rule_of_a_row_is_reported_in_its_column(persona, programme, row, column, words):
    [first] = huzhou_firms()[:1]
    result = check(persona("huzhou_official"), programme, table([{"credit_code": first.credit_code, **row}]))
    [error] = result.errors
    assert (error.row, error.column) == (2, column)
    assert words in error.message


def test_dropped_without_a_reason_column_is_still_refused(persona, programme):
    [first] = huzhou_firms()[:1]
    cells = [["统一社会信用代码", "状态"], [first.credit_code, "已退出"]]
    [error] = check(persona("huzhou_official"), programme, cells).errors
    assert (error.row, error.message) == (2, "Say why the enterprise dropped out.")


def test_one_bad_row_saves_nothing(persona, programme):
    good = huzhou_firms()[:3]
    rows = [{"credit_code": e.credit_code} for e in good] + [{"credit_code": UNKNOWN_CODE}]
    before = counts()
    importer = EnrolmentImporter(actor=persona("huzhou_official"), parameters={"programme": programme.pk})
    with pytest.raises(importing.ImportRejected) as caught:
        importer.run(importing.read_sheet(csv_bytes(table(rows)), "x.csv"))
    assert [e.row for e in caught.value.result.errors] == [5]
    assert counts() == before
    assert not Enrolment.objects.filter(programme=programme).exists()


def test_an_enterprise_enrolled_between_check_and_import_undoes_the_whole_import(
    client_as, persona, programme, today, django_capture_on_commit_callbacks
):
    firms = huzhou_firms()[:3]
    client = client_as("huzhou_official")
    job = upload(
        client,
        programme,
        csv_bytes(table([{"credit_code": e.credit_code} for e in firms])),
        "x.csv",
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.CHECKED
    # Someone enrols the last enterprise on the programme page meanwhile.
    services.enrolment_create_many(
        actor=persona("zhejiang_official"), programme=programme, enterprises=[firms[2]], enrolled_on=today
    )
    before = counts()
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert [e["row"] for e in job.errors] == [4]
    assert counts() == before
    assert list(Enrolment.objects.filter(programme=programme).values_list("enterprise_id", flat=True)) == [firms[2].pk]


# --- scope -----------------------------------------------------------------------------------------------


def test_enterprise_outside_the_importers_scope_is_refused_like_an_unknown_one(
    client_as, persona, programme, django_capture_on_commit_callbacks
):
    fangshan = Enterprise.objects.filter(region_id="110111").order_by("pk").first()
    assert fangshan is not None
    actor = persona("huzhou_official")
    messages = {
        code: check(actor, programme, table([{"credit_code": code}])).errors[0].message.replace(code, "?")
        for code in (fangshan.credit_code, UNKNOWN_CODE)
    }
    assert messages[fangshan.credit_code] == messages[UNKNOWN_CODE]
    client = client_as("huzhou_official")
    job = upload(
        client,
        programme,
        csv_bytes(table([{"credit_code": fangshan.credit_code}])),
        "x.csv",
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.INVALID
    page = client.get(job.get_absolute_url()).content.decode()
    assert fangshan.name_zh not in page
    assert not fangshan.name_en or fangshan.name_en not in page
    assert not Enrolment.objects.filter(programme=programme).exists()


def test_users_who_cannot_manage_the_programme_get_404_for_every_import_url(
    client_as, programme, django_capture_on_commit_callbacks
):
    owner = client_as("huzhou_official")
    [firm] = huzhou_firms()[:1]
    job = upload(
        owner,
        programme,
        csv_bytes(table([{"credit_code": firm.credit_code}])),
        "x.csv",
        django_capture_on_commit_callbacks,
    )
    assert job.status == ImportStatus.CHECKED
    pages = [
        import_url(programme),
        import_url(programme, "import-template-xlsx"),
        import_url(programme, "import-template-csv"),
        import_url(programme, "import-job", pk=job.pk),
        import_url(programme, "import-status", pk=job.pk),
    ]
    jobs, before = ImportJob.objects.count(), counts()
    for username in ("fangshan_official", "nanxun_inspector", "trainer", "factory_manager", "buyer"):
        client = client_as(username)
        for page in pages:
            assert client.get(page).status_code == 404, (username, page)
        with django_capture_on_commit_callbacks(execute=True):
            uploaded = client.post(import_url(programme), {"file": SimpleUploadedFile("x.csv", b"a,b\r\n1,2\r\n")})
            confirmed = client.post(import_url(programme, "import-confirm", pk=job.pk))
        assert (uploaded.status_code, confirmed.status_code) == (404, 404), username
    assert (ImportJob.objects.count(), counts()) == (jobs, before)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    # The programme page offers the import to those who manage the programme only.
    assert (
        'data-testid="import-enrolments-button"'
        not in client_as("nanxun_inspector").get(programme.get_absolute_url()).content.decode()
    )


def test_an_official_gets_404_for_a_programme_outside_their_jurisdiction(client_as):
    yongkang = Programme.objects.get(region_id="330784")
    client = client_as("huzhou_official")
    for name in ("import", "import-template-xlsx", "import-template-csv"):
        assert client.get(import_url(yongkang, name)).status_code == 404, name
    assert client.get(import_url(yongkang, "import-job", pk=1)).status_code == 404
    assert client_as("zhejiang_official").get(import_url(yongkang)).status_code == 200


def test_a_job_shows_only_under_the_programme_it_was_started_for(
    client_as, programme, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    [firm] = huzhou_firms()[:1]
    job = upload(
        client,
        programme,
        csv_bytes(table([{"credit_code": firm.credit_code}])),
        "x.csv",
        django_capture_on_commit_callbacks,
    )
    demo_programme = Programme.objects.get(region_id="330500", name_en="Huzhou SCORE scale-up")
    assert client.get(import_url(programme, "import-job", pk=job.pk)).status_code == 200
    assert client.get(import_url(demo_programme, "import-job", pk=job.pk)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(import_url(demo_programme, "import-confirm", pk=job.pk))
    assert response.status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert not Enrolment.objects.filter(programme=programme).exists()
    recent = client.get(import_url(demo_programme)).content.decode()
    assert 'data-testid="recent-imports"' not in recent


def test_a_programme_no_longer_managed_refuses_the_import(persona, programme):
    [firm] = huzhou_firms()[:1]
    sheet = importing.read_sheet(csv_bytes(table([{"credit_code": firm.credit_code}])), "x.csv")
    with pytest.raises(OutOfScope):
        EnrolmentImporter(actor=persona("fangshan_official"), parameters={"programme": programme.pk}).run(sheet)
    assert not Enrolment.objects.filter(programme=programme).exists()


# --- templates and the console ---------------------------------------------------------------------------


def test_template_downloads_are_bilingual_and_the_example_row_is_not_imported(client_as, persona, programme):
    client = client_as("huzhou_official")
    response = client.get(import_url(programme, "import-template-csv"))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "统一社会信用代码 / Unified social credit code" in text
    assert "报名日期 / Enrolled on" in text
    xlsx = client.get(import_url(programme, "import-template-xlsx"))
    assert xlsx.status_code == 200
    sheet = importing.read_sheet(xlsx.content, "template.xlsx")
    with translation.override("en"):  # the page asked for before answered in Chinese
        importer = EnrolmentImporter(actor=persona("huzhou_official"), parameters={"programme": programme.pk})
        [error] = importer.check(sheet).errors
    assert "example row" in error.message
    page = client.get(import_url(programme)).content.decode()
    assert "退出原因" in page
    assert "Reason for dropping out" in page


def test_console_import_enrols_into_the_programme_given(tmp_path, persona, programme):
    firms = huzhou_firms()[:2]
    path = tmp_path / "enrolments.csv"
    path.write_bytes(csv_bytes(table([{"credit_code": e.credit_code} for e in firms])))
    out = io.StringIO()
    call_command(
        "import_enrolments", str(path), programme=str(programme.pk), user="huzhou_official", language="en", stdout=out
    )
    assert "2 rows imported" in out.getvalue()
    assert set(Enrolment.objects.filter(programme=programme).values_list("enterprise_id", flat=True)) == {
        e.pk for e in firms
    }
    entry = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Enrolment)).latest("pk")
    assert (entry.actor_id, entry.additional_data["source"]) == (persona("huzhou_official").pk, "console")


def test_console_import_refuses_a_programme_the_user_does_not_manage_and_needs_one(tmp_path, programme):
    [firm] = huzhou_firms()[:1]
    path = tmp_path / "enrolments.csv"
    path.write_bytes(csv_bytes(table([{"credit_code": firm.credit_code}])))
    before = counts()
    with pytest.raises(CommandError, match="--programme"):
        call_command("import_enrolments", str(path), programme=str(programme.pk), user="fangshan_official")
    with pytest.raises(CommandError):
        call_command("import_enrolments", str(path), user="huzhou_official")
    assert counts() == before
