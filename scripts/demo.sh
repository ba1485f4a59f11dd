#!/usr/bin/env bash
# The main job: start a worker on its default Unix socket and call it.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"

workdir="$(mktemp -d)"
log="$workdir/worker.log"
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$workdir"' EXIT

echo "== starting examples/quickstart/server.py (socket in $workdir)"
MODEL_SERVER_SOCKET_DIR="$workdir" REGISTER_ENABLED=false APP_NAME=demo \
    python examples/quickstart/server.py >"$log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    sock="$(sed -n 's/.*listening on unix:\(.*\)$/\1/p' "$log" | head -n1)"
    [ -n "$sock" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
done
[ -n "$sock" ] || { echo "worker did not start"; cat "$log"; exit 1; }
echo "== worker listening on $sock"

echo "== POST /chat/complete"
curl -sS --fail-with-body --unix-socket "$sock" -H 'Content-Type: application/json' \
    -d '{}' http://worker/chat/complete
echo
echo "== POST /chat/stream (SSE)"
curl -sSN --fail-with-body --unix-socket "$sock" -H 'Content-Type: application/json' \
    -d '{"messages": [{"role": "user", "content": "hi"}]}' http://worker/chat/stream | head -n 6
echo "..."
echo "== stopping the worker (SIGTERM)"
kill -TERM "$pid"
wait "$pid"
echo "== worker exited with $?; socket removed: $([ -e "$sock" ] && echo no || echo yes)"
