"""Fixtures for every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_generator_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test gets its own ieops-gen stamp folder, so a no-change rerun never answers
    from another test's run (tests/generator/test_cache.py tests the cache itself)."""
    monkeypatch.setenv("IEOPS_GEN_CACHE_DIR", str(tmp_path_factory.mktemp("ieops-gen-cache")))
