"""Serve an app under uvicorn with the runtime's protocol (``serving/protocol.py``).

``runtime_bench.py`` starts its servers with ``python -m uvicorn``, whose ``--http`` takes
only a name; this launcher runs the same app on the protocol a worker really uses (header
limits, header/idle timeouts, connection cap) with the default limits, so their cost is
measured side by side with the plain httptools protocol:

    python bench/apps/limited_serve.py MODULE:ATTRIBUTE PORT LOOP
"""

from __future__ import annotations

import sys

import uvicorn
from gmi_ieops.lifecycle import Lifecycle
from gmi_ieops.serving.protocol import ConnectionLimits, protocol_class


def main() -> None:
    app, port, loop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    limits = ConnectionLimits.from_env()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop=loop,
        http=protocol_class(limits, Lifecycle()),
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
