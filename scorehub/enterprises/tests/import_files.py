"""Builders of import files for the tests: rows of enterprises as CSV (any encoding) or XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from scorehub.enterprises.credit_code import ALPHABET, build_credit_code

CHINESE_HEADERS = {
    "name_zh": "企业名称",
    "credit_code": "统一社会信用代码",
    "region": "行政区划代码",
    "address": "地址",
    "industry_division": "行业",
    "size_class": "企业规模",
    "employees_total": "从业人数",
    "employees_women": "女职工人数",
    "status": "经营状态",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
}
ENGLISH_HEADERS = {
    "name_zh": "Name (Chinese)",
    "name_en": "Name (English)",
    "credit_code": "Unified social credit code",
    "region": "Region code",
    "industry_division": "Industry",
    "size_class": "Size class",
    "employees_total": "Employees",
    "employees_women": "Women employees",
    "status": "Status",
}


def body(index: int, prefix: str = "MT") -> str:
    """Nine credit-code characters, unique per index (the demo's codes are random, never "MT...")."""
    digits = ""
    n = index
    for _ in range(7):
        n, r = divmod(n, len(ALPHABET))
        digits = ALPHABET[r] + digits
    return prefix + digits


def code(index: int, region: str = "330503") -> str:
    return build_credit_code(region, body(index))


def enterprise(index: int, region: str = "330503", **overrides: Any) -> dict[str, str]:
    row = {
        "name_zh": f"测试导入纺织有限公司{index}",
        "name_en": f"Import Test Textiles {index}",
        "credit_code": code(index, region if region.isdigit() and len(region) == 6 else "330500"),
        "region": region,
        "address": f"南浔镇测试路{index}号",
        "industry_division": "17",
        "size_class": "小型",
        "employees_total": "120",
        "employees_women": "70",
        "status": "在营",
        "contact_name": "王丽华",
        "contact_phone": "13900000000",
    }
    row.update(overrides)
    return row


def table(rows: list[dict[str, str]], headers: dict[str, str]) -> list[list[str]]:
    fields = list(headers)
    return [[headers[f] for f in fields]] + [[row.get(f, "") for f in fields] for row in rows]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
