"""The import framework itself: reading files, matching headers, jobs and their scope."""

from __future__ import annotations

import codecs

import pytest
from auditlog.models import LogEntry

from scorehub.core import importing
from scorehub.core.importing import Column, ImportFileError, decode_text, detect_format, normalise_header, read_sheet
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import Action
from scorehub.enterprises.credit_code import build_credit_code
from scorehub.enterprises.importers import EnterpriseImporter
from scorehub.enterprises.models import ContactPerson, Enterprise

CHINESE = "企业名称,统一社会信用代码\r\n丰华丝绸有限公司,91330503MA2B3C4D5A\r\n"


@pytest.mark.parametrize(
    "data",
    [
        CHINESE.encode("utf-8"),
        codecs.BOM_UTF8 + CHINESE.encode("utf-8"),
        CHINESE.encode("gb18030"),
        CHINESE.encode("utf-16"),  # Excel's "Unicode text" (with its BOM)
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "utf-16"],
)
def test_csv_text_is_read_in_every_encoding_excel_and_wps_write(data):
    assert decode_text(data) == CHINESE


def test_undecodable_bytes_are_a_clear_error():
    with pytest.raises(ImportFileError, match="UTF-8"):
        decode_text(b"abc\x80\xff")


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("a.csv", b"x,y\n", "csv"),
        ("A.CSV", b"x,y\n", "csv"),
        ("a.xlsx", b"PK\x03\x04rest", "xlsx"),
    ],
)
def test_file_type_comes_from_name_and_content(name, data, expected):
    assert detect_format(data, name) == expected


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
        ("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
        ("a.xlsx", b"name,code\n", ".xlsx"),
        ("a.csv", b"PK\x03\x04", ".xlsx"),
        ("a.csv", b"\x89PNG\r\n\x1a\n\x00\x00", ".csv"),
        ("a.pdf", b"%PDF-1.7", ".csv"),
        ("noextension", b"x,y", ".csv"),
    ],
)
def test_wrong_file_types_are_refused_with_a_message(name, data, words):
    with pytest.raises(ImportFileError) as caught:
        detect_format(data, name)
    assert words in caught.value.message


def test_damaged_workbook_is_a_clear_error():
    with pytest.raises(ImportFileError):
        read_sheet(b"PK\x03\x04 not really a zip", "a.xlsx")


def test_blank_rows_are_skipped_and_rows_keep_their_spreadsheet_numbers():
    sheet = read_sheet(b"\n\na,b\n1,2\n,\n\n3,4\n", "x.csv")
    assert (sheet.header_row, sheet.headers) == (3, ["a", "b"])
    assert sheet.rows == [(4, ["1", "2"]), (7, ["3", "4"])]


def test_semicolon_and_tab_separated_files_are_read():
    assert read_sheet(b"a;b\n1;2\n", "x.csv").rows == [(2, ["1", "2"])]
    assert read_sheet(b"a\tb\n1\t2\n", "x.txt").rows == [(2, ["1", "2"])]


def test_empty_file_and_too_many_rows_are_refused(settings):
    with pytest.raises(ImportFileError):
        read_sheet(b"\n\n", "x.csv")
    with pytest.raises(ImportFileError, match="3"):
        read_sheet(b"a\n1\n2\n3\n4\n", "x.csv", max_rows=3)
    settings.SCOREHUB_IMPORT_MAX_BYTES = 10
    with pytest.raises(ImportFileError, match="MB"):
        read_sheet(b"a,b\n1,2\n3,4\n", "x.csv")


def test_headers_match_in_either_language_loosely():
    column = Column("credit_code", "统一社会信用代码", "Unified social credit code", aliases=("USCC",))
    names = column.header_names()
    for header in [
        "统一社会信用代码",
        "统一社会信用代码*",
        "Unified  Social_Credit code",
        "ＵＳＣＣ",  # full-width letters from a Chinese input method
        "统一社会信用代码 / Unified social credit code",
        "credit_code",
    ]:
        assert normalise_header(header) in names, header


def test_importers_may_not_give_one_header_two_meanings():
    with pytest.raises(TypeError):

        class Confused(importing.Importer):
            columns = (Column("a", "名称", "Name"), Column("b", "名字", "Name"))


def test_a_hand_edited_bilingual_header_still_matches(persona, db):
    sheet = importing.Sheet(
        headers=["企业名称 / Company", "Credit code / 代码", "地区 / Region code", "行业", "企业规模"],
        header_row=1,
        rows=[],
    )
    mapping, ignored, errors = EnterpriseImporter(actor=None).map_headers(sheet)
    assert [c.field for c in mapping.values()] == [
        "name_zh",
        "credit_code",
        "region",
        "industry_division",
        "size_class",
    ]
    assert not ignored
    assert not errors


def test_two_columns_with_the_same_meaning_are_an_error(db):
    sheet = importing.Sheet(headers=["企业名称", "Name (Chinese)"], header_row=1, rows=[])
    _, _, errors = EnterpriseImporter(actor=None).map_headers(sheet)
    assert any("企业名称" in e.message and "Name (Chinese)" in e.message for e in errors)


