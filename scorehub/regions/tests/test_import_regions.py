"""``scorehub import regions FILE``: further GB/T 2260 regions from a CSV, all rows or none."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from scorehub.regions.loading import PILOT_REGIONS_CSV
from scorehub.regions.models import Region

pytestmark = pytest.mark.django_db

HEADER = "code,level,name_zh,name_en,parent\n"


def write(tmp_path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "regions.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_new_regions_are_added_below_existing_ones(tmp_path):
    path = write(
        tmp_path,
        HEADER + "310115,district,浦东新区,Pudong New Area,310000\n"  # the parent comes later in the file
        "310000,province,上海市,Shanghai,\n"
        "330783,,东阳市,Dongyang,330700\n",  # level from the code
        encoding="gb18030",
    )
    out = io.StringIO()
    call_command("import_regions", path, language="en", stdout=out)
    assert "3 regions added, 0 updated, 0 unchanged." in out.getvalue()
    pudong = Region.objects.get(code="310115")
    assert (pudong.level, pudong.parent_id, pudong.prefix, pudong.name_en) == (3, "310000", "310115", "Pudong New Area")
    assert Region.objects.get(code="330783").parent_id == "330700"
    assert set(Region.objects.subtree(Region.objects.get(code="330700")).values_list("code", flat=True)) == {
        "330700",
        "330783",
        "330784",
    }


def test_the_pilot_file_imports_again_unchanged(tmp_path):
    before = list(Region.objects.values_list("code", "level", "name_zh", "parent_id"))
    out = io.StringIO()
    call_command("import_regions", str(PILOT_REGIONS_CSV), language="en", stdout=out)
    assert "0 regions added, 0 updated, 15 unchanged." in out.getvalue()
    assert list(Region.objects.values_list("code", "level", "name_zh", "parent_id")) == before


def test_any_bad_row_saves_nothing_and_every_error_is_listed(tmp_path):
    before = Region.objects.count()
    path = write(
        tmp_path,
        HEADER + "310000,province,上海市,Shanghai,\n"  # row 2: fine
        "31011,district,坏代码,Bad code,310000\n"  # row 3: five digits
        "310104,state,徐汇区,Xuhui,310000\n"  # row 4: unknown level
        "310105,district,长宁区,Changning,320000\n"  # row 5: parent unknown
        "330599,district,错位区,Misplaced,310000\n"  # row 6: not under its parent
        "310106,city,静安区,Jing'an,310000\n"  # row 7: the code is not a city's
        "310000,province,上海市,Shanghai,\n"  # row 8: twice in the file
        "310107,district,,Putuo,310000\n",  # row 9: no Chinese name
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="7 errors"):
        call_command("import_regions", path, language="en", stderr=err)
    rows = [line.split(":")[0] for line in err.getvalue().splitlines()]
    assert rows == ["row 3", "row 4", "row 5", "row 6", "row 7", "row 8", "row 9"]
    assert Region.objects.count() == before
    assert not Region.objects.filter(code="310000").exists()


def test_missing_code_column_is_refused(tmp_path):
    path = write(tmp_path, "区划,名称\n310000,上海市\n")
    with pytest.raises(CommandError):
        call_command("import_regions", path, language="en", stderr=io.StringIO())
