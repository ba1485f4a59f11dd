#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, generated code up to date, lint, types, tests.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

if [ -d generator/ieops_gen ] && [ -f generator/ieops_gen/cli.py ]; then
    echo "== ieops-gen schemas/ --check"
    ieops-gen schemas/ --check
fi
echo "== scripts/unasync_client.py --check (the sync client is generated from the async one)"
python scripts/unasync_client.py --check
echo "== ruff"
ruff check .
ruff format --check .
echo "== import contracts"
lint-imports --no-cache
echo "== mypy --strict"
mypy runtime generator generated examples bench
echo "== mypy tests (strict; test functions may stay unannotated: pyproject.toml [[tool.mypy.overrides]])"
mypy tests
echo "== pytest"
python -m pytest "$@"
