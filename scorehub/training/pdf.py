"""Bilingual PDF documents (visit report, completion certificate) with WeasyPrint, and QR codes with segno.

Each label is printed in Chinese and English at once, whatever the reader's language: the labels are
ordinary translatable strings rendered once per language.  Text is set in the project's own font
(``scorehub.core.pdf``).
"""

from __future__ import annotations

from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from scorehub.core import pdf

LABELS: dict[str, Any] = {
    "visit_report": _("In-factory visit report"),
    "enterprise": _("Enterprise"),
    "credit_code": _("Credit code"),
    "programme": _("Programme"),
    "module": _("Module"),
    "cohort": _("Cohort"),
    "kind": _("Kind of visit"),
    "date": _("Date"),
    "consultants": _("Consultants"),
    "inspector": _("Safety inspector (joint visit)"),
    "observations": _("What was seen"),
    "findings": _("Findings"),
    "advice": _("Advice"),
    "enforcement": _("Enforcement matter"),
    "actions": _("Agreed actions"),
    "owner": _("Owner"),
    "due": _("Due"),
    "next_visit": _("Next visit"),
    "photos": _("Photos"),
    "sign_off": _("Sign-off by the enterprise"),
    "signature": _("Signature"),
    "name": _("Name"),
    "none": _("None"),
    "certificate": _("Certificate of completion"),
    "certifies": _("This certifies that"),
    "completed": _("has completed the SCORE training module"),
    "in_programme": _("in the programme"),
    "issued_on": _("Issued on"),
    "verification_code": _("Verification code"),
    "verify_at": _("Check this certificate at"),
    "consultant_signature": _("Consultant"),
    "revoked": _("Revoked"),
}


def bilingual_labels() -> dict[str, dict[str, str]]:
    """Every label as ``{"zh": ..., "en": ...}``."""
    labels: dict[str, dict[str, str]] = {}
    for key, text in LABELS.items():
        # A lazy string is translated when turned into text, in the language active at that moment.
        with translation.override("zh-hans"):
            zh = str(text)
        with translation.override("en"):
            en = str(text)
        labels[key] = {"zh": zh, "en": en}
    return labels


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as an SVG data URI (for an <img>, so no inline markup or style is needed)."""
    return str(segno.make(url, error="m").svg_data_uri(scale=4, border=2))


def render_pdf(template: str, context: dict[str, Any], *, base_url: str | None = None) -> bytes:
    html = render_to_string(template, {**context, "labels": bilingual_labels()})
    return pdf.render_pdf(html, base_url=base_url)
