"""Checklist items from a spreadsheet on the shared import framework: all rows or none, every bad row
named, one file for several checklists, versions kept for the checks that used them, export → import."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from scorehub.core import importing
from scorehub.core.models import ImportJob, ImportStatus
from scorehub.core.scoping import OutOfScope
from scorehub.safety import services
from scorehub.safety.importers import ChecklistImporter
from scorehub.safety.models import CheckKind, ChecklistItem, ChecklistTemplate, ChecklistVersion, Outcome

pytestmark = pytest.mark.django_db

IMPORT_URL = "/safety/checklists/import/"
ZH = ("检查表编号", "编号", "类别", "检查内容（中文）", "检查内容（英文）", "依据", "隐患级别")
EN = ("Checklist code", "Code", "Category", "Text (Chinese)", "Text (English)", "Reference", "Hazard class")
CATEGORIES = ["electrical", "fire", "machinery", "chemicals", "dust", "confined_space", "ppe", "housekeeping"]


def xlsx(rows, header=ZH) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def items(code: str, n: int, *, start: int = 1):
    return [
        (
            code,
            f"X{i:03d}",
            CATEGORIES[i % len(CATEGORIES)],
            f"检查内容第{i}项",
            f"Item number {i}",
            "GB/T 33000-2016",
            "重大" if i % 25 == 0 else "一般",
        )
        for i in range(start, start + n)
    ]


def counts():
    return (ChecklistVersion.objects.count(), ChecklistItem.objects.count())


def new_template(persona, code: str) -> ChecklistTemplate:
    return services.checklist_template_save(
        actor=persona("admin"), template=ChecklistTemplate(code=code, name_zh=f"测试检查表 {code}", name_en=code)
    )


def upload(client, data: bytes, name: str, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def confirm(client, job, capture) -> ImportJob:
    with capture(execute=True):
        response = client.post(reverse("safety:import-confirm", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def use_in_a_check(version: ChecklistVersion, enterprise, actor) -> None:
    item = version.items.first()
    services.check_submit(
        actor=actor,
        enterprise=enterprise,
        client_uuid=uuid.uuid4(),
        kind=CheckKind.GOVERNMENT,
        version=version,
        checked_on=timezone.localdate(),
        results=[services.ResultInput(item_id=item.pk, outcome=Outcome.PASS)],
    )


def test_a_320_item_spreadsheet_is_checked_then_imported_whole(client_as, persona, django_capture_on_commit_callbacks):
    template = new_template(persona, "TEST-320")
    client = client_as("huzhou_official")

    job = upload(client, xlsx(items("TEST-320", 320)), "修订检查表.xlsx", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.CHECKED, job.errors
    assert job.total_rows == 320
    assert template.current_version.items.count() == 0  # the dry run saved nothing
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-confirm"' in page
    assert "TEST-320 测试检查表 TEST-320" in page  # the preview names the checklist

    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.DONE
    assert job.created_count == 320
    version = template.current_version
    assert version.number == 1  # no check used version 1: filled in place
    assert "修订检查表.xlsx" in version.note
    assert version.items.count() == 320
    assert version.items.filter(default_hazard_class="major").count() == 12
    first = version.items.get(code="X001")
    assert (first.category, first.position) == ("fire", 1)
    assert list(version.items.order_by("position").values_list("code", flat=True)[:3]) == ["X001", "X002", "X003"]
    logged = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ChecklistItem), action=LogEntry.Action.CREATE
    ).filter(object_pk__in=[str(pk) for pk in version.items.values_list("pk", flat=True)])
    assert logged.count() == 320
    assert logged.first().additional_data["import_job"] == job.pk


def test_bad_rows_import_nothing_and_each_is_named_with_its_column(
    client_as, persona, django_capture_on_commit_callbacks
):
    template = new_template(persona, "TEST-BAD")
    rows = items("TEST-BAD", 50)
    rows[9] = ("TEST-BAD", "X010", "不存在的类别", "内容", "", "", "一般")  # row 11: unknown category
    rows[19] = ("TEST-BAD", "X001", "fire", "重复编号", "", "", "一般")  # row 21: code used twice
    rows[29] = ("TEST-BAD", "X030", "fire", "", "", "", "很大")  # row 31: no text, unknown class
    rows[39] = ("NO-SUCH", "X040", "fire", "内容", "", "", "")  # row 41: no such checklist
    rows[44] = ("TEST-BAD", "X" * 21, "fire", "内容", "", "", "")  # row 46: code too long
    client = client_as("huzhou_official")
    before = counts()

    job = upload(client, xlsx(rows), "有错的.xlsx", django_capture_on_commit_callbacks)

    assert job.status == ImportStatus.INVALID
    by_row: dict[int, list[tuple[str, str]]] = {}
    for error in job.errors:
        by_row.setdefault(error["row"], []).append((error["column"], error["message"]))
    assert sorted(by_row) == [11, 21, 31, 41, 46]
    assert [c for c, _ in by_row[11]] == ["类别"]
    assert "不存在的类别" in by_row[11][0][1]
    assert by_row[21][0][0] == "编号"
    assert "2" in by_row[21][0][1]  # names the row that has the code first
    assert sorted(c for c, _ in by_row[31]) == ["检查内容（中文）", "隐患级别"]
    assert by_row[41] == [("检查表编号", by_row[41][0][1])]
    assert "NO-SUCH" in by_row[41][0][1]
    assert by_row[46][0][0] == "编号"
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'data-testid="import-errors"' in page
    assert 'data-testid="import-confirm"' not in page

    confirm(client, job, django_capture_on_commit_callbacks)  # refused: the file has errors
    assert counts() == before
    assert template.current_version.items.count() == 0


def test_one_file_replaces_the_items_of_the_checklists_it_names_and_no_other(persona):
    first, second, untouched = (new_template(persona, code) for code in ("TEST-A", "TEST-B", "TEST-C"))
    admin = persona("admin")
    for template in (first, second, untouched):
        services.checklist_item_save(
            actor=admin, template=template, data={"code": "OLD", "category": "fire", "text_zh": "旧检查项"}
        )
    sheet = importing.read_sheet(xlsx(items("TEST-A", 3) + items("TEST-B", 2, start=10)), "two.xlsx")

    result = ChecklistImporter(actor=persona("huzhou_official"), context={"file": "two.xlsx"}).run(sheet)

    assert result.created == 5
    assert sorted(first.current_version.items.values_list("code", flat=True)) == ["X001", "X002", "X003"]
    assert sorted(second.current_version.items.values_list("code", flat=True)) == ["X010", "X011"]
    assert list(second.current_version.items.values_list("position", flat=True)) == [1, 2]
    assert list(untouched.current_version.items.values_list("code", flat=True)) == ["OLD"]


def test_importing_into_a_version_checks_used_makes_a_new_version(persona, nanxun_enterprise):
    template = new_template(persona, "TEST-USED")
    admin = persona("admin")
    services.checklist_item_save(
        actor=admin, template=template, data={"code": "OLD", "category": "fire", "text_zh": "旧检查项"}
    )
    used = template.current_version
    use_in_a_check(used, nanxun_enterprise, admin)

    ChecklistImporter(actor=persona("huzhou_official"), context={"file": "v2.xlsx"}).run(
        importing.read_sheet(xlsx(items("TEST-USED", 4)), "v2.xlsx")
    )

    new = template.current_version
    assert new.number == used.number + 1
    assert new.items.count() == 4
    assert "v2.xlsx" in new.note
    assert list(used.items.values_list("code", flat=True)) == ["OLD"]  # the check keeps what it used
    assert new.created_by == persona("huzhou_official")


def test_english_headers_and_words_in_a_gb18030_csv(persona):
    template = new_template(persona, "TEST-EN")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EN)
    writer.writerow(["TEST-EN", "A1", "Fire safety", "灭火器在有效期内", "Extinguishers in date", "GB 50140", "major"])
    writer.writerow(["TEST-EN", "A2", "electrical", "配电箱完好", "", "", ""])
    sheet = importing.read_sheet(buffer.getvalue().encode("gb18030"), "list.csv")

    ChecklistImporter(actor=persona("admin")).run(sheet)

    a1, a2 = template.current_version.items.order_by("position")
    assert (a1.category, a1.default_hazard_class, a1.text_zh) == ("fire", "major", "灭火器在有效期内")
    assert (a2.category, a2.default_hazard_class) == ("electrical", "general")


def test_an_exported_checklist_imports_back_unchanged(client_as, persona):
    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    version = template.current_version
    response = client_as("factory_manager").get(reverse("safety:checklist-export", kwargs={"pk": template.pk}))
    assert response.status_code == 200
    sheet = importing.read_sheet(response.content, "export.xlsx")
    assert sheet.headers[:2] == ["检查表编号 / Checklist code", "编号 / Code"]
    assert len(sheet.rows) == version.items.count()

    ChecklistImporter(actor=persona("admin"), context={"file": "export.xlsx"}).run(sheet)

    fields = ("position", "code", "category", "text_zh", "text_en", "reference", "default_hazard_class")
    again = template.current_version
    assert again.number == version.number + 1  # the demo's checks used the exported version
    assert list(again.items.values_list(*fields)) == list(version.items.values_list(*fields))


def test_the_template_has_bilingual_headers_and_its_example_row_is_refused(
    client_as, django_capture_on_commit_callbacks
):
    client = client_as("huzhou_official")
    response = client.get(reverse("safety:import-template-xlsx"))
    assert response.status_code == 200
    sheet = importing.read_sheet(response.content, "template.xlsx")
    assert sheet.headers == [f"{zh} / {en}" for zh, en in zip(ZH, EN, strict=True)]
    assert len(sheet.rows) == 1
    assert "检查表编号 / Checklist code" in client.get(reverse("safety:import-template-csv")).content.decode(
        "utf-8-sig"
    )

    job = upload(client, response.content, "template.xlsx", django_capture_on_commit_callbacks)
    assert job.status == ImportStatus.INVALID
    [error] = job.errors
    assert error["row"] == 2


def test_missing_columns_and_files_that_are_not_spreadsheets_are_refused(client_as, persona):
    result = ChecklistImporter(actor=persona("admin")).check(
        importing.read_sheet(xlsx([("GEN-MFG", "A1", "fire")], header=ZH[:3]), "x.xlsx")
    )
    assert [e.row for e in result.errors] == [1]
    assert "检查内容（中文）" in result.errors[0].message
    jobs = ImportJob.objects.count()
    response = client_as("huzhou_official").post(IMPORT_URL, {"file": SimpleUploadedFile("items.xlsx", b"not a zip")})
    assert response.status_code == 200
    assert "xlsx" in response.content.decode()
    assert ImportJob.objects.count() == jobs


@pytest.mark.parametrize("who", ["nanxun_inspector", "factory_manager", "trainer", "buyer"])
def test_only_checklist_editors_reach_the_import(client_as, who, django_capture_on_commit_callbacks):
    client = client_as(who)
    jobs = ImportJob.objects.count()
    assert client.get(IMPORT_URL).status_code == 404
    assert client.get(reverse("safety:import-template-xlsx")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.xlsx", xlsx(items("GEN-MFG", 1)))})
    assert response.status_code == 404
    assert ImportJob.objects.count() == jobs
    assert IMPORT_URL not in client.get(reverse("safety:checklist-list")).content.decode()


def test_checklist_pages_offer_the_import_to_editors(client_as):
    client = client_as("huzhou_official")
    assert IMPORT_URL in client.get(reverse("safety:checklist-list")).content.decode()
    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    assert IMPORT_URL in client.get(template.get_absolute_url()).content.decode()
    assert client.get(IMPORT_URL).status_code == 200


def test_a_non_editor_running_the_importer_saves_nothing(persona):
    """The batch scope re-check: checklists are reference data an enterprise manager does not edit."""
    template = new_template(persona, "TEST-SCOPE")
    before = counts()
    with pytest.raises(OutOfScope):
        ChecklistImporter(actor=persona("factory_manager")).run(
            importing.read_sheet(xlsx(items("TEST-SCOPE", 2)), "x.xlsx")
        )
    assert counts() == before
    assert template.current_version.items.count() == 0


def test_the_command_imports_as_the_user_and_refuses_a_bad_file_whole(tmp_path, persona):
    template = new_template(persona, "TEST-CLI")
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx(items("TEST-CLI", 3)))
    out = io.StringIO()
    call_command("import_checklists", str(good), user="huzhou_official", language="en", stdout=out)
    assert "3 rows imported" in out.getvalue()
    assert template.current_version.items.count() == 3

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([*items("TEST-CLI", 2, start=20), ("TEST-CLI", "X020", "fire", "重复", "", "", "")]))
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_checklists", str(bad), user="huzhou_official", language="en", stderr=err)
    assert "row 4" in err.getvalue()
    assert counts() == before
