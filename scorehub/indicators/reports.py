"""Progress reports for a scope and a period, as PDF (WeasyPrint) and as Excel (xlsxwriter).

Both are made from one :class:`ReportData`, which reads the indicator layer exactly as the dashboard
and the API do; so a number is the same in the PDF, the workbook, the page and the JSON.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from scorehub.core import spreadsheets
from scorehub.core.pdf import render_pdf

from . import charts, layer
from .base import Period, month_key
from .periods import period_label, period_param
from .scopes import AnalysisScope

Progress = Callable[[int, str], None]

#: The PDF lists at most this many enterprises; the workbook always lists them all.
PDF_ENTERPRISE_LIMIT = 300


@dataclass
class ReportData:
    scope: AnalysisScope
    period: Period
    numbers: layer.Numbers
    months: dict[str, layer.Values]
    children: dict[str, layer.Values]
    enterprises: list[Any]
    enterprise_values: dict[int, layer.Values]
    generated_at: dt.datetime
    requested_by: Any


def collect(scope: AnalysisScope, period: Period, *, user: Any, progress: Progress) -> ReportData:
    progress(10, _("Computing the indicators"))
    numbers = layer.compute_numbers(scope, period)
    progress(30, _("Computing the monthly trends"))
    months = layer.compute_months(scope, period)
    progress(45, _("Computing the regions"))
    children = layer.compute_children(scope, period)
    progress(60, _("Computing the enterprises"))
    enterprises = list(scope.enterprises.select_related("region").order_by("region_id", "name_zh", "pk"))
    enterprise_values = layer.compute_enterprises(scope, period, None) if scope.lists_enterprises else {}
    return ReportData(
        scope=scope,
        period=period,
        numbers=numbers,
        months=months,
        children=children,
        enterprises=enterprises if scope.lists_enterprises else [],
        enterprise_values=enterprise_values,
        generated_at=timezone.localtime(),
        requested_by=user,
    )


def filename(data: ReportData, extension: str) -> str:
    key = re.sub(r"[^A-Za-z0-9]+", "-", data.scope.key).strip("-")
    return f"score-report-{key}-{period_param(data.period).replace(':', '_')}.{extension}"


def _trend(data: ReportData) -> tuple[list[str], list[tuple[str, list[Any]]]]:
    keys = [month_key(m) for m in data.period.months()]
    series = [(str(spec.label), [data.months[k].get(spec.code) for k in keys]) for spec in layer.trend_specs()]
    return keys, series


# ---------------------------------------------------------------------------------------------------
# PDF


def build_pdf(data: ReportData, *, progress: Progress) -> bytes:
    progress(70, _("Drawing the charts"))
    specs = layer.headline_specs()
    months, series = _trend(data)
    child_rows = [
        {
            "label": child.label,
            "cells": [layer.Figure(s, data.children.get(child.key, {}).get(s.code)).display for s in specs],
        }
        for child in data.scope.children
    ]
    first = specs[0] if specs else None
    children_chart = (
        charts.bar_chart(
            [c.label for c in data.scope.children],
            [data.children.get(c.key, {}).get(first.code) for c in data.scope.children],
            unit=first.unit,
        )
        if first and data.scope.children
        else ""
    )
    enterprise_specs = layer.enterprise_table_specs()
    enterprise_rows = [
        {
            "enterprise": e,
            "cells": [
                layer.Figure(s, data.enterprise_values.get(e.pk, {}).get(s.code)).display for s in enterprise_specs
            ],
        }
        for e in data.enterprises[:PDF_ENTERPRISE_LIMIT]
    ]
    context = {
        "data": data,
        "scope": data.scope,
        "numbers": data.numbers,
        "sentences": data.numbers.sentences(),
        "period_label": period_label(data.period),
        "previous_label": period_label(data.numbers.previous_period),
        "headline_specs": specs,
        "enterprise_specs": enterprise_specs,
        "trend_chart": charts.line_chart(months, series) if series and months else "",
        "children_chart": children_chart,
        "children_chart_label": str(first.label) if first else "",
        "child_rows": child_rows,
        "enterprise_rows": enterprise_rows,
        "enterprise_total": len(data.enterprises),
        "enterprise_limit": PDF_ENTERPRISE_LIMIT,
    }
    html = render_to_string("indicators/report_pdf.html", context)
    progress(85, _("Typesetting the PDF"))
    return render_pdf(html)


# ---------------------------------------------------------------------------------------------------
# Excel


def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in used:
        suffix = f" {n}"
        candidate = name[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _cell(value: Any) -> Any:
    return layer.json_number(value) if value is not None and not isinstance(value, str) else value


def build_xlsx(data: ReportData, *, progress: Progress) -> bytes:
    output = io.BytesIO()
    # Names and texts come from users: the core's workbook writes every str as a text cell, never a formula.
    workbook = spreadsheets.xlsxwriter_workbook(output, default_date_format="yyyy-mm-dd")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    used: set[str] = set()

    def header(sheet: Any, row: int, labels: list[Any]) -> None:
        for col, text in enumerate(labels):
            sheet.write(row, col, str(text), bold)

    # Summary: what the report covers and its headline figures as sentences.
    sheet = workbook.add_worksheet(_sheet_name(_("Report summary"), used))
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 1, 60)
    sheet.write(0, 0, _("SCORE programme progress report"), title)
    facts = [
        (_("Scope"), data.scope.label),
        (_("Scope key"), data.scope.key),
        (_("Period"), period_label(data.period)),
        (_("Compared with"), period_label(data.numbers.previous_period)),
        (_("Generated"), data.generated_at.strftime("%Y-%m-%d %H:%M")),
    ]
    if data.scope.partial:
        facts.append((_("Note"), _("Only the enterprises you can see are counted.")))
    for row, (label, value) in enumerate(facts, start=2):
        sheet.write(row, 0, str(label))
        sheet.write(row, 1, str(value))
    row = len(facts) + 3
    sheet.write(row, 0, _("Headline figures"), title)
    for offset, sentence in enumerate(data.numbers.sentences(), start=1):
        sheet.write(row + offset, 0, sentence)

    # One sheet per section: every indicator, value and comparison.
    change = pgettext("against the previous period", "Change")
    columns = [_("Code"), _("Indicator"), _("Value"), _("Shown as"), _("Previous period"), _("Shown as"), change]
    for section in data.numbers.sections:
        sheet = workbook.add_worksheet(_sheet_name(str(section.title), used))
        header(sheet, 0, columns)
        sheet.set_column(0, 0, 34)
        sheet.set_column(1, 1, 56)
        sheet.set_column(2, 6, 14)
        for r, figure in enumerate(section.figures, start=1):
            sheet.write(r, 0, figure.spec.code)
            sheet.write(r, 1, str(figure.spec.label))
            sheet.write(r, 2, _cell(figure.value))
            sheet.write(r, 3, figure.display)
            sheet.write(r, 4, _cell(figure.previous))
            sheet.write(r, 5, figure.previous_display)
            sheet.write(r, 6, figure.change_display)
    progress(70, _("Writing the monthly trends"))

    months, series = _trend(data)
    if series:
        sheet = workbook.add_worksheet(_sheet_name(_("Monthly trends"), used))
        header(sheet, 0, [_("Month"), *[name for name, _values in series]])
        for r, key in enumerate(months, start=1):
            sheet.write(r, 0, key)
            for c, (_name, values) in enumerate(series, start=1):
                sheet.write(r, c, _cell(values[r - 1]))

    specs = layer.headline_specs()
    if data.scope.children:
        sheet = workbook.add_worksheet(_sheet_name(_("Regions"), used))
        header(sheet, 0, [_("Scope key"), _("Region"), *[s.label for s in specs]])
        for r, child in enumerate(data.scope.children, start=1):
            sheet.write(r, 0, child.key)
            sheet.write(r, 1, child.label)
            for c, spec in enumerate(specs, start=2):
                sheet.write(r, c, _cell(data.children.get(child.key, {}).get(spec.code)))
    if data.scope.lists_enterprises:
        progress(75, _("Writing the enterprises"))
        sheet = workbook.add_worksheet(_sheet_name(_("Enterprises by indicator"), used))
        enterprise_specs = layer.enterprise_table_specs()
        header(sheet, 0, [_("Credit code"), _("Enterprise"), _("Region"), *[s.label for s in enterprise_specs]])
        sheet.set_column(0, 1, 24)
        for r, e in enumerate(data.enterprises, start=1):
            sheet.write(r, 0, e.credit_code)
            sheet.write(r, 1, e.name)
            sheet.write(r, 2, e.region.name)
            for c, spec in enumerate(enterprise_specs, start=3):
                sheet.write(r, c, _cell(data.enterprise_values.get(e.pk, {}).get(spec.code)))

    # The underlying records of every source.
    progress(80, _("Writing the underlying records"))
    for source in layer.discover():
        for rows in source.rows(data.scope.enterprises, data.period):
            sheet = workbook.add_worksheet(_sheet_name(str(rows.title), used))
            header(sheet, 0, list(rows.headers))
            for r, record in enumerate(rows.rows, start=1):
                for c, value in enumerate(record):
                    if isinstance(value, dt.date):
                        sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()))
                    elif value is None:
                        continue
                    else:
                        sheet.write(r, c, _cell(value) if not isinstance(value, str) else value)
    workbook.close()
    return output.getvalue()
