"""Importing enterprises from spreadsheets: all rows or none, every broken row reported, scope kept."""

from __future__ import annotations

import time

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext

from scorehub.core import importing
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import OutOfScope
from scorehub.enterprises.importers import EnterpriseImporter
from scorehub.enterprises.models import ContactPerson, Enterprise, EnterpriseStatus, SizeClass
from scorehub.regions.models import Region

from .import_files import CHINESE_HEADERS, ENGLISH_HEADERS, code, csv_bytes, enterprise, table, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/enterprises/import/"


def counts():
    return (
        Enterprise.objects.count(),
        ContactPerson.objects.count(),
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Enterprise)).count(),
    )


def upload(client, data: bytes, name: str, capture):
    with capture(execute=True):
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def confirm(client, job, capture):
    with capture(execute=True):
        response = client.post(reverse("enterprises:import-confirm", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def broken_file(nanxun_enterprise) -> bytes:
    bad_check = code(2)[:-1] + ("0" if code(2)[-1] != "0" else "1")
    rows = [
        enterprise(1),  # row 2: fine
        enterprise(2, credit_code=bad_check),  # row 3: mistyped code
        enterprise(3, region="999999"),  # row 4: no such region
        enterprise(4, credit_code=code(1)),  # row 5: same code as row 2
        enterprise(5, credit_code=nanxun_enterprise.credit_code),  # row 6: already registered
        enterprise(6, name_zh=""),  # row 7: name missing
        enterprise(7, size_class="巨型", employees_women="999"),  # row 8: two problems
    ]
    return csv_bytes(table(rows, CHINESE_HEADERS))


def test_file_with_broken_rows_saves_nothing_and_reports_every_broken_row(
    client_as, nanxun_enterprise, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    before = counts()

    job = upload(client, broken_file(nanxun_enterprise), "企业.csv", django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert job.total_rows == 7
    by_row = {}
    for error in job.errors:
        by_row.setdefault(error["row"], []).append((error["column"], error["message"]))
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8]
    assert by_row[3] == [("统一社会信用代码", by_row[3][0][1])]
    assert "18" in by_row[3][0][1]  # the message names the position that is wrong
    assert by_row[4] == [("行政区划代码", by_row[4][0][1])]
    assert "999999" in by_row[4][0][1]
    assert by_row[5][0][0] == "统一社会信用代码"
    assert "2" in by_row[5][0][1]
    assert by_row[6][0][0] == "统一社会信用代码"
    assert by_row[7] == [("企业名称", by_row[7][0][1])]
    assert {column for column, _ in by_row[8]} == {"企业规模", "女职工人数"}
    assert job.error_count == 7
    assert counts() == before

    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert b'data-testid="import-errors"' in page.content
    assert b'data-testid="import-confirm"' not in page.content

    # Confirming a file with errors is refused; nothing changes.
    confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert counts() == before


def test_importer_run_on_broken_rows_raises_and_saves_nothing(persona, nanxun_enterprise):
    before = counts()
    sheet = importing.read_sheet(broken_file(nanxun_enterprise), "x.csv")
    with pytest.raises(importing.ImportRejected) as caught:
        EnterpriseImporter(actor=persona("huzhou_official")).run(sheet)
    assert {e.row for e in caught.value.result.errors} == {3, 4, 5, 6, 7, 8}
    assert counts() == before


def test_gb18030_csv_with_chinese_headers_is_checked_then_imported_whole(
    client_as, persona, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    rows = [enterprise(i, region=region) for i, region in enumerate(["330503", "330521", "330502"], start=100)]
    rows[1]["industry_division"] = "C26"
    rows[2]["industry_division"] = "家具制造业"
    rows[2]["region"] = "吴兴区"
    data = csv_bytes(table(rows, CHINESE_HEADERS), encoding="gb18030")
    assert data[:3] != b"\xef\xbb\xbf"
    before = counts()

    job = upload(client, data, "湖州企业.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.total_rows == 3
    assert counts() == before  # the dry run saved nothing
    page = client.get(job.get_absolute_url())
    assert b'data-testid="import-confirm"' in page.content
    assert "测试导入纺织有限公司100" in page.content.decode()

    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert job.created_count == 3
    assert job.content == b""  # the file is dropped once imported
    imported = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=[r["credit_code"] for r in rows])}
    assert len(imported) == 3
    first, second, third = (imported[r["credit_code"]] for r in rows)
    assert (first.region_id, first.industry_division, first.industry_section) == ("330503", "17", "C")
    assert (second.region_id, second.industry_division) == ("330521", "26")
    assert (third.region_id, third.industry_division) == ("330502", "21")
    assert first.size_class == SizeClass.SMALL
    assert first.status == EnterpriseStatus.ACTIVE
    assert (first.employees_total, first.employees_women) == (120, 70)
    assert first.contacts.get().name == "王丽华"
    # One change-log entry per created record, attributed to the official.
    entries = LogEntry.objects.filter(
        object_pk=str(first.pk), content_type=ContentType.objects.get_for_model(Enterprise)
    )
    assert entries.count() == 1
    entry = entries.get()
    assert entry.actor == persona("huzhou_official")
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["credit_code"][1] == first.credit_code
    assert entry.additional_data["import_job"] == job.pk


def test_xlsx_with_english_headers_and_english_words_imports(persona):
    rows = [
        enterprise(200, size_class="Medium", status="suspended", industry_division="C30", region="Deqing County"),
        enterprise(201, size_class="micro", status="Closed", employees_total="1,200", employees_women="600.0"),
    ]
    cells = table(rows, ENGLISH_HEADERS)
    cells.insert(2, ["", "", "", "", "", "", "", "", ""])  # a blank row in between is ignored
    sheet = importing.read_sheet(xlsx_bytes(cells), "enterprises.xlsx")
    assert [number for number, _ in sheet.rows] == [2, 4]

    result = EnterpriseImporter(actor=persona("zhejiang_official")).run(sheet)

    assert result.created == 2
    deqing = Enterprise.objects.get(credit_code=rows[0]["credit_code"])
    assert (deqing.region_id, deqing.size_class, deqing.status, deqing.industry_division) == (
        "330521",
        SizeClass.MEDIUM,
        EnterpriseStatus.SUSPENDED,
        "30",
    )
    assert deqing.name_en == "Import Test Textiles 200"
    other = Enterprise.objects.get(credit_code=rows[1]["credit_code"])
    assert (other.size_class, other.status, other.employees_total, other.employees_women) == (
        SizeClass.MICRO,
        EnterpriseStatus.CLOSED,
        1200,
        600,
    )


def test_error_row_numbers_count_blank_rows_as_the_spreadsheet_shows_them(persona):
    cells = table([enterprise(300), enterprise(301, region="12345")], ENGLISH_HEADERS)
    cells.insert(1, [])
    cells.insert(1, [])
    sheet = importing.read_sheet(xlsx_bytes(cells), "x.xlsx")
    result = EnterpriseImporter(actor=persona("huzhou_official")).check(sheet)
    assert [(e.row, e.column) for e in result.errors] == [(5, "Region code")]


def test_ten_thousand_rows_import_in_one_go(client_as, django_capture_on_commit_callbacks):
    client = client_as("huzhou_official")
    districts = ["330502", "330503", "330521", "330522", "330523"]
    rows = [enterprise(1000 + i, region=districts[i % 5]) for i in range(10_000)]
    data = csv_bytes(table(rows, CHINESE_HEADERS))
    before = counts()
    started = time.monotonic()

    job = upload(client, data, "big.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors[:5]
    job = confirm(client, job, django_capture_on_commit_callbacks)

    elapsed = time.monotonic() - started
    assert job.status == ImportStatus.DONE, job.message
    assert job.created_count == 10_000
    after = counts()
    assert after[0] == before[0] + 10_000
    assert after[1] == before[1] + 10_000
    assert after[2] == before[2] + 10_000
    assert Enterprise.objects.filter(credit_code__in=[rows[0]["credit_code"], rows[-1]["credit_code"]]).count() == 2
    print(f"10,000 rows checked and imported in {elapsed:.1f} s")


@pytest.mark.parametrize("region", ["110111", "330784", "999999"])
def test_official_cannot_import_into_region_outside_jurisdiction(persona, region):
    """Fangshan and Yongkang exist but lie outside Huzhou: the answer is the same as for no region at all."""
    before = counts()
    sheet = importing.read_sheet(
        csv_bytes(table([enterprise(400), enterprise(401, region=region)], CHINESE_HEADERS)), "x.csv"
    )
    with pytest.raises(importing.ImportRejected) as caught:
        EnterpriseImporter(actor=persona("huzhou_official")).run(sheet)
    [error] = caught.value.result.errors
    assert (error.row, error.column) == (3, "行政区划代码")
    assert region in error.message
    messages = {
        r: EnterpriseImporter(actor=persona("huzhou_official"))
        .check(importing.read_sheet(csv_bytes(table([enterprise(402, region=r)], CHINESE_HEADERS)), "x.csv"))
        .errors[0]
        .message.replace(r, "?")
        for r in ("110111", "999999")
    }
    assert messages["110111"] == messages["999999"]
    assert counts() == before


def test_outsider_cannot_import_into_nanxun(persona):
    before = counts()
    sheet = importing.read_sheet(csv_bytes(table([enterprise(500)], CHINESE_HEADERS)), "x.csv")
    with pytest.raises(importing.ImportRejected):
        EnterpriseImporter(actor=persona("fangshan_official")).run(sheet)
    assert counts() == before


class ScopeBlindImporter(EnterpriseImporter):
    """An importer whose row check forgets the scope: the batch re-check must still refuse the import."""

    def prepare(self, rows):
        super().prepare(rows)
        for region in Region.objects.all():
            self.regions_by_code[region.code] = region


def test_batch_scope_recheck_rolls_back_everything_when_a_record_falls_outside(persona):
    before = counts()
    sheet = importing.read_sheet(
        csv_bytes(table([enterprise(600), enterprise(601, region="110111")], CHINESE_HEADERS)), "x.csv"
    )
    importer = ScopeBlindImporter(actor=persona("huzhou_official"))
    assert importer.check(sheet).ok
    with pytest.raises(OutOfScope):
        importer.run(sheet)
    assert counts() == before


@pytest.mark.parametrize("username", ["nanxun_inspector", "trainer", "buyer", "factory_manager"])
def test_users_without_manage_get_404_for_the_import_pages(client_as, username, django_capture_on_commit_callbacks):
    client = client_as(username)
    jobs = ImportJob.objects.count()
    assert client.get(IMPORT_URL).status_code == 404
    assert client.get(reverse("enterprises:import-template-xlsx")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        data = csv_bytes(table([enterprise(700)], CHINESE_HEADERS))
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.csv", data)})
    assert response.status_code == 404
    assert ImportJob.objects.count() == jobs


def test_enterprise_list_offers_import_only_to_managers(client_as):
    assert 'href="/enterprises/import/"' in client_as("huzhou_official").get("/enterprises/").content.decode()
    assert 'href="/enterprises/import/"' not in client_as("nanxun_inspector").get("/enterprises/").content.decode()


def test_job_pages_are_404_for_everyone_but_the_person_who_started_it(
    client_as, persona, django_capture_on_commit_callbacks
):
    owner = client_as("huzhou_official")
    job = upload(
        owner, csv_bytes(table([enterprise(800)], CHINESE_HEADERS)), "mine.csv", django_capture_on_commit_callbacks
    )
    assert job.status == ImportStatus.CHECKED
    urls = [
        reverse("enterprises:import-job", kwargs={"pk": job.pk}),
        reverse("enterprises:import-status", kwargs={"pk": job.pk}),
    ]
    confirm_url = reverse("enterprises:import-confirm", kwargs={"pk": job.pk})
    before = counts()
    for username in ["zhejiang_official", "fangshan_official", "nanxun_inspector", "trainer", "buyer"]:
        other = client_as(username)
        for url in urls:
            assert other.get(url).status_code == 404, (username, url)
        with django_capture_on_commit_callbacks(execute=True):
            assert other.post(confirm_url).status_code == 404, username
    # Programme admins may look, but not import someone else's file.
    admin = client_as("admin")
    assert admin.get(urls[0]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(confirm_url).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    assert counts() == before
    # (client_as signs the one test client in as each persona in turn.)
    assert client_as("huzhou_official").get(urls[0]).status_code == 200


def test_status_fragment_shows_progress_from_the_cache_and_reloads_when_done(client_as, persona):
    job = ImportJob.objects.create(
        importer=EnterpriseImporter.path(),
        started_by=persona("huzhou_official"),
        file_name="x.csv",
        status=ImportStatus.IMPORTING,
        total_rows=1000,
    )
    client = client_as("huzhou_official")
    url = reverse("enterprises:import-status", kwargs={"pk": job.pk})
    # The task reports through the cache (its own transaction hides the rows from other connections).
    importing.progress_reporter(job.pk)("saving", 400, 1000)
    response = client.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'value="40"' in body
    assert "400" in body
    assert "1000" in body
    assert 'hx-trigger="every 1s"' in body

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, created_count=1000)
    response = client.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"


def test_wrong_file_types_are_refused_with_a_clear_message(client_as):
    client = client_as("huzhou_official")
    jobs = ImportJob.objects.count()
    old_excel = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("list.xls", old_excel)})
    assert response.status_code == 200
    assert ".xls" in response.content.decode()
    assert "xlsx" in response.content.decode()
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("list.pdf", b"%PDF-1.7 ...")})
    assert response.status_code == 200
    assert b"invalid-feedback" in response.content
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("list.xlsx", b"name,code\n")})
    assert response.status_code == 200
    assert ImportJob.objects.count() == jobs


