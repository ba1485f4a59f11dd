"""``REGISTER_ENABLED=false``: one line says so, written in one place (``registry.disabled``),
whether the runner chose the stand-in itself or was given a disabled ``Registrar``."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys

import pytest
from gmi_ieops.config import Env
from gmi_ieops.registry import Registrar
from gmi_ieops.serving import runner
from gmi_ieops.serving.sockets import Listener

NOTICE = "registration with the IEOPS proxy is disabled"


def _notices(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if NOTICE in r.getMessage()]


async def _start_twice_and_stop(announcer: runner.Announcer) -> None:
    await announcer.start()
    await announcer.start()
    await announcer.stop()


async def test_the_runners_stand_in_says_it_once(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "env", Env({"REGISTER_ENABLED": "false"}))
    with socket.socket() as sock:
        listener = Listener(sock, None, "127.0.0.1", 8000)
        with caplog.at_level(logging.INFO):
            await _start_twice_and_stop(runner.Handler._registrar(listener))
    (record,) = _notices(caplog)
    assert record.getMessage().endswith("http://127.0.0.1:8000 is not advertised")


async def test_a_disabled_registrar_says_it_once_the_same_way(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "env", Env({"REGISTER_ENABLED": "false"}))
    registrar = Registrar.from_env("/s.sock", config=Env({"REGISTER_ENABLED": "false"}))
    with socket.socket() as sock, caplog.at_level(logging.INFO):
        await _start_twice_and_stop(registrar)
        await _start_twice_and_stop(
            runner.Handler._registrar(Listener(sock, None, "127.0.0.1", 8000))
        )
    by_registrar, by_runner = _notices(caplog)
    # one writer: the same logger, the same template, only the subject differs
    assert (by_registrar.name, by_registrar.msg) == (by_runner.name, by_runner.msg)
    assert by_registrar.getMessage().endswith(f"{registrar.id} is not advertised")


def test_the_stand_in_loads_no_http_client() -> None:
    code = (
        "import json, sys\n"
        "from gmi_ieops.registry.disabled import NotRegistering\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    loaded = set(json.loads(out.stdout))
    assert {"httpx", "anyio", "gmi_ieops.registry.proxy"} & loaded == set()
