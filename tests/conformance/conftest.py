"""The build stage, once per session: every document generated, linted and imported."""

from __future__ import annotations

import pytest

from . import corpus
from .corpus import Built

DOCS = corpus.documents()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Generate every document of the CI pass, one ruff and one mypy run over all, import."""
    out = tmp_path_factory.mktemp("conformance")
    result = {d.rel: corpus.generate(d, out) for d in DOCS if d.in_ci}
    corpus.lint(list(result.values()), out)
    for b in result.values():
        if b.ok:
            corpus.import_all(b, out)
    return result
