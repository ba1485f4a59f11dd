"""What a worker advertises: a socket path or an http:// address that exists."""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit

import pytest
from gmi_ieops.registry import Backoff, advertised_address, primary_address


def test_unix_socket_is_advertised_as_its_absolute_path(tmp_path: object) -> None:
    assert advertised_address("/run/ieops/chat.sock", "0.0.0.0", 0) == "/run/ieops/chat.sock"
    relative = advertised_address("chat.ab12cd34.sock", "127.0.0.1", 8001)
    assert relative == os.path.join(os.getcwd(), "chat.ab12cd34.sock")


def test_tcp_is_advertised_as_http_host_port() -> None:
    assert advertised_address(None, "127.0.0.1", 8001) == "http://127.0.0.1:8001"
    assert advertised_address("", "10.1.2.3", 9000) == "http://10.1.2.3:9000"
    assert advertised_address(None, "worker-7.local", 80) == "http://worker-7.local:80"
    assert advertised_address(None, "::1", 8001) == "http://[::1]:8001"
    assert advertised_address(None, "[fe80::1]", 8001) == "http://[fe80::1]:8001"


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::", ""])
def test_wildcard_host_becomes_an_address_of_this_machine(wildcard: str) -> None:
    address = advertised_address(None, wildcard, 8123)
    parts = urlsplit(address)
    assert parts.scheme == "http" and parts.port == 8123
    host = ipaddress.ip_address(parts.hostname or "")
    assert not host.is_unspecified
    # The address belongs to this machine: a socket can be bound to it (nothing is sent).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((str(host), 0))


def test_primary_address_is_a_local_ipv4_address() -> None:
    address = ipaddress.ip_address(primary_address())
    assert address.version == 4 and not address.is_unspecified


@pytest.mark.parametrize("port", [0, -1, 65536, True])
def test_tcp_needs_the_bound_port(port: int) -> None:
    with pytest.raises(ValueError, match="actually bound"):
        advertised_address(None, "127.0.0.1", port)


def test_backoff_doubles_up_to_the_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(first=0.5, cap=4.0, jitter=0.2)
    delays = [backoff.next() for _ in range(6)]
    for delay, base in zip(delays, [0.5, 1.0, 2.0, 4.0, 4.0, 4.0], strict=True):
        assert base * 0.8 <= delay <= base
    assert len(set(delays)) == len(delays), "jitter spreads retries of many workers"
    backoff.reset()
    assert 0.4 <= backoff.next() <= 0.5


def test_backoff_first_delay_never_exceeds_the_cap() -> None:
    assert Backoff(first=0.5, cap=0.2, jitter=0.0).next() == 0.2


@pytest.mark.parametrize("name", ["first", "cap", "factor", "jitter"])
def test_backoff_rejects_nonsense(name: str) -> None:
    bad = {"first": 0.0, "cap": -1.0, "factor": 0.5, "jitter": 1.0}
    settings = {"first": 0.5, "cap": 4.0, "factor": 2.0, "jitter": 0.2, name: bad[name]}
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(settings["first"], settings["cap"], settings["factor"], settings["jitter"])
