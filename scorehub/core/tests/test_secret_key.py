"""Where SECRET_KEY comes from: a given key must be strong; without one, production refuses to start and a
run on this machine keeps one random key in its data directory, whoever starts first."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from scorehub.core import secret_key

STRONG = "kD8#qL2!vX9@mN4$pR7%tY1^wZ6&bH3*cJ5(fG0)sA8_eU2+iO4=uT7~yE1-rW9xQ3"


@pytest.mark.parametrize(
    ("debug", "hosts", "production"),
    [
        (False, ["127.0.0.1", "localhost", "[::1]", "testserver"], False),  # the defaults: this machine only
        (False, ["scorehub.example.org"], True),
        (False, ["localhost", "10.0.0.5"], True),
        (False, ["*"], True),
        (True, ["scorehub.example.org"], False),  # a developer's server, which check --deploy refuses anyway
    ],
)
def test_production_is_debug_off_and_a_host_name_other_than_this_machines(debug, hosts, production):
    assert secret_key.is_production(debug=debug, allowed_hosts=hosts) is production


@pytest.mark.parametrize("production", [True, False])
def test_a_given_strong_key_is_used_as_it_is(tmp_path, production):
    assert secret_key.resolve(STRONG, data_dir=tmp_path, production=production) == (STRONG, False)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("django-insecure-" + STRONG, "it is a placeholder (it starts with 'django-insecure-')"),
        ("x" * 49 + "yz", "it has fewer than 5 different characters"),
        (STRONG[:49], "it has 49 characters, fewer than 50"),
    ],
)
def test_a_given_weak_key_is_refused_with_the_reason(tmp_path, key, reason):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is too weak") as refused:
        secret_key.resolve(key, data_dir=tmp_path, production=False)
    assert reason in str(refused.value)


def test_without_a_key_production_refuses_to_start(tmp_path):
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY is not set"):
        secret_key.resolve("", data_dir=tmp_path, production=True)
    assert not any(tmp_path.iterdir())


def test_without_a_key_a_run_on_this_machine_keeps_one(tmp_path):
    data_dir = tmp_path / "data"  # not there yet, as on a fresh clone
    key, local = secret_key.resolve("", data_dir=data_dir, production=False)
    assert local is True
    assert secret_key.weakness(key) is None
    assert secret_key.resolve("", data_dir=data_dir, production=False) == (key, True)
    assert [p.name for p in data_dir.iterdir()] == ["secret_key"]  # no draft left behind


def test_processes_starting_together_agree_on_one_key(tmp_path):
    code = f"import pathlib, scorehub.core.secret_key as k; print(k.kept_key(pathlib.Path({str(tmp_path)!r})))"
    children = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(6)
    ]
    keys = {child.communicate(timeout=60)[0].strip() for child in children}
    assert keys == {(tmp_path / "secret_key").read_text().strip()}


def test_a_damaged_key_file_is_named_not_used(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(ImproperlyConfigured, match="does not hold a usable key"):
        secret_key.resolve("", data_dir=tmp_path, production=False)


def test_an_unwritable_data_directory_asks_for_a_key(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(ImproperlyConfigured, match=r"no key can be kept in .* Set SECRET_KEY"):
        secret_key.resolve("", data_dir=blocked / "data", production=False)
