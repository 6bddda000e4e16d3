"""The Simplified Chinese catalogues are complete: every string in the code is in the catalogue of
its app, and every entry is translated (no empty, no fuzzy entries)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polib
import pytest

PACKAGE = Path(__file__).resolve().parents[2]
APPS = sorted(p.parent for p in PACKAGE.glob("*/apps.py"))


def catalogue(app_dir: Path) -> Path:
    return app_dir / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def app_has_strings(app_dir: Path) -> bool:
    markers = ("gettext", "{% translate", "{% blocktranslate", "_(")
    for path in [*app_dir.rglob("*.py"), *app_dir.rglob("*.html"), *app_dir.rglob("*.txt")]:
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        if any(marker in path.read_text(encoding="utf-8") for marker in markers):
            return True
    return False


@pytest.mark.parametrize("app_dir", APPS, ids=lambda p: p.name)
def test_catalogue_entries_are_all_translated(app_dir):
    if not app_has_strings(app_dir):
        pytest.skip("no translatable strings")
    po = polib.pofile(str(catalogue(app_dir)))
    untranslated = [e.msgid for e in po if not e.translated() and not e.obsolete]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated in {app_dir.name}: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy in {app_dir.name}: {fuzzy[:10]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
@pytest.mark.parametrize("app_dir", APPS, ids=lambda p: p.name)
def test_catalogue_contains_every_string_of_the_app(app_dir, tmp_path):
    if not app_has_strings(app_dir):
        pytest.skip("no translatable strings")
    copy = tmp_path / app_dir.name
    shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo"))
    django_admin = Path(shutil.which("django-admin") or PACKAGE.parent / ".venv" / "bin" / "django-admin")
    subprocess.run(  # noqa: S603 - fixed command on our own files
        [str(django_admin), "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    # A string with a context ("before" of a comparison) is a different entry from the same string without.
    extracted = {(e.msgctxt or "", e.msgid) for e in polib.pofile(str(catalogue(copy)))}
    committed = {(e.msgctxt or "", e.msgid) for e in polib.pofile(str(catalogue(app_dir)))}
    missing = sorted(f"{ctx} | {msgid}" if ctx else msgid for ctx, msgid in extracted - committed)
    assert not missing, f"{app_dir.name}: strings missing from the catalogue (run makemessages): {missing[:10]}"


def test_no_string_means_two_different_things():
    """Django merges every app's catalogue into one: the same English string (and context) must have
    one Chinese translation everywhere, or the first app's wins in the others' pages.  A string with
    a domain-specific meaning ("Close" a hazard: 销号) takes a context: ``pgettext_lazy("hazard", "Close")``."""
    seen: dict[tuple[str | None, str], dict[str, str]] = {}
    for app_dir in APPS:
        path = catalogue(app_dir)
        if not path.exists():
            continue
        for entry in polib.pofile(str(path)):
            if entry.msgid_plural or not entry.msgstr:
                continue
            seen.setdefault((entry.msgctxt, entry.msgid), {})[app_dir.name] = entry.msgstr
    clashes = {
        f"{ctx + ' | ' if ctx else ''}{msgid}": apps
        for (ctx, msgid), apps in seen.items()
        if len(set(apps.values())) > 1
    }
    assert not clashes, f"{len(clashes)} strings translated differently in different apps: {clashes}"
