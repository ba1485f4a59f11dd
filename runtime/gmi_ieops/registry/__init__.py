"""Registration with the IEOPS proxy (DESIGN §3.5): heartbeat while serving, out on stop.

Typical use by the runner::

    address = advertised_address(socket_path, host, bound_port)
    registrar = Registrar.from_env(address, worker_id=worker_id)
    await registrar.start()  # after /ready is true
    ...
    await registrar.stop()  # first thing on SIGTERM
"""

from typing import TYPE_CHECKING

from .. import _lazy

if TYPE_CHECKING:
    from .address import advertised_address, primary_address
    from .backoff import Backoff
    from .proxy import ProxyClient, ProxyError, ProxyReply
    from .registrar import Registrar, Registration, new_worker_id

# Imported on first access (PEP 562): ``registry.disabled``, what a worker that does not
# register loads, must not bring the HTTP client with it.
_LAZY: dict[str, str] = {
    "Backoff": ".backoff",
    "ProxyClient": ".proxy",
    "ProxyError": ".proxy",
    "ProxyReply": ".proxy",
    "Registrar": ".registrar",
    "Registration": ".registrar",
    "advertised_address": ".address",
    "new_worker_id": ".registrar",
    "primary_address": ".address",
}

if not TYPE_CHECKING:  # the type checker reads the imports above, and flags a typo
    __getattr__, __dir__ = _lazy.exports(__name__, _LAZY)

__all__ = [
    "Backoff",
    "ProxyClient",
    "ProxyError",
    "ProxyReply",
    "Registrar",
    "Registration",
    "advertised_address",
    "new_worker_id",
    "primary_address",
]
