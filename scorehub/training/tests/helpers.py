"""Helpers for the training tests: read PDFs with poppler."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def pdf_text(content: bytes, *, layout: bool = False) -> str:
    """The text of a PDF, by poppler's pdftotext."""
    tool = shutil.which("pdftotext")
    assert tool is not None
    args = [tool, *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=content, capture_output=True, check=True).stdout.decode()  # noqa: S603


def pdf_page_image(content: bytes, folder: Path) -> Path:
    """The first page of a PDF as a small PNG, by poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    assert tool is not None
    (folder / "page.pdf").write_bytes(content)
    args = [tool, "-r", "40", "-png", "-singlefile", str(folder / "page.pdf"), str(folder / "page")]
    subprocess.run(args, check=True)  # noqa: S603
    return folder / "page.png"
