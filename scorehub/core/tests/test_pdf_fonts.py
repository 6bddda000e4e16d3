"""PDFs carry the project's own CJK font: made on a machine without any font, the Chinese is all there.

The documents are rendered in another process whose fontconfig knows no font directory at all, so nothing
the machine has installed (Debian's fonts-noto-cjk included) can be used.  ``pdffonts`` then shows the
project's Noto Sans SC, embedded as a subset, and ``pdftotext`` gives the Chinese text back exactly.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scorehub.core.tests.processes import command_environment, copy_sqlite, run_python_script

pytestmark = pytest.mark.xdist_group("sqlite-file")

RENDER_SCRIPT = """
import json, sys
import django
django.setup()
from scorehub.accounts.models import User
from scorehub.indicators import layer, reports
from scorehub.indicators.periods import parse_period
from scorehub.indicators.scopes import resolve_scope
from scorehub.suggestions.models import Poster
from scorehub.suggestions.pdf import poster_pdf
from scorehub.training.models import Certificate
from scorehub.training.pdf import qr_data_uri, render_pdf

out = sys.argv[1]
admin = User.objects.get(username="admin")
scope = resolve_scope(admin, "region:330503")
with layer.computation():
    data = reports.collect(scope, parse_period(None), user=admin, progress=lambda *args: None)
    open(f"{out}/report.pdf", "wb").write(reports.build_pdf(data, progress=lambda *args: None))
poster = Poster.objects.select_related("enterprise").order_by("pk").first()
open(f"{out}/poster.pdf", "wb").write(poster_pdf(poster, "https://scorehub.example.org/s/x/"))
certificate = Certificate.objects.select_related("enterprise", "module", "programme").order_by("pk").first()
url = "https://scorehub.example.org/verify/x/"
context = {"certificate": certificate, "verify_url": url, "qr": qr_data_uri(url)}
pdf = render_pdf("training/pdf/certificate.html", context)
open(f"{out}/certificate.pdf", "wb").write(pdf)
print(json.dumps({
    "report": str(scope.label),
    "poster": poster.enterprise.name_zh,
    "certificate": certificate.enterprise.name_zh,
}, ensure_ascii=False))
"""

NO_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""


@pytest.fixture
def fontless_environment(demo_sqlite_file: Path, tmp_path: Path) -> dict[str, str]:
    copy_sqlite(demo_sqlite_file, tmp_path / "scorehub.sqlite3")
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_FONTS_CONF.format(cache=tmp_path / "fontconfig-cache"))
    env = command_environment(tmp_path, DJANGO_SETTINGS_MODULE="scorehub.settings", FONTCONFIG_FILE=str(conf))
    listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=True)  # noqa: S607
    assert listed.stdout.strip() == "", "fontconfig still sees the machine's fonts"
    return env


def pdf_fonts(path: Path) -> list[dict[str, str]]:
    command = ["pdffonts", str(path)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rows = output.splitlines()[2:]  # a header line and a line of dashes
    fonts = []
    for row in rows:
        # name type encoding emb sub uni object ID; the type may have a space ("CID TrueType").
        match = re.match(r"(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", row)
        assert match, row
        fonts.append({"name": match[1], "type": match[2], "emb": match[4], "sub": match[5], "uni": match[6]})
    return fonts


def pdf_text(path: Path) -> str:
    command = ["pdftotext", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603


def test_pdfs_embed_the_projects_cjk_font_on_a_machine_without_fonts(fontless_environment, tmp_path):
    expected = run_python_script(RENDER_SCRIPT, str(tmp_path), env=fontless_environment)

    for document, chinese in expected.items():
        pdf = tmp_path / f"{document}.pdf"
        fonts = pdf_fonts(pdf)
        assert fonts, document
        for font in fonts:
            # Only the project's font, embedded as a subset with a Unicode map (so text can be copied).
            assert re.fullmatch(r"[A-Z]{6}\+Noto-?Sans-?SC(-\w+)?", font["name"]), (document, font)
            assert (font["emb"], font["sub"], font["uni"]) == ("yes", "yes", "yes"), (document, font)
        text = pdf_text(pdf)
        assert re.search(r"[\u4e00-\u9fff]", chinese), chinese
        assert chinese in text.replace("\n", ""), (document, chinese, text[:500])
    assert "南浔区" in pdf_text(tmp_path / "report.pdf")
