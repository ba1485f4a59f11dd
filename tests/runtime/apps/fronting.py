"""A worker that fronts a child process which dies (DESIGN §3.5: unregister, exit non-zero)."""

from __future__ import annotations

import os
import sys

from gmi_ieops.handler import Handler, RouterDef, RouterKind, Server
from gmi_ieops.utils import SubprocessManager

child = SubprocessManager(
    [
        sys.executable,
        "-c",
        f"import time; time.sleep({os.environ.get('CHILD_LIFETIME', '1.5')}); raise SystemExit(3)",
    ],
    name="backend",
    restart="never",
)


async def hello(query: dict[str, object]) -> dict[str, object]:
    return {"ok": True}


server = Server(
    routers={"": [RouterDef(path="hello", handler=hello, kind=RouterKind.API)]},
    on_startup=child.astart,
    on_shutdown=child.astop,
)

if __name__ == "__main__":
    Handler(server=server).serve()
