"""A proxy URL with credentials (``http://user:pass@...``) never shows its password.

Not in register/unregister/outage lines, not in the start-up error of a malformed URL, not
in configuration dumps, not in a worker's output; the credentials still reach the proxy
(as HTTP Basic authentication, which is what httpx makes of a URL's userinfo).
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import socket
import sys
from pathlib import Path

import pytest
from gmi_ieops.config import ConfigError, Env
from gmi_ieops.config.redact import redact, redact_url
from gmi_ieops.registry import Registrar
from gmi_ieops.utils import log

from tests.support.fake_proxy import FakeProxy
from tests.support.worker import WorkerProcess, worker_env

from .conftest import RegistryLog

SECRET = "hunter2"


def _everything_logged(registry_log: RegistryLog) -> str:
    return "\n".join(f"{r.getMessage()} {r.args!r}" for r in registry_log.records)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:hunter2@proxy:80/x", "http://***@proxy:80/x"),
        ("at https://tok@h and nfs://a:b@c/d?e=f", "at https://***@h and nfs://***@c/d?e=f"),
        ("http://u:pa@ss/word@host/p", "http://***@host/p"),  # raw @ and / in the password
        ("'http://u:hunter2@h:1'", "'http://***@h:1'"),
        ("http://proxy:80/path", "http://proxy:80/path"),
        ("mail me at a@b.c", "mail me at a@b.c"),
        ("", ""),
    ],
)
def test_redact_masks_userinfo_in_text(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:hunter2@proxy:80", "http://***@proxy:80"),
        ("user:hunter2@10.0.0.2:8080", "***@10.0.0.2:8080"),  # no scheme: still masked
        ("http://proxy:80", "http://proxy:80"),
        ("10.0.0.2:8080", "10.0.0.2:8080"),
    ],
)
def test_redact_url_masks_a_setting_even_without_scheme(url: str, expected: str) -> None:
    assert redact_url(url) == expected


async def test_register_unregister_and_outage_lines_mask_the_password(
    fake_proxy_tcp: FakeProxy, registry_log: RegistryLog
) -> None:
    url = fake_proxy_tcp.url.replace("http://", f"http://ieops:{SECRET}@")
    config = Env({"APP_NAME": "sec", "REGISTER_INTERVAL": "0.1", "IEOPS_PROXY_URL": url})
    registrar = Registrar.from_env("http://127.0.0.1:9", config=config)
    assert registrar.proxy == url.replace(f"ieops:{SECRET}@", "***@")
    await registrar.start()
    await fake_proxy_tcp.await_for(lambda p: registrar.id in p.workers, timeout=2)
    expected_auth = "Basic " + base64.b64encode(f"ieops:{SECRET}".encode()).decode()
    assert fake_proxy_tcp.registers[0].authorization == expected_auth

    await asyncio.to_thread(fake_proxy_tcp.stop)  # an outage: the warning names the proxy
    failures = registrar.failures
    while registrar.failures == failures:
        await asyncio.sleep(0.02)
    await registrar.stop()  # the unregister fails too: a warning naming the proxy
    outages = registry_log.outages()
    assert len(outages) == 1 and f"127.0.0.1:{fake_proxy_tcp.port}" in outages[0]
    assert any("could not unregister" in m for m in registry_log.at(logging.WARNING))
    assert "***@127.0.0.1" in _everything_logged(registry_log)
    assert SECRET not in _everything_logged(registry_log)


async def test_successful_register_and_unregister_lines_mask_the_password(
    fake_proxy_tcp: FakeProxy, registry_log: RegistryLog
) -> None:
    url = fake_proxy_tcp.url.replace("http://", f"http://ieops:{SECRET}@")
    config = Env({"REGISTER_INTERVAL": "0.1", "IEOPS_PROXY_URL": url})
    async with Registrar.from_env("http://127.0.0.1:9", config=config) as registrar:
        await fake_proxy_tcp.await_for(lambda p: len(p.registers) >= 2, timeout=2)
    assert [r.body for r in fake_proxy_tcp.unregisters] == [{"id": registrar.id}]
    infos = registry_log.at(logging.INFO)
    assert any(m.startswith("registered") for m in infos)
    assert any(m.startswith("unregistered") for m in infos)
    assert SECRET not in _everything_logged(registry_log)


@pytest.mark.parametrize(
    "url", [f"user:{SECRET}@10.0.0.2:8080", f"ftp://user:{SECRET}@10.0.0.2", f"http://u:{SECRET}@"]
)
def test_a_malformed_proxy_url_is_named_but_its_password_is_not(url: str) -> None:
    with pytest.raises(ConfigError) as from_env:
        Registrar.from_env("/s.sock", config=Env({"IEOPS_PROXY_URL": url}))
    with pytest.raises(ConfigError) as validate:  # at start, with every other bad variable
        Env({"IEOPS_PROXY_URL": url, "MODEL_SERVER_PORT": "abc"}).validate()
    for error in (from_env.value, validate.value):
        assert "IEOPS_PROXY_URL" in str(error) and "***@" in str(error)
        assert SECRET not in str(error) and SECRET not in repr(error.issues)
    assert "MODEL_SERVER_PORT" in str(validate.value)


def test_a_malformed_proxy_url_is_fine_while_registration_is_off() -> None:
    Env({"IEOPS_PROXY_URL": "nonsense", "REGISTER_ENABLED": "false"}).validate()


def test_env_dump_masks_url_credentials_in_every_form() -> None:
    for url in (f"http://user:{SECRET}@proxy:80", f"user:{SECRET}@proxy:80"):
        dumped = Env({"IEOPS_PROXY_URL": url, "IEOPS_NFS_SERVER": f"nfs://a:{SECRET}@h/"}).dump()
        assert SECRET not in repr(dumped)
        assert dumped["IEOPS_PROXY_URL"].endswith("***@proxy:80")


def test_the_log_formatter_masks_urls_in_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(log.RedactingFormatter(log.FORMAT))
    handler.addFilter(log.TraceIdFilter())
    logger = logging.getLogger("gmi_ieops.test_redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("proxy at %s", f"http://u:{SECRET}@h:1")
        try:
            raise RuntimeError(f"cannot reach https://u:{SECRET}@h:2/x")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "proxy at http://***@h:1" in out and "https://***@h:2/x" in out
    assert SECRET not in out


_WORKER = """
from gmi_ieops.handler import Handler, RouterDef, Server
def hello(query): return {"ok": True}
Handler(server=Server(routers={"x": [RouterDef(path="hello", handler=hello)]})).serve()
"""


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_worker_with_a_malformed_proxy_url_exits_with_a_masked_error(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    env = worker_env(REGISTER_ENABLED="true", IEOPS_PROXY_URL=f"ieops:{SECRET}@10.0.0.2:8080")
    worker = WorkerProcess([sys.executable, str(script)], env, tmp_path)
    code = worker.wait(30)
    assert code != 0
    assert "IEOPS_PROXY_URL='***@10.0.0.2:8080'" in worker.output
    assert "Traceback" not in worker.output and SECRET not in worker.output


def test_a_worker_never_prints_the_proxy_password(tmp_path: Path) -> None:
    """Every line a worker writes while its proxy is unreachable, start to stop."""
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    env = worker_env(
        REGISTER_ENABLED="true",
        REGISTER_INTERVAL="0.2",
        LOG_LEVEL="DEBUG",
        IEOPS_PROXY_URL=f"http://ieops:{SECRET}@127.0.0.1:{_dead_port()}",
    )
    worker = WorkerProcess([sys.executable, str(script)], env, tmp_path)
    try:
        worker.wait_listening()
        worker.wait_for_line(lambda line: "cannot register" in line, timeout=10)
        worker.wait_for_line(lambda line: "still failing" in line, timeout=10)
    finally:
        worker.stop()
    worker.wait(20)
    assert "could not unregister" in worker.output
    assert "***@127.0.0.1" in worker.output
    assert SECRET not in worker.output


@pytest.mark.parametrize(
    "server", [f"nfs://u:{SECRET}@h/x?version=4", f"nfs://u:{SECRET}@h:port/", f"u:{SECRET}@"]
)
def test_a_bad_nfs_server_setting_is_shown_masked(server: str) -> None:
    from gmi_ieops.storage.nfs import parse_server

    with pytest.raises(ValueError, match="bad NFS server address") as info:
        parse_server(server)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("base_url", [f"ftp://u:{SECRET}@h", f"http://u:{SECRET}@h:port"])
def test_a_bad_client_base_url_is_shown_masked(base_url: str) -> None:
    from gmi_ieops.client import BaseClient

    with pytest.raises(ValueError, match="base_url") as info:
        BaseClient(base_url)
    assert SECRET not in str(info.value) and "***@" in str(info.value)
