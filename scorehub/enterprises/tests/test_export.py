"""Exports of the enterprise list: exactly the filtered rows inside the user's scope, Excel-friendly."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from scorehub.core.importing import read_sheet
from scorehub.enterprises.importers import EnterpriseImporter
from scorehub.enterprises.models import Enterprise

from .import_files import CHINESE_HEADERS, csv_bytes, enterprise, table

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_csv_export_has_a_bom_and_chinese_survives(client_as):
    rows = csv_rows(client_as("huzhou_official").get("/enterprises/", {"export": "csv"}))
    text = "\n".join(",".join(r) for r in rows)
    assert "南浔" in text
    assert "有限公司" in text


def test_export_contains_exactly_the_filtered_rows_of_the_scope(client_as, persona):
    # More Nanxun enterprises than one page of the list holds: the export is not paginated.
    more = [enterprise(5000 + i) for i in range(30)] + [enterprise(5100, region="330521")]
    EnterpriseImporter(actor=persona("huzhou_official")).run(
        read_sheet(csv_bytes(table(more, CHINESE_HEADERS)), "x.csv")
    )
    client = client_as("huzhou_official")
    expected = set(
        Enterprise.objects.filter(region_id="330503", archived_at__isnull=True).values_list("credit_code", flat=True)
    )
    assert len(expected) > 25
    for export in ("csv", "xlsx"):
        response = client.get("/enterprises/", {"region": "330503", "export": export, "columns": ["credit_code"]})
        rows = csv_rows(response) if export == "csv" else xlsx_rows(response)
        header, body = rows[0], rows[1:]
        credit_column = 1
        assert {row[credit_column] for row in body} == expected, export
        assert len(body) == len(expected)
        assert header[0]


def test_outsider_export_contains_nothing_of_huzhou(client_as):
    client = client_as("fangshan_official")
    fangshan = set(Enterprise.objects.filter(region_id="110111").values_list("credit_code", flat=True))
    huzhou_names = set(Enterprise.objects.filter(region__code__startswith="3305").values_list("name_zh", flat=True))
    for query in ({}, {"region": "330503"}, {"q": "南浔"}):
        for export in ("csv", "xlsx"):
            response = client.get("/enterprises/", {**query, "export": export})
            rows = csv_rows(response) if export == "csv" else xlsx_rows(response)
            body = rows[1:]
            exported_codes = {row[1] for row in body}
            assert exported_codes <= fangshan, (query, export)
            flat = " ".join(str(cell) for row in body for cell in row)
            assert not any(name in flat for name in huzhou_names)
            assert "330503" not in flat
            assert "湖州" not in flat


def test_cells_that_look_like_formulas_are_exported_as_text(client_as, nanxun_enterprise):
    Enterprise.objects.filter(pk=nanxun_enterprise.pk).update(name_zh='=HYPERLINK("http://evil.example","x")')
    client = client_as("huzhou_official")
    rows = csv_rows(client.get("/enterprises/", {"q": nanxun_enterprise.credit_code, "export": "csv"}))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    # In the workbook the cell is typed: a text cell holding exactly the name, never a formula.
    response = client.get("/enterprises/", {"q": nanxun_enterprise.credit_code, "export": "xlsx"})
    cell = load_workbook(io.BytesIO(response.content)).worksheets[0]["A2"]
    assert (cell.data_type, cell.value) == ("s", '=HYPERLINK("http://evil.example","x")')
