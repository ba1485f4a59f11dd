#!/usr/bin/env bash
# The test suite under coverage: how much of the runtime (gmi_ieops) and of the compiler
# (ieops_gen) the tests run, the worker subprocesses included ([tool.coverage.*] in
# pyproject.toml). A report, no gate. Apart from scripts/test.sh because measuring costs
# about 25-35 % more CPU (CONTRIBUTING.md). Arguments go to pytest (e.g. tests/runtime).
# Writes .tmp/coverage/html/index.html.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

rm -rf .tmp/coverage
mkdir -p .tmp/coverage
status=0
python -m coverage run -m pytest "$@" || status=$?
python -m coverage combine -q
python -m coverage report --format=total >.tmp/coverage/total.txt
python -m coverage report --sort=-miss | tail -n 25
python -m coverage html -q -d .tmp/coverage/html
echo "== coverage of gmi_ieops + ieops_gen: $(cat .tmp/coverage/total.txt) % (.tmp/coverage/html/index.html)"
exit "$status"
