"""Generate every document of the conformance corpus into one folder, to see a generator
change's effect on the corpus: run it on two checkouts and compare the folders.

    python scripts/generate_corpus.py OUT [REPO]
    diff -r -x __pycache__ OLD_OUT NEW_OUT

REPO (default: this checkout) is the checkout whose ``ieops_gen`` and corpus list are used
(its ``../shared/specs`` too); a document that does not generate is printed with why.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1]).resolve()
    repo = Path(sys.argv[2] if len(sys.argv) == 3 else Path(__file__).parents[1]).resolve()
    sys.path[:0] = [str(repo / "generator"), str(repo)]
    os.chdir(repo)
    from tests.conformance import corpus

    for doc in corpus.documents():
        built = corpus.generate(doc, out)
        if built.stage != "pass":
            print(f"{doc.rel}: {built.stage}: {built.reason[:200]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
