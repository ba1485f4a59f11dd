#!/usr/bin/env bash
# Everything a fresh Debian 12 machine needs, installed idempotently:
# system packages (when root), the virtualenv .venv, and this project with its extras.
# Sourced by scripts/demo.sh and scripts/test.sh; safe to run again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
# torch: the CPU build that lies on these machines' disk; an unpinned torch downloads GBs.
TORCH_PIN="torch==2.13.0"

apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "setup: not root; please install: ${missing[*]}" >&2
        return 0
    fi
    echo "setup: apt-get install ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install python3-venv curl wrk  # wrk: bench/runtime_bench.py (its smoke run is a test)
if [ -x scripts/nfs-test-server.sh ]; then
    scripts/nfs-test-server.sh install
fi

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.setup-stamp"
want="$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing the project into .venv (log: .venv/pip.log)" >&2
    {
        "$VENV/bin/python" -m pip install --upgrade pip &&
            "$VENV/bin/python" -m pip install "$TORCH_PIN" &&
            "$VENV/bin/python" -m pip install -c constraints.txt -e ".[gen,test,fsspec,example,bench,metrics]" "$TORCH_PIN"
    } >"$VENV/pip.log" 2>&1 || { tail -n 40 "$VENV/pip.log" >&2; exit 1; }
    echo "$want" >"$stamp"
fi
export PATH="$VENV/bin:$PATH"

# The official JavaScript `openai` client, for tests/example/test_openai_js.py (Node >= 20;
# 7.x needs Node 22). Into the git-ignored .tmp/node, pinned, reinstalled only on a change.
OPENAI_JS_PIN="6.30.1"
if command -v npm >/dev/null 2>&1; then
    have="$(node -p "require('./.tmp/node/node_modules/openai/package.json').version" 2>/dev/null || true)"
    if [ "$have" != "$OPENAI_JS_PIN" ]; then
        echo "setup: npm install openai@$OPENAI_JS_PIN into .tmp/node" >&2
        mkdir -p .tmp/node
        npm install --prefix .tmp/node --no-audit --no-fund --loglevel=error \
            "openai@$OPENAI_JS_PIN" >/dev/null
    fi
else
    echo "setup: npm not found; the JavaScript client tests need Node >= 20 with npm" >&2
fi
