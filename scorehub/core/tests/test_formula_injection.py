"""Formula injection: text from users is a text cell in every workbook and CSV file the project writes.

An enterprise manager may name the enterprise ``=HYPERLINK("http://evil.example/x","点此查看")``; in the
bureau's workbook that must stay the text it is (a string cell, exactly that text), never a live formula
or link.  CSV files have no cell types: there such text starts with an apostrophe, numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from scorehub.core import importing, spreadsheets
from scorehub.core.importing import Column
from scorehub.enterprises.models import Enterprise
from scorehub.indicators.models import Kpi, ReportJob

FORMULA = '=HYPERLINK("http://evil.example/x","点此查看")'


def formula_cells(content: bytes) -> list[tuple[str, str, object]]:
    """Every cell of a workbook that holds the attacker's text: (sheet, type, value)."""
    book = load_workbook(io.BytesIO(content))  # not read-only: the cell types are what is checked
    return [
        (sheet.title, cell.data_type, cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "evil.example" in cell.value
    ]


def assert_text_cells(content: bytes, expected_text: str = FORMULA) -> None:
    cells = formula_cells(content)
    assert cells, "the record's text is in the workbook"
    for sheet, data_type, value in cells:
        assert (data_type, value) == ("s", expected_text), sheet


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --------------------------------------------------------------------------------------------------
# The rule itself


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("+86 139 0000 0000", "'+86 139 0000 0000"),
        ("丰华丝绸有限公司", "丰华丝绸有限公司"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        # Numbers are not formulas: left exactly as they are.
        (-3, "-3"),
        (-2.5, "-2.5"),
        (Decimal("-0.25"), "-0.25"),
        ("-12", "-12"),
        ("-1,200.50", "-1,200.50"),
        ("+3.5", "+3.5"),
    ],
)
def test_csv_cells_that_would_start_a_formula_get_an_apostrophe_and_numbers_stay(value, written):
    assert spreadsheets.csv_cell(value) == written


def test_an_openpyxl_cell_keeps_text_that_looks_like_a_formula_or_an_error_as_text():
    from openpyxl import Workbook

    sheet = Workbook().active
    spreadsheets.write_row(sheet, 1, [FORMULA, "#N/A", -3, "-3", None])
    assert [(c.data_type, c.value) for c in sheet[1]] == [
        ("s", FORMULA),
        ("s", "#N/A"),
        ("n", -3),
        ("s", "-3"),
        ("n", None),
    ]


# --------------------------------------------------------------------------------------------------
# Every producer


@pytest.mark.django_db
def test_the_enterprise_list_exports_a_formula_name_as_text(client_as, nanxun_enterprise):
    Enterprise.objects.filter(pk=nanxun_enterprise.pk).update(name_zh=FORMULA)
    client = client_as("huzhou_official")
    query = {"q": nanxun_enterprise.credit_code}

    rows = csv_rows(client.get("/enterprises/", {**query, "export": "csv"}).content)
    assert rows[1][0] == "'" + FORMULA

    assert_text_cells(client.get("/enterprises/", {**query, "export": "xlsx"}).content)


@pytest.mark.django_db
def test_the_kpi_catalogue_export_writes_a_formula_name_as_text(client_as):
    Kpi.objects.filter(pk=Kpi.objects.order_by("pk").values("pk")[:1]).update(name_zh=FORMULA, name_en=FORMULA)
    client = client_as("admin")
    url = reverse("indicators:kpi-list")

    text = client.get(url, {"export": "csv"}).content
    assert any("'" + FORMULA in row for row in csv_rows(text))
    assert FORMULA not in [cell for row in csv_rows(text) for cell in row]

    assert_text_cells(client.get(url, {"export": "xlsx"}).content)


@pytest.mark.django_db
def test_the_progress_report_workbook_writes_a_formula_name_as_text(
    client_as, nanxun_enterprise, django_capture_on_commit_callbacks
):
    Enterprise.objects.filter(pk=nanxun_enterprise.pk).update(name_zh=FORMULA, name_en=FORMULA)
    client = client_as("huzhou_official")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("indicators:report-create"), {"scope": "region:330503", "period": "", "format": "xlsx"}
        )
    assert response.status_code == 302
    job = ReportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))
    assert job.status == "done", job.error

    assert_text_cells(bytes(job.content))


@pytest.mark.django_db
def test_the_kpi_import_template_writes_a_formula_name_as_text(client_as):
    Kpi.objects.filter(pk=Kpi.objects.filter(is_active=True).order_by("pk").values("pk")[:1]).update(name_zh=FORMULA)
    response = client_as("factory_manager").get(reverse("indicators:kpi-import-template"))
    assert response.status_code == 200
    cells = formula_cells(response.content)
    # The column header is the name with its unit in brackets; the notes sheet names it too.
    header = [(data_type, value) for sheet, data_type, value in cells if sheet == "KPI"]
    assert len(header) == 1
    assert header[0][0] == "s"
    assert str(header[0][1]).startswith(FORMULA + "（")
    assert {data_type for _sheet, data_type, _value in cells} == {"s"}


@pytest.mark.django_db
def test_the_checklist_export_writes_a_formula_item_as_text(client_as):
    from scorehub.safety.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(code="GEN-MFG")
    template.current_version.items.filter(pk=template.current_version.items.order_by("pk")[0].pk).update(
        text_zh=FORMULA
    )
    response = client_as("factory_manager").get(reverse("safety:checklist-export", kwargs={"pk": template.pk}))
    assert response.status_code == 200
    assert_text_cells(response.content)


class FormulaExampleImporter(importing.Importer):
    """An importer whose template example is a formula (templates write whatever the columns say)."""

    model = Enterprise
    columns = (Column("name_zh", "企业名称", "Name", example=FORMULA), Column("address", "地址", "Address"))


def test_the_import_templates_write_their_cells_as_text():
    assert_text_cells(importing.template_xlsx(FormulaExampleImporter))
    rows = csv_rows(importing.template_csv(FormulaExampleImporter))
    assert rows[1] == ["'" + FORMULA, ""]
