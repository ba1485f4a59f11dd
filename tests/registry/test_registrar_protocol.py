"""The register/unregister protocol against a real (fake) proxy on a real Unix socket."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import statistics
import time
from collections.abc import Callable

import httpx
import pytest
from gmi_ieops.config import Env
from gmi_ieops.config.errors import ConfigError
from gmi_ieops.registry import Registrar, advertised_address

from tests.support.fake_proxy import FakeProxy

from .conftest import RegistryLog
from .helpers import registrar_for, serve_worker

EXPECTED_BODY = {
    "id": "test-app.abcd1234",
    "server_socket": "/tmp/test-app.abcd1234.sock",
    "max_concurrent_reqs": 8,
    "endpoint": "test-app",
    "weight": 1,
}


async def test_heartbeat_cadence_body_and_unregister(fake_proxy: FakeProxy) -> None:
    registrar = registrar_for(fake_proxy.socket_path or "", interval=0.2)
    started = time.monotonic()
    await registrar.start()
    assert time.monotonic() - started < 0.1, "start() must not wait for the proxy"
    await fake_proxy.await_for(lambda p: len(p.registers) >= 5, timeout=3, what="5 registers")

    registers = fake_proxy.registers
    assert registers[0].monotonic - started < 0.15, "the first register is sent at once"
    gaps = [b.monotonic - a.monotonic for a, b in itertools.pairwise(registers)]
    # One beat per interval: the typical gap is the interval; a loaded machine may delay
    # one beat, but none comes early.
    assert 0.17 < statistics.median(gaps) < 0.26, gaps
    assert all(0.15 < gap < 0.6 for gap in gaps), gaps
    assert all(r.body == EXPECTED_BODY for r in registers)
    assert fake_proxy.workers == {EXPECTED_BODY["id"]: EXPECTED_BODY}
    assert registrar.registered

    await registrar.stop()
    assert [r.body for r in fake_proxy.unregisters] == [{"id": EXPECTED_BODY["id"]}]
    assert fake_proxy.workers == {}
    assert not registrar.registered
    count = len(fake_proxy.requests)
    await asyncio.sleep(0.45)
    assert len(fake_proxy.requests) == count, "nothing is sent after stop()"
    assert fake_proxy.requests[-1].path == "/api/model/unregister"


async def test_wire_format_is_json_http11(fake_proxy: FakeProxy) -> None:
    """What the proxy parses: a JSON object in a POST, nothing else in the body."""
    async with registrar_for(fake_proxy.socket_path or ""):
        await fake_proxy.await_for(lambda p: len(p.registers) >= 1, timeout=2)
    first = fake_proxy.registers[0]
    assert first.raw.startswith(b"{") and first.body == EXPECTED_BODY
    assert first.http_version == "1.1"
    assert first.content_type == "application/json"


async def test_from_env_reads_config_and_registers(
    fake_proxy: FakeProxy, registry_log: RegistryLog
) -> None:
    config = Env(
        {
            "APP_NAME": "chat",
            "MODEL_THREAD_CONCURRENCY": "3",
            "REGISTER_INTERVAL": "0.25",
            **fake_proxy.env(),
        }
    )
    registrar = Registrar.from_env("/run/ieops/chat.sock", config=config)
    assert re.fullmatch(r"chat\.[a-z0-9]{8}", registrar.id)
    assert registrar.interval == 0.25
    async with registrar:
        await fake_proxy.await_for(lambda p: len(p.registers) >= 2, timeout=2)
    assert fake_proxy.registers[0].body == {
        "id": registrar.id,
        "server_socket": "/run/ieops/chat.sock",
        "max_concurrent_reqs": 3,
        "endpoint": "chat",
        "weight": 1,
    }
    gap = fake_proxy.registers[1].monotonic - fake_proxy.registers[0].monotonic
    assert 0.2 < gap < 0.6
    assert any("chat.sock" in m for m in registry_log.at(logging.WARNING)), (
        "advertising a socket file that does not exist is reported"
    )


def test_from_env_explicit_values_win() -> None:
    config = Env({"APP_NAME": "chat", "MODEL_THREAD_CONCURRENCY": "3"})
    registrar = Registrar.from_env(
        "/s.sock", worker_id="chat.zzzzzzzz", max_concurrent_reqs=5, endpoint="ep", config=config
    )
    assert registrar.registration.body() == {
        "id": "chat.zzzzzzzz",
        "server_socket": "/s.sock",
        "max_concurrent_reqs": 5,
        "endpoint": "ep",
        "weight": 1,
    }
    assert registrar.proxy == "unix:/var/run/ieops/proxy.sock"
    assert registrar.interval == 10.0


def test_from_env_rejects_a_bad_proxy_url() -> None:
    config = Env({"IEOPS_PROXY_URL": "10.0.0.2:8080"})
    with pytest.raises(ConfigError, match=r"IEOPS_PROXY_URL='10\.0\.0\.2:8080'.*http://"):
        Registrar.from_env("/s.sock", config=config)


def test_from_env_rejects_a_bad_interval() -> None:
    with pytest.raises(ConfigError, match="REGISTER_INTERVAL='soon'"):
        Registrar.from_env("/s.sock", config=Env({"REGISTER_INTERVAL": "soon"}))


async def test_proxy_url_over_tcp(fake_proxy_tcp: FakeProxy) -> None:
    config = Env({"APP_NAME": "tcp-app", "REGISTER_INTERVAL": "0.2", **fake_proxy_tcp.env()})
    registrar = Registrar.from_env("http://127.0.0.1:9", config=config)
    assert registrar.proxy == fake_proxy_tcp.url
    async with registrar:
        await fake_proxy_tcp.await_for(lambda p: len(p.registers) >= 2, timeout=2)
        assert registrar.id in fake_proxy_tcp.workers
    assert [r.body for r in fake_proxy_tcp.unregisters] == [{"id": registrar.id}]
    assert fake_proxy_tcp.workers == {}


async def test_disabled_sends_nothing(fake_proxy: FakeProxy, registry_log: RegistryLog) -> None:
    config = Env({"REGISTER_ENABLED": "false", "REGISTER_INTERVAL": "0.1", **fake_proxy.env()})
    registrar = Registrar.from_env("/s.sock", config=config)
    await registrar.start()
    await registrar.start()
    await asyncio.sleep(0.4)
    await registrar.stop()
    assert fake_proxy.requests == []
    infos = [m for m in registry_log.at(logging.INFO) if "disabled" in m]
    assert len(infos) == 1 and "REGISTER_ENABLED=false" in infos[0]
    assert registry_log.at(logging.WARNING) == []


def _has(worker_id: str) -> Callable[[FakeProxy], bool]:
    return lambda proxy: worker_id in proxy.workers


async def test_several_workers_in_one_directory_coexist(fake_proxy: FakeProxy) -> None:
    """Distinct ids; a new sibling never evicts the others (no clean-up by directory)."""
    directory = os.path.dirname(fake_proxy.socket_path or "")
    config = Env({"APP_NAME": "multi", "REGISTER_INTERVAL": "0.2", **fake_proxy.env()})
    registrars: list[Registrar] = []
    for i in range(3):
        registrar = Registrar.from_env(os.path.join(directory, f"multi.{i}.sock"), config=config)
        registrars.append(registrar)
        await registrar.start()
        await fake_proxy.await_for(_has(registrar.id), timeout=2)
    ids = {r.id for r in registrars}
    assert len(ids) == 3
    assert set(fake_proxy.workers) == ids
    assert {r.body["id"] for r in fake_proxy.unregisters} == set()

    await registrars[0].stop()
    assert set(fake_proxy.workers) == ids - {registrars[0].id}
    mark = len(fake_proxy.registers)
    await fake_proxy.await_for(lambda p: len(p.registers) >= mark + 4, timeout=2)
    assert {r.body["id"] for r in fake_proxy.registers[mark:]} == ids - {registrars[0].id}
    for registrar in registrars[1:]:
        await registrar.stop()
    assert fake_proxy.workers == {}


@pytest.mark.parametrize("transport", ["unix", "tcp"])
async def test_the_advertised_address_reaches_the_worker(
    fake_proxy: FakeProxy, transport: str
) -> None:
    """What the proxy stores is an address it can dial: the worker answers there."""
    socket_path = os.path.join(os.path.dirname(fake_proxy.socket_path or ""), "worker.sock")
    async with serve_worker(socket_path if transport == "unix" else None) as worker:
        address = advertised_address(worker.socket_path, worker.host, worker.port)
        async with registrar_for(fake_proxy.socket_path or "", server_socket=address) as reg:
            await fake_proxy.await_for(lambda p: reg.id in p.workers, timeout=2)
        stored = fake_proxy.registers[0].body["server_socket"]
        if transport == "unix":
            assert stored == socket_path
            client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=stored))
            url = "http://worker/health"
        else:
            assert stored == f"http://127.0.0.1:{worker.port}"
            client = httpx.AsyncClient()
            url = f"{stored}/health"
        async with client:
            response = await client.get(url)
        assert response.status_code == 200 and response.text == "ok"
