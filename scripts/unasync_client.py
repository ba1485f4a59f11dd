"""Write the sync client from the async one: ``_async.py`` -> ``_sync.py`` (httpcore's way).

The client is written once, async (``runtime/gmi_ieops/client/_async.py``). This runs the
``unasync`` package (PyPI, the ``test`` extra) over it: ``async``/``await`` go, and each
name in ``RENAMES`` becomes its sync twin. The steps that really differ between the two
(waiting, the total timeout, the WebSocket handshake, upload bodies) are hand-written pairs
in ``_concurrency.py``, ``websocket.py`` and ``files.py``, named ``a<name>`` / ``<name>``.
One rewrite unasync cannot express: a line marked ``# unasync: drop`` is left out
(with the blank line before it).

    python scripts/unasync_client.py          # regenerate _sync.py
    python scripts/unasync_client.py --check  # exit 1 when the committed _sync.py is stale
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
from pathlib import Path

import unasync

CLIENT = Path(__file__).resolve().parent.parent / "runtime" / "gmi_ieops" / "client"
SOURCE = CLIENT / "_async.py"
TARGET = CLIENT / "_sync.py"

# async name -> sync name (unasync already knows __aenter__, __anext__, StopAsyncIteration, ...)
RENAMES = {
    # the client's classes and the types it returns
    "AsyncBaseClient": "BaseClient",
    "AsyncByteStream": "ByteStream",
    "AsyncEventStream": "EventStream",
    "AsyncWebSocketClientSession": "WebSocketClientSession",
    "AsyncConnection": "SyncConnection",
    # httpx
    "AsyncClient": "Client",
    "AsyncHTTPTransport": "HTTPTransport",
    "aclose": "close",
    "aread": "read",
    # the hand-written pairs
    "asleep": "sleep",
    "awithin_total": "within_total",
    "aconnect_ws": "connect_ws",
    "arequest_content": "request_content",
}
DROP = "# unasync: drop"
HEADER = (
    "# Generated from _async.py by scripts/unasync_client.py: do not edit. Edit _async.py and run\n"
    "# `python scripts/unasync_client.py`; scripts/test.sh fails while this file is stale.\n"
)


def render() -> str:
    """The sync client's source, from ``_async.py`` as it is now."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "_async.py"
        shutil.copyfile(SOURCE, copy)
        rule = unasync.Rule("_async.py", "_sync.py", additional_replacements=RENAMES)
        unasync.unasync_files([str(copy)], rules=[rule])
        text = (Path(tmp) / "_sync.py").read_text(encoding="utf-8")
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if DROP not in line:
            lines.append(line)
        elif lines and not lines[-1].strip():
            lines.pop()  # the blank line that set the dropped one apart
    out = HEADER + "".join(lines)
    compile(out, str(TARGET), "exec")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when _sync.py is stale")
    args = parser.parse_args(argv)
    wanted = render()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        if current == wanted:
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            f"{TARGET.name} (committed)",
            f"{TARGET.name} (from {SOURCE.name})",
        )
        sys.stderr.writelines(diff)
        sys.stderr.write("_sync.py is stale: run `python scripts/unasync_client.py`\n")
        return 1
    if current != wanted:
        TARGET.write_text(wanted, encoding="utf-8")
        print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
