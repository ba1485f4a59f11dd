"""The sync client is generated from the async one: the committed file must be fresh."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "unasync_client", ROOT / "scripts" / "unasync_client.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_sync_client_is_generated_from_async() -> None:
    script = _script()
    assert script.TARGET.read_text(encoding="utf-8") == script.render()


def test_check_fails_on_a_stale_sync_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script()
    stale = tmp_path / "_sync.py"
    stale.write_text(script.render().replace("def close(self)", "def close_(self)"))
    monkeypatch.setattr(script, "TARGET", stale)
    assert script.main(["--check"]) == 1
    assert "def close_(self)" in capsys.readouterr().err
    assert script.main([]) == 0  # regenerates
    assert script.main(["--check"]) == 0


def test_generated_sync_client_has_no_async_left() -> None:
    text = _script().render()
    for word in ("async ", "await ", "anyio", "AsyncClient", "aclose", "AsyncConnection"):
        assert word not in text.split('"""', 2)[2], word  # after the module docstring
