"""Retry decisions and delays: full jitter around ``Retry-After``, decided in one place.

Delays are drawn from a seeded ``random.Random``, so every figure here is deterministic;
nothing is timed. (The effect on a real burst is measured by ``bench/retry_bench.py``.)
"""

from __future__ import annotations

import random
from collections import Counter

import httpx
import pytest
from gmi_ieops.client import RetryPolicy, Timeout
from gmi_ieops.client._base import ClientCore, Prepared

N = 10_000


def _delays(policy: RetryPolicy, attempt: int, retry_after: float | None) -> list[float]:
    return [policy.delay(attempt, retry_after) for _ in range(N)]


def _share_per_bin(values: list[float], low: float, width: float, bins: int) -> list[float]:
    counts = Counter(min(int((v - low) / width), bins - 1) for v in values)
    return [counts[i] / len(values) for i in range(bins)]


def test_a_crowd_refused_together_does_not_come_back_together() -> None:
    """500 clients told ``Retry-After: 1``: no 100 ms slice gets more than ~1/10 of them.

    Before, every retry fell within [1.0, 1.1] s: the whole crowd in one slice.
    """
    policy = RetryPolicy(rng=random.Random(1))
    first_retries = [policy.delay(1, 1.0) for _ in range(500)]
    assert min(first_retries) >= 1.0  # Retry-After is honoured: never earlier
    busiest = max(Counter(int(d * 10) for d in first_retries).values())
    assert busiest <= 0.15 * 500, busiest


def test_retry_after_is_the_floor_of_a_uniform_window_of_its_size() -> None:
    delays = _delays(RetryPolicy(rng=random.Random(2)), 1, 1.0)
    assert min(delays) >= 1.0 and max(delays) <= 2.0
    shares = _share_per_bin(delays, 1.0, 0.1, 10)
    assert all(0.085 <= s <= 0.115 for s in shares), shares  # uniform over [1, 2]
    assert sum(delays) / N == pytest.approx(1.5, abs=0.02)


def test_the_window_doubles_with_each_attempt_up_to_the_cap() -> None:
    policy = RetryPolicy(max_backoff=5.0, retry_after_cap=20.0, rng=random.Random(3))
    second = _delays(policy, 2, 1.0)
    assert min(second) >= 1.0 and max(second) <= 3.0
    assert sum(second) / N == pytest.approx(2.0, abs=0.03)
    late = _delays(policy, 9, 1.0)  # 1 * 2**8 s, capped at max_backoff
    assert max(late) <= 6.0 and sum(late) / N == pytest.approx(3.5, abs=0.05)
    huge = _delays(policy, 10_000, 1.0)  # no overflow however many retries are allowed
    assert max(huge) <= 6.0


def test_retry_after_is_capped_and_a_long_one_keeps_its_own_window() -> None:
    policy = RetryPolicy(retry_after_cap=3.0, max_backoff=1.0, rng=random.Random(4))
    delays = _delays(policy, 1, 100.0)
    assert min(delays) >= 3.0 and max(delays) <= 6.0
    assert all(policy.delay(1, -5.0) <= policy.backoff for _ in range(100))  # a bogus header


def test_without_retry_after_full_jitter_from_zero() -> None:
    policy = RetryPolicy(backoff=0.2, max_backoff=1.0, rng=random.Random(5))
    first = _delays(policy, 1, None)
    assert 0.0 <= min(first) < 0.01 and max(first) <= 0.2
    assert all(0.085 <= s <= 0.115 for s in _share_per_bin(first, 0.0, 0.02, 10))
    assert max(_delays(policy, 6, None)) <= 1.0  # 0.2 * 2**5, capped


def test_a_seed_gives_the_same_delays() -> None:
    policy_a, policy_b = RetryPolicy(rng=random.Random(9)), RetryPolicy(rng=random.Random(9))
    assert [policy_a.delay(1, 1.0) for _ in range(5)] == [policy_b.delay(1, 1.0) for _ in range(5)]
    assert policy_a == RetryPolicy()  # the generator is not part of the policy's value


def _prepared(policy: RetryPolicy, total: float | None = None) -> Prepared:
    core = ClientCore(
        "http://127.0.0.1:9",
        timeout=Timeout(total=total),
        retries=policy,
        trace_id=None,
        headers=None,
    )
    return core._prepare(
        "POST",
        "/x",
        path_params=None,
        query=None,
        headers=None,
        body=None,
        trace_id=None,
        timeout=None,
        retries=None,
        accept=None,
    )


def test_one_place_decides_what_is_retried() -> None:
    p = _prepared(RetryPolicy(max_retries=2, rng=random.Random(6)))
    overloaded = httpx.Headers({"Retry-After": "1"})
    delay = p.retry_delay(0, status=503, headers=overloaded)
    assert delay is not None and 1.0 <= delay <= 2.0
    rate_limited = p.retry_delay(0, status=429, headers=httpx.Headers())
    assert rate_limited is not None and rate_limited <= 0.2  # no header: plain backoff
    assert p.retry_delay(0, status=500, headers=overloaded) is None
    assert p.retry_delay(0, status=200) is None
    request = httpx.Request("POST", "http://127.0.0.1:9/x")
    for never_sent in (
        httpx.ConnectError("refused", request=request),
        httpx.ConnectTimeout("slow", request=request),
        httpx.PoolTimeout("busy", request=request),
        ConnectionRefusedError(111, "refused"),  # a WebSocket handshake
        FileNotFoundError(2, "no socket"),
    ):
        assert p.retry_delay(0, error=never_sent) is not None, never_sent
    for maybe_sent in (
        httpx.ReadTimeout("late", request=request),
        httpx.RemoteProtocolError("cut", request=request),
        httpx.WriteError("broken", request=request),
    ):
        assert p.retry_delay(0, error=maybe_sent) is None, maybe_sent
    assert p.retry_delay(1, status=503, headers=overloaded) is not None
    assert p.retry_delay(2, status=503, headers=overloaded) is None  # no retry left


def test_no_retry_that_would_pass_the_total_timeout() -> None:
    p = _prepared(RetryPolicy(rng=random.Random(7)), total=0.5)
    assert p.retry_delay(0, status=503, headers=httpx.Headers({"Retry-After": "1"})) is None
    assert p.retry_delay(0, status=503, headers=httpx.Headers({"Retry-After": "0"})) is not None
