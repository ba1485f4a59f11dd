#!/usr/bin/env bash
# The main job: generate the typed API from schemas/, serve the example worker (a real
# embedding model, all-MiniLM-L6-v2) on its default Unix socket, and call it with the
# generated client.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

echo "== ieops-gen schemas/  (regenerates generated/; byte-identical when up to date)"
ieops-gen schemas/

workdir="$(mktemp -d)"
log="$workdir/worker.log"
pid=""
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$workdir"
}
trap cleanup EXIT

echo "== starting the example worker (examples/worker/openai_impl.py) in $workdir"
(cd "$workdir" && PYTHONPATH="$ROOT" REGISTER_ENABLED=false APP_NAME=openai \
    exec python "$ROOT/examples/worker/openai_impl.py") >"$log" 2>&1 &
pid=$!
sock=""
for _ in $(seq 600); do
    sock="$(sed -n 's/.*listening on unix:\(.*\)$/\1/p' "$log" | head -n1)"
    [ -n "$sock" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.2
done
[ -n "$sock" ] || { echo "the worker did not start"; cat "$log"; exit 1; }
grep -h "loaded" "$log" || true
echo "== worker listening on $sock"

echo "== calling it with the generated client (examples/worker/call_openai.py)"
PYTHONPATH="$ROOT" python examples/worker/call_openai.py "unix://$sock"

echo "== stopping the worker (SIGTERM: drain, shutdown hooks, socket removed)"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
echo "== worker exited with $code; socket removed: $([ -e "$sock" ] && echo no || echo yes)"
exit "$code"
