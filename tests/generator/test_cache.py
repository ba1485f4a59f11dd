"""A no-change rerun answers from the stamp; any change to what a run reads or wrote is a miss."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, run_gen

HIT = "inputs unchanged"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    result = run_gen("schemas", "-o", "out", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return tmp_path


def check(project: Path, *extra: str) -> tuple[int, str]:
    result = run_gen("schemas", "-o", "out", "--check", *extra, cwd=project)
    return result.returncode, result.stdout + result.stderr


def test_a_rerun_with_nothing_changed_answers_from_the_stamp(project: Path) -> None:
    code, text = check(project)
    assert code == 0 and HIT in text, text


def test_no_cache_does_the_whole_run(project: Path) -> None:
    code, text = check(project, "--no-cache")
    assert code == 0 and "up to date" in text and HIT not in text, text


def test_an_edited_schema_is_a_miss(project: Path) -> None:
    spec = project / "schemas" / "chat.yaml"
    spec.write_text(spec.read_text().replace("title:", "title: Edited", 1))
    code, text = check(project)
    assert code == 1 and "stale" in text, text


def test_a_new_schema_file_is_a_miss(project: Path) -> None:
    shutil.copy(project / "schemas" / "chat.yaml", project / "schemas" / "chat2.yaml")
    code, text = check(project)
    assert code == 1 and "stale" in text, text


def test_an_edited_or_removed_output_file_is_a_miss(project: Path) -> None:
    models = project / "out" / "chat" / "models.py"
    models.write_text(models.read_text() + "# edited\n")
    code, text = check(project)
    assert code == 1 and "-# edited" in text, text
    assert run_gen("schemas", "-o", "out", "-q", cwd=project).returncode == 0
    (project / "out" / "openai" / "routes.py").unlink()
    code, text = check(project)
    assert code == 1 and "missing file" in text, text


def test_byte_code_written_into_the_output_is_no_miss(project: Path) -> None:
    cache = project / "out" / "chat" / "__pycache__"
    cache.mkdir()
    (cache / "models.cpython-311.pyc").write_bytes(b"\0" * 16)
    code, text = check(project)
    assert code == 0 and HIT in text, text


def test_other_options_are_a_miss(project: Path) -> None:
    code, text = check(project, "--lenient")
    assert code == 0 and "up to date" in text and HIT not in text, text


def test_an_unusable_cache_folder_is_no_error(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("IEOPS_GEN_CACHE_DIR", str(blocker))
    assert run_gen("schemas", "-o", "out", "-q", cwd=project).returncode == 0
    code, text = check(project)
    assert code == 0 and "up to date" in text and HIT not in text, text


def test_a_fifo_in_the_output_or_the_schemas_is_never_read(project: Path) -> None:
    """Reading a FIFO blocks until a writer comes: the stamp only records that it is there."""
    os.mkfifo(project / "out" / "pipe")
    os.mkfifo(project / "schemas" / "pipe")
    assert run_gen("schemas", "-o", "out", "-q", "--force", cwd=project).returncode == 0
    code, text = check(project)
    assert code == 0 and HIT in text, text
