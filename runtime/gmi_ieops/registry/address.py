"""What a worker tells the proxy to dial: an address that exists, never a guess.

The seed advertised a socket path even for TCP workers, so the proxy dialled a file that did
not exist. Here a Unix-socket worker advertises the absolute socket path, and a TCP worker
``http://HOST:PORT`` with a wildcard host replaced by the machine's primary address.
"""

from __future__ import annotations

import ipaddress
import os
import socket

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})

# A private address used only to pick a route: connecting a UDP socket sends nothing.
_ROUTE_PROBE = ("10.254.254.254", 1)


def advertised_address(socket_path: str | None, host: str, port: int) -> str:
    """The ``server_socket`` value to register.

    ``socket_path`` set (a Unix-socket worker): its absolute path. Otherwise (TCP):
    ``http://HOST:PORT`` where ``port`` must be the port actually bound (not 0) and a
    wildcard ``host`` (``0.0.0.0``, ``::``) becomes :func:`primary_address`.
    """
    if socket_path:
        return os.path.abspath(socket_path)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port <= 65535:
        raise ValueError(
            f"cannot advertise TCP port {port!r}: pass the port the server actually bound "
            "(1-65535), not the requested one"
        )
    name = host.strip()
    if name in WILDCARD_HOSTS:
        name = primary_address()
    return f"http://{_url_host(name)}:{port}"


def primary_address() -> str:
    """The IPv4 address other machines reach this one at, without sending any packet.

    Tries the source address of the default route (a UDP ``connect`` only consults the
    routing table), then the address the host name resolves to, then ``127.0.0.1``.
    """
    for candidate in (_routed_address, _hostname_address):
        address = candidate()
        if address and not ipaddress.ip_address(address).is_unspecified:
            return address
    return "127.0.0.1"


def _routed_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            address: str = probe.getsockname()[0]
            return address
    except OSError:
        return None


def _hostname_address() -> str | None:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return None


def _url_host(host: str) -> str:
    """Bracket IPv6 literals, as URLs require."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        is_v6 = ipaddress.ip_address(bare).version == 6
    except ValueError:
        return host
    return f"[{bare}]" if is_v6 else bare


__all__ = ["advertised_address", "primary_address"]
