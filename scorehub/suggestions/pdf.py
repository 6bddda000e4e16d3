"""Printable documents: the A4 suggestion poster and a case study, rendered with WeasyPrint.

Text is set in the project's own font (``scorehub.core.pdf``), whatever fonts the machine has.
"""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation

from scorehub.core.pdf import render_pdf

from .models import CaseStudy, Poster, module_label


def _pdf(html: str) -> bytes:
    return render_pdf(html)


def qr_svg(url: str) -> str:
    """An SVG QR code for ``url``: error correction "M" survives a poster that is a little dirty or creased."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=10, border=2, dark="#000", light="#fff")


def poster_pdf(poster: Poster, url: str) -> bytes:
    # Bilingual by design: the Chinese text leads, English follows; rendered in Chinese whatever the
    # language of whoever prints it.
    with translation.override("zh-hans"):
        html = render_to_string(
            "suggestions/poster_pdf.html",
            {"poster": poster, "enterprise": poster.enterprise, "url": url, "qr": qr_svg(url)},
        )
    return _pdf(html)


def _data_uri(field_file: Any) -> str:
    if not field_file:
        return ""
    try:
        with field_file.open("rb") as fh:
            return "data:image/jpeg;base64," + base64.b64encode(fh.read()).decode("ascii")
    except OSError:  # a missing file leaves the picture out rather than the whole document
        return ""


def case_study_pdf(case: CaseStudy) -> bytes:
    enterprise = case.enterprise
    html = render_to_string(
        "suggestions/case_pdf.html",
        {
            "case": case,
            "enterprise": enterprise,
            "module": module_label(case.module) if case.module else "",
            "before_src": _data_uri(case.before_image),
            "after_src": _data_uri(case.after_image),
        },
    )
    return _pdf(html)
