"""Temporary files of crashed writers (``.*.gmifs-tmp``) are swept once old enough."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from gmi_ieops.config import ConfigError, Env
from gmi_ieops.storage import FileSystem

from .conftest import Space

DAY = 86400


def _plant(space: Space, directory: str, name: str, age_s: float) -> str:
    """A temp file as a writer that died ``age_s`` ago would have left it."""
    host_dir = space.host_root / directory
    host_dir.mkdir(parents=True, exist_ok=True)
    path = host_dir / name
    path.write_bytes(b"half a file")
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return name


def _names(space: Space, directory: str) -> set[str]:
    return set(os.listdir(space.host_root / directory))


def test_a_write_sweeps_old_temp_files_of_its_directory(any_space: Space) -> None:
    fs = any_space.fs
    fs.mkdir("out", exist_ok=True)
    _plant(any_space, "out", ".a.png.0123456789ab.gmifs-tmp", 2 * DAY)
    fresh = _plant(any_space, "out", ".b.png.ba9876543210.gmifs-tmp", 60)  # maybe writing
    other = _plant(any_space, "out", ".hidden-but-mine", 2 * DAY)
    below = _plant(any_space, "out/deeper", ".c.png.000000000000.gmifs-tmp", 2 * DAY)
    fs.write_bytes("out/new.png", b"png")
    assert _names(any_space, "out") == {fresh, other, "new.png", "deeper"}
    assert _names(any_space, "out/deeper") == {below}  # one directory: the one written to


def test_the_age_is_configurable_and_zero_turns_it_off(local_space: Space) -> None:
    base = local_space.fs
    kwargs: dict[str, Any] = {"local_root": str(base.backend.root), "pid": base.root.split("/")[1]}  # type: ignore[attr-defined]
    _plant(local_space, "", ".x.0.gmifs-tmp", 120)
    FileSystem("", temp_max_age=0, **kwargs).write_bytes("a", b"1")
    assert ".x.0.gmifs-tmp" in _names(local_space, "")
    FileSystem("", temp_max_age=60, **kwargs).write_bytes("b", b"2")
    assert ".x.0.gmifs-tmp" not in _names(local_space, "")
    assert Env({"IEOPS_STORAGE_TEMP_MAX_AGE": "3600"}).storage.temp_max_age == 3600.0
    assert Env({}).storage.temp_max_age == DAY
    with pytest.raises(ConfigError, match="IEOPS_STORAGE_TEMP_MAX_AGE"):
        Env({"IEOPS_STORAGE_TEMP_MAX_AGE": "-1"}).validate()


def test_a_directory_is_swept_once_per_max_age(local_space: Space) -> None:
    fs = local_space.fs
    fs.write_bytes("a", b"1")  # this sweeps the root directory
    _plant(local_space, "", ".late.1.gmifs-tmp", 2 * DAY)
    fs.write_bytes("b", b"2")  # not again within temp_max_age: one listing per day and dir
    assert ".late.1.gmifs-tmp" in _names(local_space, "")


def test_sweep_by_hand(any_space: Space) -> None:
    fs = any_space.fs
    fs.mkdir("jobs", exist_ok=True)
    _plant(any_space, "jobs", ".r.json.aaaaaaaaaaaa.gmifs-tmp", 600)
    _plant(any_space, "jobs", ".s.json.bbbbbbbbbbbb.gmifs-tmp", 5)
    assert fs.sweep_temp_files("jobs") == []  # younger than a day
    assert fs.sweep_temp_files("jobs", older_than=300) == ["jobs/.r.json.aaaaaaaaaaaa.gmifs-tmp"]
    assert _names(any_space, "jobs") == {".s.json.bbbbbbbbbbbb.gmifs-tmp"}
    with pytest.raises(PermissionError):
        fs.sweep_temp_files("../elsewhere")
