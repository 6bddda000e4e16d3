"""CSV encodings: UTF-8 (with or without BOM) and GB18030 are read; anything else is refused, never garbled.

A Shift_JIS file decodes "cleanly" as GB18030, and the old reader imported 株式会社テスト as 姅幃夛幮僥僗僩.
Now the encoding is recognised (charset-normalizer), such a file is refused with a message that names what
it seems to be in, and the dry run's preview says how each accepted file was read.
"""

from __future__ import annotations

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from scorehub.core.importing import GB18030, UTF8, UTF8_BOM, UTF16, ImportFileError, read_sheet, read_text
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.enterprises.models import ContactPerson, Enterprise, EnterpriseStatus, SizeClass
from scorehub.enterprises.tests.import_files import ENGLISH_HEADERS, csv_bytes, enterprise, table

JAPANESE = "株式会社テスト"
MOJIBAKE = "姅幃夛幮僥僗僩"  # what the old reader made of it
CHINESE = "企业名称,统一社会信用代码\r\n丰华丝绸有限公司,91330503MA2B3C4D5A\r\n"


def japanese_file() -> bytes:
    """An enterprise list with English headers and Japanese names, saved by Excel on Japanese Windows."""
    rows = [
        enterprise(
            700 + i,
            name_zh=name,
            name_en=f"Tokyo Test {i}",
            size_class=SizeClass.SMALL.value,
            status=EnterpriseStatus.ACTIVE.value,
            address="",
        )
        for i, name in enumerate([JAPANESE, "東京電機工業株式会社", "大阪精密製作所"])
    ]
    data = csv_bytes(table(rows, ENGLISH_HEADERS), encoding="shift_jis")
    assert data.decode("gb18030")  # the trap: it decodes without an error
    return data


# --------------------------------------------------------------------------------------------------
# Reading text


TINY = "名称\r\n丝\r\n"  # so short that several encodings explain its bytes equally well


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        (CHINESE.encode("utf-8"), CHINESE, UTF8),
        (codecs.BOM_UTF8 + CHINESE.encode("utf-8"), CHINESE, UTF8_BOM),
        (CHINESE.encode("gb18030"), CHINESE, GB18030),
        (CHINESE.encode("gbk"), CHINESE, GB18030),
        (TINY.encode("gb18030"), TINY, GB18030),
        (CHINESE.encode("utf-16"), CHINESE, UTF16),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "gbk", "gb18030-tiny", "utf-16"],
)
def test_utf8_and_gb18030_are_read_and_named(data, text, encoding):
    read = read_text(data)
    assert (read.text, read.encoding) == (text, encoding)


@pytest.mark.parametrize(
    ("text", "codec", "named"),
    [
        ("企業名称,コード\r\n株式会社テスト,1\r\n東京電機工業株式会社,2\r\n", "shift_jis", "Shift_JIS"),
        ("기업명,코드\r\n테스트 주식회사,1\r\n", "euc_kr", "EUC-KR"),
    ],
)
def test_other_encodings_are_refused_with_what_they_seem_to_be(text, codec, named):
    with pytest.raises(ImportFileError) as caught:
        read_text(text.encode(codec))
    assert named in caught.value.message
    assert "UTF-8" in caught.value.message


def test_a_file_with_a_utf8_mark_but_other_bytes_is_refused():
    with pytest.raises(ImportFileError, match="UTF-8"):
        read_text(codecs.BOM_UTF8 + JAPANESE.encode("shift_jis"))


def test_a_sheet_remembers_how_it_was_read():
    assert read_sheet(CHINESE.encode("gb18030"), "a.csv").encoding == GB18030
    assert read_sheet(codecs.BOM_UTF8 + CHINESE.encode("utf-8"), "a.csv").encoding == UTF8_BOM


# --------------------------------------------------------------------------------------------------
# The import pages and the command


def counts() -> tuple[int, int]:
    return Enterprise.objects.count(), ContactPerson.objects.count()


def upload(client, data: bytes, name: str, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post("/enterprises/import/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


@pytest.mark.django_db
def test_a_shift_jis_file_is_refused_with_the_encoding_named_and_nothing_saved(
    client_as, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    client.cookies["scorehub_language"] = "en"
    before = counts()

    job = upload(client, japanese_file(), "tokyo.csv", django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    assert "Shift_JIS (Japanese)" in job.message
    assert "CSV UTF-8" in job.message
    assert counts() == before
    assert not Enterprise.objects.filter(name_zh__in=[JAPANESE, MOJIBAKE]).exists()
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert "Shift_JIS (Japanese)" in page.content.decode()
    assert b'data-testid="import-confirm"' not in page.content

    # Confirming it anyway is refused: nothing changes.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import-confirm", kwargs={"pk": job.pk}))
    assert counts() == before


@pytest.mark.django_db
def test_the_refusal_is_in_chinese_for_a_chinese_user(client_as, django_capture_on_commit_callbacks):
    client = client_as("huzhou_official")
    client.cookies["scorehub_language"] = "zh-hans"
    job = upload(client, japanese_file(), "tokyo.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    assert "Shift_JIS (日语)" in job.message
    assert "UTF-8" in job.message


@pytest.mark.django_db
def test_the_command_refuses_a_shift_jis_file(tmp_path):
    path = tmp_path / "tokyo.csv"
    path.write_bytes(japanese_file())
    before = counts()
    with pytest.raises(CommandError, match="Shift_JIS"):
        call_command("import_enterprises", str(path), "--language", "en")
    assert counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("codec", "shown"), [("gb18030", GB18030), ("utf-8-sig", UTF8_BOM)])
def test_gb18030_and_utf8_bom_files_import_and_the_preview_shows_how_they_were_read(
    client_as, django_capture_on_commit_callbacks, codec, shown
):
    client = client_as("huzhou_official")
    rows = [enterprise(800 + i, name_zh=f"湖州丰华丝绸有限公司{i}") for i in range(3)]
    data = csv_bytes(table(rows, ENGLISH_HEADERS), encoding=codec)
    before = counts()

    job = upload(client, data, "湖州.csv", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.preview["encoding"] == shown
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-read-as"' in page
    assert f"<strong>{shown}</strong>" in page
    assert "湖州丰华丝绸有限公司0" in page  # the rows as they were decoded

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("enterprises:import-confirm", kwargs={"pk": job.pk}))
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert counts()[0] == before[0] + 3
    assert set(
        Enterprise.objects.filter(credit_code__in=[r["credit_code"] for r in rows]).values_list("name_zh", flat=True)
    ) == {f"湖州丰华丝绸有限公司{i}" for i in range(3)}


@pytest.mark.django_db
def test_the_kpi_import_refuses_a_shift_jis_file_and_saves_nothing(client_as, nanxun_enterprise):
    from scorehub.indicators.models import KpiRecord

    text = f"credit code,month,defect_rate,note\r\n{nanxun_enterprise.credit_code},1997-05,1.5,{JAPANESE}\r\n"
    client = client_as("factory_manager")
    client.cookies["scorehub_language"] = "en"
    response = client.post(
        reverse("indicators:kpi-import"), {"file": SimpleUploadedFile("kpis.csv", text.encode("shift_jis"))}
    )
    assert response.status_code == 200
    errors = response.context["report"].errors
    assert [e.line for e in errors] == [0]
    assert "Shift_JIS" in errors[0].message
    assert not KpiRecord.objects.filter(enterprise=nanxun_enterprise, month__year=1997).exists()
