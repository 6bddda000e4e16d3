"""``scorehub import enterprises FILE``: the same checks as the web import, errors listed, exit status 1."""

from __future__ import annotations

import io

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from scorehub import cli
from scorehub.enterprises.models import Enterprise

from .import_files import CHINESE_HEADERS, ENGLISH_HEADERS, code, csv_bytes, enterprise, table, xlsx_bytes

pytestmark = pytest.mark.django_db


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_command_imports_a_file_as_the_given_user(tmp_path, persona):
    rows = [enterprise(3000), enterprise(3001, region="330521")]
    path = write(tmp_path, "企业.xlsx", xlsx_bytes(table(rows, ENGLISH_HEADERS)))
    out = io.StringIO()

    call_command("import_enterprises", path, user="huzhou_official", language="en", stdout=out)

    assert "2 rows imported" in out.getvalue()
    created = Enterprise.objects.filter(credit_code__in=[r["credit_code"] for r in rows])
    assert created.count() == 2
    entry = LogEntry.objects.get(object_pk=str(created.first().pk), action=LogEntry.Action.CREATE)
    assert entry.actor == persona("huzhou_official")
    assert entry.additional_data["source"] == "console"


def test_command_lists_every_bad_row_exits_non_zero_and_saves_nothing(tmp_path):
    rows = [enterprise(3100), enterprise(3101, credit_code=code(3100)), enterprise(3102, region="110111")]
    path = write(tmp_path, "bad.csv", csv_bytes(table(rows, CHINESE_HEADERS), encoding="gb18030"))
    before = Enterprise.objects.count()
    err = io.StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_enterprises", path, user="huzhou_official", language="en", stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 3, 统一社会信用代码: ")
    assert lines[1].startswith("row 4, 行政区划代码: ")
    assert len(lines) == 2
    assert "2 of 3 rows have errors" in str(caught.value)
    assert Enterprise.objects.count() == before


def test_dry_run_checks_and_saves_nothing(tmp_path):
    path = write(tmp_path, "ok.csv", csv_bytes(table([enterprise(3200)], CHINESE_HEADERS)))
    before = Enterprise.objects.count()
    out = io.StringIO()
    call_command("import_enterprises", path, "--dry-run", language="en", stdout=out)
    assert "1 rows checked: no errors." in out.getvalue()
    assert Enterprise.objects.count() == before


def test_without_user_the_console_imports_anywhere(tmp_path):
    rows = [enterprise(3300, region="110111"), enterprise(3301, region="330784")]
    path = write(tmp_path, "any.csv", csv_bytes(table(rows, CHINESE_HEADERS)))
    call_command("import_enterprises", path, stdout=io.StringIO())
    assert Enterprise.objects.filter(credit_code__in=[r["credit_code"] for r in rows]).count() == 2


def test_unknown_user_and_unreadable_file_are_command_errors(tmp_path):
    path = write(tmp_path, "ok.csv", csv_bytes(table([enterprise(3400)], CHINESE_HEADERS)))
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_enterprises", path, user="nobody")
    with pytest.raises(CommandError):
        call_command("import_enterprises", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError):
        call_command("import_enterprises", write(tmp_path, "x.pdf", b"%PDF"), language="en")


def test_scorehub_console_maps_import_enterprises_onto_the_command(tmp_path, capsys, monkeypatch):
    # A command run from the command line closes every connection when it ends; here that would end
    # the test's own transaction (PostgreSQL), so the closing is left to the test framework.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    bad = write(tmp_path, "bad.csv", csv_bytes(table([enterprise(3500, region="999999")], CHINESE_HEADERS)))
    with pytest.raises(SystemExit) as exited:
        cli.main(["scorehub", "import", "enterprises", bad, "--user", "huzhou_official", "--language", "en"])
    assert exited.value.code == 1
    assert "row 2, 行政区划代码" in capsys.readouterr().err

    good = write(tmp_path, "good.csv", csv_bytes(table([enterprise(3501)], CHINESE_HEADERS)))
    cli.main(["scorehub", "import", "enterprises", good, "--user", "huzhou_official", "--dry-run"])
    assert Enterprise.objects.filter(credit_code=code(3501)).count() == 0