@pytest.mark.django_db
def test_log_created_writes_one_entry_per_record_with_the_actor(persona, nanxun_enterprise):
    contact = ContactPerson.objects.create(enterprise=nanxun_enterprise, name="测试")
    official = persona("huzhou_official")
    before = LogEntry.objects.count()
    written = importing.log_created([nanxun_enterprise, contact], actor=official, context={"import_job": 1})
    assert written == 2
    entries = LogEntry.objects.order_by("-pk")[:2]
    assert {e.actor_id for e in entries} == {official.pk}
    assert {e.object_pk for e in entries} == {str(nanxun_enterprise.pk), str(contact.pk)}
    assert LogEntry.objects.count() == before + 2


@pytest.mark.django_db
def test_import_jobs_are_visible_to_their_owner_and_read_by_programme_admins_only(persona):
    owner = persona("huzhou_official")
    job = ImportJob.objects.create(importer=EnterpriseImporter.path(), started_by=owner, file_name="a.csv")
    assert ImportJob.objects.visible_to(owner).filter(pk=job.pk).exists()
    assert ImportJob.objects.visible_to(owner, Action.MANAGE).filter(pk=job.pk).exists()
    admin = persona("admin")
    assert ImportJob.objects.visible_to(admin).filter(pk=job.pk).exists()
    assert not ImportJob.objects.visible_to(admin, Action.MANAGE).filter(pk=job.pk).exists()
    for username in ["zhejiang_official", "fangshan_official", "nanxun_inspector", "trainer", "buyer"]:
        assert not ImportJob.objects.visible_to(persona(username)).filter(pk=job.pk).exists(), username
    from django.contrib.auth.models import AnonymousUser

    assert not ImportJob.objects.visible_to(AnonymousUser()).exists()


@pytest.mark.django_db
def test_a_job_that_cannot_read_its_file_ends_invalid_and_drops_the_file(persona):
    job = ImportJob.objects.create(
        importer=EnterpriseImporter.path(),
        started_by=persona("huzhou_official"),
        file_name="broken.xlsx",
        content=b"PK\x03\x04garbage",
        language="en",
    )
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.INVALID
    assert "damaged" in job.message
    assert bytes(job.content) == b""


@pytest.mark.django_db
def test_a_job_is_imported_only_once(persona):
    """A task delivered twice (or a job confirmed twice) does nothing the second time."""
    code = build_credit_code("330503", "MA2B3C4D6")
    data = f"企业名称,统一社会信用代码,行政区划代码,行业,企业规模\r\n重复任务测试有限公司,{code},330503,17,小型\r\n"
    job = ImportJob.objects.create(
        importer=EnterpriseImporter.path(),
        started_by=persona("huzhou_official"),
        file_name="once.csv",
        content=data.encode("utf-8"),
    )
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED, job.errors
    importing.job_confirm(actor=persona("huzhou_official"), job=job)
    importing.import_job(job.pk)
    importing.import_job(job.pk)
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Enterprise.objects.filter(credit_code=code).count() == 1


@pytest.mark.django_db
def test_a_job_whose_starter_is_gone_never_runs_without_a_scope(persona):
    data = "企业名称,统一社会信用代码,行政区划代码,行业,企业规模\r\n无主任务测试有限公司,x,110111,17,小型\r\n"
    job = ImportJob.objects.create(
        importer=EnterpriseImporter.path(), started_by=None, file_name="orphan.csv", content=data.encode()
    )
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.total_rows == 0
    assert bytes(job.content) == b""


def test_import_pages_go_under_a_prefix_that_names_exactly_the_importers_parameters():
    from scorehub.core.import_views import import_urlpatterns
    from scorehub.training.importers import EnrolmentImporter

    routes = [str(p.pattern) for p in import_urlpatterns(EnrolmentImporter, prefix="p/<int:programme>/")]
    assert routes[0] == "p/<int:programme>/import/"
    assert all(route.startswith("p/<int:programme>/import/") for route in routes)
    for prefix in ("", "p/<int:cohort>/"):
        with pytest.raises(ValueError, match="programme"):
            import_urlpatterns(EnrolmentImporter, prefix=prefix)
    with pytest.raises(ValueError, match="EnterpriseImporter"):
        import_urlpatterns(EnterpriseImporter, prefix="p/<int:programme>/")


@pytest.mark.django_db
def test_a_job_keeps_its_parameters_and_fails_when_they_are_no_longer_the_starters(persona):
    from scorehub.training.importers import EnrolmentImporter
    from scorehub.training.models import Programme

    yongkang = Programme.objects.get(region_id="330784")
    job = ImportJob.objects.create(
        importer=EnrolmentImporter.path(),
        started_by=persona("huzhou_official"),
        file_name="elsewhere.csv",
        content="统一社会信用代码\r\n91330503MA2B3C4D5X\r\n".encode(),
        parameters={"programme": yongkang.pk},
    )
    assert job.get_absolute_url() == f"/training/programmes/{yongkang.pk}/enrolments/import/{job.pk}/"
    importing.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.total_rows == 0
