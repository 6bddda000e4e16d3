"""Importing monthly KPI records from a spreadsheet: every row checked, all rows or none."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from scorehub.enterprises.models import Enterprise
from scorehub.indicators.models import Kpi, KpiRecord

pytestmark = pytest.mark.django_db


def workbook(rows: list[list[object]]) -> SimpleUploadedFile:
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet()
    month = book.add_format({"num_format": "yyyy-mm"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), month if r % 2 else None)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return SimpleUploadedFile("kpis.xlsx", output.getvalue())


def upload(client, file):
    return client.post(reverse("indicators:kpi-import"), {"file": file})


def test_a_clean_workbook_is_imported_whole(client_as, nanxun_enterprise):
    code = nanxun_enterprise.credit_code
    rows = [
        ["统一社会信用代码", "月份", "劳动生产率（件/工时）", "Defect rate", "overtime_hours", "备注"],
        [code, "1998-11", 40.5, "3.2%", None, "first"],
        [code.lower(), dt.date(1998, 12, 1), "41", 3.0, 22, ""],
        [code, "1999年1月", 42, None, 21, None],
    ]
    response = upload(client_as("factory_manager"), workbook(rows))
    assert response.status_code == 302, response.context["report"].errors
    records = KpiRecord.objects.filter(enterprise=nanxun_enterprise, month__year__in=[1998, 1999]).order_by("month")
    assert [r.month for r in records] == [dt.date(1998, 11, 1), dt.date(1998, 12, 1), dt.date(1999, 1, 1)]
    first = {v.kpi.code: v.value for v in records[0].values.all()}
    assert first == {"labour_productivity": Decimal("40.5"), "defect_rate": Decimal("3.2")}
    assert records[0].note == "first"
    assert {v.kpi.code for v in records[2].values.all()} == {"labour_productivity", "overtime_hours"}


def test_a_month_already_recorded_is_updated(client_as, nanxun_enterprise):
    record = KpiRecord.objects.filter(enterprise=nanxun_enterprise).first()
    rows = [["credit code", "month", "defect_rate"], [nanxun_enterprise.credit_code, f"{record.month:%Y-%m}", "7.77"]]
    assert upload(client_as("factory_manager"), workbook(rows)).status_code == 302
    assert record.values.get(kpi__code="defect_rate").value == Decimal("7.77")
    assert record.values.count() == 8  # the other KPIs of the month stay


def test_every_bad_row_is_reported_and_nothing_is_saved(client_as, nanxun_enterprise):
    code = nanxun_enterprise.credit_code
    fangshan = Enterprise.objects.filter(region_id="110111").first().credit_code
    next_year = dt.date.today().year + 1
    rows = [
        ["统一社会信用代码", "月份", "劳动生产率", "不良品率"],
        [code, "1997-01", 40, 2],  # fine
        [fangshan, "1997-01", 40, 2],  # not an enterprise the manager records for
        ["91330503ABCDEFGH1X", "1997-01", 40, 2],  # no such enterprise
        [code, "1997-13", 40, 2],  # no such month
        [code, f"{next_year}-01", 40, 2],  # not begun
        [code, "1997-02", "forty", 2],  # not a number
        [code, "1997-03", -1, 2],  # negative
        [code, "1997-04", None, None],  # no value
        [code, "1997-01", 41, 2],  # same month twice
        [code, "1997-05", "1.23456", 2],  # too many decimals
    ]
    response = upload(client_as("factory_manager"), workbook(rows))
    assert response.status_code == 200
    errors = response.context["report"].errors
    assert sorted({e.line for e in errors}) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert not KpiRecord.objects.filter(month__year=1997).exists()
    html = response.content.decode()
    assert 'data-testid="import-errors"' in html


def test_an_unknown_column_or_a_missing_one_stops_the_import(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    response = upload(
        client, workbook([["统一社会信用代码", "月份", "happiness"], [nanxun_enterprise.credit_code, "1997-01", 1]])
    )
    messages = [e.message for e in response.context["report"].errors]
    assert any("Unknown column" in m or "未知" in m for m in messages)
    response = upload(client, workbook([["月份", "劳动生产率"], ["1997-01", 1]]))
    assert response.context["report"].errors[0].line == 1
    assert not KpiRecord.objects.filter(month__year=1997).exists()


def test_a_csv_in_gb18030_is_read(client_as, nanxun_enterprise):
    text = f"统一社会信用代码,月份,不良品率\n{nanxun_enterprise.credit_code},1996-05,4.5\n"
    response = upload(client_as("factory_manager"), SimpleUploadedFile("kpi.csv", text.encode("gb18030")))
    assert response.status_code == 302
    assert KpiRecord.objects.get(enterprise=nanxun_enterprise, month=dt.date(1996, 5, 1)).values.get().value == Decimal(
        "4.5"
    )


def test_a_file_that_is_neither_is_refused(client_as):
    response = upload(client_as("factory_manager"), SimpleUploadedFile("kpi.xlsx", b"PK\x03\x04 not really a zip"))
    assert response.status_code == 200
    assert response.context["report"].errors[0].line == 0


def test_the_template_is_accepted_by_the_import(client_as, nanxun_enterprise):
    client = client_as("factory_manager")
    template = client.get(reverse("indicators:kpi-import-template"))
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers[:2] == ["统一社会信用代码", "月份"]
    assert len(headers) == 2 + Kpi.objects.filter(is_active=True).count() + 1
    row = [nanxun_enterprise.credit_code, "1995-03"] + ["1"] * (len(headers) - 3) + ["ok"]
    assert upload(client, workbook([headers, row])).status_code == 302
    assert (
        KpiRecord.objects.get(enterprise=nanxun_enterprise, month=dt.date(1995, 3, 1)).values.count()
        == len(headers) - 3
    )


def test_people_who_do_not_record_kpis_have_no_import(client_as):
    assert client_as("huzhou_official").get(reverse("indicators:kpi-import")).status_code == 404
    assert client_as("buyer").get(reverse("indicators:kpi-import")).status_code == 404
