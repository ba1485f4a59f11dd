"""A missing, refusing, slow or broken proxy never stops the worker; it is logged once."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable

import httpx
import pytest
from gmi_ieops.registry import Backoff

from tests.support.fake_proxy import FakeProxy

from .conftest import RegistryLog
from .helpers import loop_lag_while, registrar_for, serve_worker

# fault name → (break the proxy, heal it, what the outage warning must say)
FAULTS: dict[str, tuple[Callable[[FakeProxy], None], Callable[[FakeProxy], object], str]] = {
    "missing": (FakeProxy.stop, FakeProxy.start, "No such file or directory"),
    "refusing": (FakeProxy.refuse, FakeProxy.start, "Connection refused"),
    "slow": (lambda p: p.stall(3.0), FakeProxy.heal, "no answer within 0.8 s"),
    "5xx": (lambda p: p.fail(503), FakeProxy.heal, "HTTP 503"),
    "garbage": (FakeProxy.garbage, FakeProxy.heal, "reply is not JSON"),
    "wrong_shape": (FakeProxy.wrong_shape, FakeProxy.heal, 'reply is not {"message"'),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_outage_is_survived_logged_once_and_recovered(
    fake_proxy: FakeProxy, registry_log: RegistryLog, fault: str
) -> None:
    break_proxy, heal_proxy, reason = FAULTS[fault]
    registrar = registrar_for(fake_proxy.socket_path or "", interval=0.1)
    await registrar.start()
    await fake_proxy.await_for(lambda p: len(p.registers) >= 1, timeout=2)

    await asyncio.to_thread(break_proxy, fake_proxy)
    failures = registrar.failures
    deadline = time.monotonic() + 4
    retries = 2 if fault == "slow" else 3  # a stalled attempt lasts the 0.8 s timeout
    while registrar.failures < failures + retries:  # it keeps retrying through the outage
        assert time.monotonic() < deadline, f"only {registrar.failures} failed attempts"
        await asyncio.sleep(0.02)
    assert not registrar.registered
    outages = registry_log.outages()
    assert len(outages) == 1, outages
    assert reason in outages[0] and str(fake_proxy.socket_path) in outages[0]
    assert registry_log.recoveries() == []

    healed = time.monotonic()
    await asyncio.to_thread(heal_proxy, fake_proxy)
    await fake_proxy.await_for(
        lambda p: (
            any(r.monotonic > healed and r.mode == "ok" for r in p.registers)
            and registrar.registered
        ),
        timeout=2,
    )
    back = next(r for r in fake_proxy.registers if r.monotonic > healed and r.mode == "ok")
    limit = 1.2 if fault == "slow" else 1.0  # a stalled attempt may still be in flight
    assert back.monotonic - healed < limit
    assert registrar.id in fake_proxy.workers
    await asyncio.sleep(0.25)  # more successful beats log nothing more
    assert len(registry_log.outages()) == 1
    recoveries = registry_log.recoveries()
    assert len(recoveries) == 1 and "failed attempts" in recoveries[0], recoveries
    await registrar.stop()


async def test_proxy_missing_at_start_then_appears(
    fake_proxy: FakeProxy, registry_log: RegistryLog
) -> None:
    await asyncio.to_thread(fake_proxy.stop)
    registrar = registrar_for(fake_proxy.socket_path or "", interval=0.1)
    await registrar.start()
    await asyncio.sleep(0.4)
    assert registrar.failures >= 3 and len(registry_log.outages()) == 1
    appeared = time.monotonic()
    await asyncio.to_thread(fake_proxy.start)
    await fake_proxy.await_for(
        lambda p: registrar.id in p.workers and registrar.registered, timeout=1.0
    )
    assert fake_proxy.registers[0].monotonic - appeared < 1.0
    assert len(registry_log.recoveries()) == 1
    await registrar.stop()


async def test_proxy_restart_twice_logs_each_outage_once(
    fake_proxy: FakeProxy, registry_log: RegistryLog
) -> None:
    registrar = registrar_for(fake_proxy.socket_path or "", interval=0.1)
    await registrar.start()
    for outage in (1, 2):
        await fake_proxy.await_for(lambda p: registrar.id in p.workers, timeout=2)
        await asyncio.to_thread(fake_proxy.stop)
        await fake_proxy.await_for(lambda p: not registrar.registered, timeout=2)
        await asyncio.sleep(0.2)
        restarted = time.monotonic()
        await asyncio.to_thread(fake_proxy.restart)  # same path, empty table
        assert registrar.id not in fake_proxy.workers
        await fake_proxy.await_for(
            lambda p: registrar.id in p.workers and registrar.registered, timeout=1.0
        )
        assert time.monotonic() - restarted < 1.0
        assert len(registry_log.outages()) == outage
        assert len(registry_log.recoveries()) == outage
    await registrar.stop()


async def test_stalled_proxy_never_blocks_serving(
    fake_proxy: FakeProxy, registry_log: RegistryLog
) -> None:
    """A real worker on the same loop keeps answering while every register call stalls."""
    fake_proxy.stall(5.0)
    worker_socket = f"{fake_proxy.socket_path}.worker"
    async with serve_worker(worker_socket):
        registrar = registrar_for(fake_proxy.socket_path or "", interval=0.2)
        started = time.monotonic()
        await registrar.start()
        assert time.monotonic() - started < 0.1
        transport = httpx.AsyncHTTPTransport(uds=worker_socket)
        async with httpx.AsyncClient(transport=transport, base_url="http://w") as client:
            latencies = []
            for _ in range(12):
                began = time.monotonic()
                response = await client.get("/health")
                latencies.append(time.monotonic() - began)
                assert response.status_code == 200
                await asyncio.sleep(0.05)
        assert max(latencies) < 0.2, latencies
        assert await loop_lag_while(0.2) < 0.1
        assert registrar.failures >= 1 and len(registry_log.outages()) == 1
        began = time.monotonic()
        await registrar.stop()  # one unregister attempt, cut at 0.8 s
        assert time.monotonic() - began < 1.1
    assert fake_proxy.unregisters, "the unregister attempt reached the proxy"


@pytest.mark.parametrize("fault", ["missing", "refusing", "5xx", "garbage"])
async def test_stop_is_quiet_and_quick_when_the_proxy_is_broken(
    fake_proxy: FakeProxy, registry_log: RegistryLog, fault: str
) -> None:
    registrar = registrar_for(fake_proxy.socket_path or "", interval=0.1)
    await registrar.start()
    await fake_proxy.await_for(lambda p: len(p.registers) >= 1, timeout=2)
    await asyncio.to_thread(FAULTS[fault][0], fake_proxy)
    began = time.monotonic()
    await registrar.stop()  # must not raise
    assert time.monotonic() - began < 0.3
    assert any("could not unregister" in m for m in registry_log.at(30))


async def test_stop_before_start_and_twice_is_harmless(fake_proxy: FakeProxy) -> None:
    registrar = registrar_for(fake_proxy.socket_path or "")
    await registrar.stop()
    await registrar.start()  # a stopped registrar stays stopped
    await registrar.stop()
    await asyncio.sleep(0.1)
    assert fake_proxy.requests == []


async def test_retries_back_off_while_failing(fake_proxy: FakeProxy) -> None:
    await asyncio.to_thread(fake_proxy.fail)
    backoff = Backoff(first=0.05, cap=0.4, jitter=0.2)
    registrar = registrar_for(fake_proxy.socket_path or "", interval=5.0, backoff=backoff)
    await registrar.start()
    await fake_proxy.await_for(lambda p: len(p.registers) >= 6, timeout=3)
    await registrar.stop()
    times = [r.monotonic for r in fake_proxy.registers[:6]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    expected = [0.05, 0.1, 0.2, 0.4, 0.4]
    for gap, base in zip(gaps, expected, strict=True):
        assert base * 0.8 - 0.01 <= gap <= base + 0.15, (gaps, expected)


async def test_stop_always_ends_the_heartbeat(
    fake_proxy: FakeProxy, registry_log: RegistryLog
) -> None:
    """Cancel at many points of a beat (connect, send, answer, sleep): the task always ends.

    ``asyncio.wait_for`` before 3.12 could swallow such a cancellation and beat forever.
    """
    rng = random.Random(7)
    for i in range(25):
        registrar = registrar_for(
            fake_proxy.socket_path or "", interval=0.01, worker_id=f"race.{i:08d}"
        )
        await registrar.start()
        await asyncio.sleep(rng.uniform(0.0, 0.03))
        began = time.monotonic()
        await registrar.stop()
        assert time.monotonic() - began < 0.9
    count = len(fake_proxy.requests)
    await asyncio.sleep(0.1)
    assert len(fake_proxy.requests) == count, "a heartbeat kept running after stop()"
    assert not [m for m in registry_log.at(30) if "did not stop" in m]
    assert fake_proxy.workers == {}
