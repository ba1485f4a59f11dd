"""Registration with the IEOPS proxy (DESIGN §3.5): heartbeat while serving, out on stop.

Typical use by the runner::

    address = advertised_address(socket_path, host, bound_port)
    registrar = Registrar.from_env(address, worker_id=worker_id)
    await registrar.start()  # after /ready is true
    ...
    await registrar.stop()  # first thing on SIGTERM
"""

from .address import advertised_address, primary_address
from .backoff import Backoff
from .proxy import ProxyClient, ProxyError, ProxyReply
from .registrar import Registrar, Registration, new_worker_id

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