def test_files_over_the_size_limit_are_refused(client_as, settings):
    settings.SCOREHUB_IMPORT_MAX_BYTES = 1000
    client = client_as("huzhou_official")
    data = csv_bytes(table([enterprise(i) for i in range(20)], CHINESE_HEADERS))
    assert len(data) > 1000
    response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("big.csv", data)})
    assert response.status_code == 200
    assert b"MB" in response.content
    assert not ImportJob.objects.filter(file_name="big.csv").exists()


def test_missing_required_column_and_unknown_columns_are_reported(persona):
    cells = [["企业名称", "统一社会信用代码", "备注"], ["某某有限公司", code(900), "无"]]
    result = EnterpriseImporter(actor=persona("huzhou_official")).check(importing.read_sheet(csv_bytes(cells), "x.csv"))
    assert result.ignored_headers == ["备注"]
    missing = sorted(e.message for e in result.errors)
    assert len(missing) == 3  # region, industry, size class
    assert all(e.row == 1 for e in result.errors)


def test_template_downloads_have_bilingual_headers_and_the_example_row_is_not_imported(
    client_as, persona, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    xlsx = client.get(reverse("enterprises:import-template-xlsx"))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = importing.read_sheet(xlsx.content, "template.xlsx")
    assert sheet.headers[0] == "企业名称 / Name (Chinese)"
    assert sheet.headers[2] == "统一社会信用代码 / Unified social credit code"
    assert len(sheet.rows) == 1

    csv = client.get(reverse("enterprises:import-template-csv"))
    assert csv.content.startswith(b"\xef\xbb\xbf")
    assert "行政区划代码 / Region code" in csv.content.decode("utf-8-sig")

    # Uploading the template unchanged: its example row is recognised and refused.
    job = upload(client, xlsx.content, "template.xlsx", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    [error] = job.errors
    assert error["row"] == 2

    # With the example replaced by a real row, the template's bilingual headers import fine.
    real = enterprise(950)
    rows = [sheet.headers, [real.get(c.field, "") for c in EnterpriseImporter.columns]]
    result = EnterpriseImporter(actor=persona("huzhou_official")).run(
        importing.read_sheet(xlsx_bytes(rows), "filled.xlsx")
    )
    assert result.created == 1


def test_upload_page_lists_columns_templates_and_own_recent_jobs(client_as):
    page = client_as("huzhou_official").get(IMPORT_URL).content.decode()
    assert 'data-testid="import-upload-form"' in page
    assert "统一社会信用代码" in page
    assert "Unified social credit code" in page
    assert reverse("enterprises:import-template-xlsx") in page
    assert "南浔区企业名录.xlsx" in page  # the demo job of this official
    other = client_as("zhejiang_official").get(IMPORT_URL).content.decode()
    assert "南浔区企业名录.xlsx" not in other


def test_import_pages_use_a_constant_number_of_queries(client_as, persona, django_assert_max_num_queries):
    official = persona("huzhou_official")
    for index in range(8):
        ImportJob.objects.create(
            importer=EnterpriseImporter.path(),
            started_by=official,
            file_name=f"file-{index}.csv",
            status=ImportStatus.INVALID,
            error_count=1000,
            errors=[{"row": n, "column": "行政区划代码", "message": "未知的地区"} for n in range(2, 1002)],
        )
    job = ImportJob.objects.filter(started_by=official).first()
    client = client_as("huzhou_official")
    with django_assert_max_num_queries(8):
        assert client.get(IMPORT_URL).status_code == 200
    with django_assert_max_num_queries(8):
        response = client.get(job.get_absolute_url())
    assert response.content.decode().count("<tr data-row=") == 1000


def test_a_city_is_not_a_place_for_an_enterprise(persona):
    sheet = importing.read_sheet(csv_bytes(table([enterprise(960, region="330500")], CHINESE_HEADERS)), "x.csv")
    [error] = EnterpriseImporter(actor=persona("huzhou_official")).check(sheet).errors
    assert (error.row, error.column) == (2, "行政区划代码")
    assert error.message == gettext("Choose a district or county, not a province or city.")
