"""PDF rendering with WeasyPrint and the project's own CJK font, never the machine's.

The font is Noto Sans SC (SIL Open Font License) from the npm package ``@expo-google-fonts/noto-sans-sc``,
installed with the other front-end assets (``npm ci``, part of ``make setup``).  Every PDF of the project is
rendered through :func:`render_pdf`, which declares the font with ``@font-face`` from its file, so the
templates' ``font-family: "Noto Sans SC"`` finds it whatever fonts the machine has or lacks; WeasyPrint embeds
only the glyphs a document uses.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

FONT_FAMILY = "Noto Sans SC"
FONT_PACKAGE = "@expo-google-fonts/noto-sans-sc"
# weight -> file inside the package
FONT_FILES = {
    400: "400Regular/NotoSansSC_400Regular.ttf",
    700: "700Bold/NotoSansSC_700Bold.ttf",
}


def font_path(weight: int) -> Path:
    return Path(settings.NODE_MODULES) / FONT_PACKAGE / FONT_FILES[weight]


def missing_font_files() -> list[Path]:
    return [path for path in (font_path(weight) for weight in FONT_FILES) if not path.is_file()]


def font_face_css() -> str:
    """``@font-face`` rules for the project's font, by ``file://`` URL."""
    missing = missing_font_files()
    if missing:
        raise ImproperlyConfigured(
            f"The PDF font is not installed ({missing[0]}). Run `npm ci` (part of `make setup`)."
        )
    return "\n".join(
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: normal; '
        f'src: url("{font_path(weight).as_uri()}"); }}'
        for weight in FONT_FILES
    )


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of ``html``, its text set in the project's font (subset and embedded)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    font_config = FontConfiguration()
    fonts = CSS(string=font_face_css(), font_config=font_config)
    document = HTML(string=html, base_url=base_url)
    return document.write_pdf(stylesheets=[fonts], font_config=font_config)  # type: ignore[no-any-return]


def image_data_uri(field_file: Any, content_type: str = "image/jpeg") -> str:
    """An uploaded image as a data URI, read through its storage (the filesystem or S3 alike).

    A missing file gives "" so that the document leaves the picture out rather than failing.
    """
    if not field_file:
        return ""
    try:
        with field_file.open("rb") as handle:
            return f"data:{content_type};base64," + base64.b64encode(handle.read()).decode("ascii")
    except (OSError, ValueError):
        return ""


@checks.register(checks.Tags.compatibility)
def check_pdf_font(**kwargs: Any) -> list[checks.CheckMessage]:
    missing = missing_font_files()
    if not missing:
        return []
    return [
        checks.Warning(
            "The CJK font for PDF reports is not installed; PDFs cannot be made.",
            hint="Run `npm ci` (part of `make setup`) to install the front-end assets and the font.",
            obj=str(missing[0]),
            id="scorehub.W001",
        )
    ]
