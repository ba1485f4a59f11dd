"""Keeps this worker in the IEOPS proxy's table while it serves, and takes it out on stop.

The runner calls :meth:`Registrar.start` once the worker is ready (``/ready`` is 200) and
:meth:`Registrar.stop` first thing on SIGTERM. In between a background task sends
``register`` (an idempotent upsert, which doubles as the heartbeat) every
``REGISTER_INTERVAL`` seconds. The proxy is someone else's process: when it is missing,
slow or broken the worker keeps serving, retries with backoff, and says so once per outage.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from ..config import Env, env
from ..config.groups import check_proxy_url_setting
from ..config.redact import redact, redact_url
from ..utils import log
from ..utils.random import randstr
from .backoff import Backoff
from .disabled import NotRegistering
from .proxy import DEFAULT_TIMEOUT, ProxyClient, check_proxy_url

# While failing, retry at least this often even when REGISTER_INTERVAL is long, so a
# restarted proxy sees the worker again within seconds.
MAX_RETRY_DELAY = 5.0
FIRST_RETRY_DELAY = 0.5


def new_worker_id(app_name: str) -> str:
    """``<APP_NAME>.<8 random chars>``: unique per process, so siblings never collide."""
    return f"{app_name}.{randstr(8)}"


@dataclass(frozen=True)
class Registration:
    """What the proxy is told about this worker."""

    id: str
    server_socket: str
    max_concurrent_reqs: int
    endpoint: str
    weight: int = 1

    def body(self) -> dict[str, Any]:
        """The JSON body of ``POST /api/model/register`` (DESIGN §3.5)."""
        return {
            "id": self.id,
            "server_socket": self.server_socket,
            "max_concurrent_reqs": self.max_concurrent_reqs,
            "endpoint": self.endpoint,
            "weight": self.weight,
        }


class Registrar:
    """Registers a worker with the proxy in the background; never raises into the server."""

    def __init__(
        self,
        registration: Registration,
        *,
        proxy_socket: str = "",
        proxy_url: str = "",
        interval: float = 10.0,
        enabled: bool = True,
        timeout: float = DEFAULT_TIMEOUT,
        backoff: Backoff | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"register interval must be > 0 seconds, got {interval!r}")
        if enabled and not proxy_url and not proxy_socket:
            raise ValueError("registration is enabled but no proxy socket or URL is set")
        self.registration = registration
        self.proxy_socket = proxy_socket
        self.proxy_url = check_proxy_url(proxy_url) if proxy_url else ""
        self.interval = interval
        self.enabled = enabled
        self.timeout = timeout
        self.backoff = backoff or Backoff(
            first=min(FIRST_RETRY_DELAY, interval), cap=min(MAX_RETRY_DELAY, interval)
        )
        self.registered = False
        """Whether the last register call succeeded."""
        self.successes = 0
        self.failures = 0
        self._client: ProxyClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self._stopped = False
        self._ever_registered = False
        self._outage_since: float | None = None
        self._outage_failures = 0
        self._logger = log.get_logger("registry")

    @classmethod
    def from_env(
        cls,
        server_socket: str,
        *,
        worker_id: str | None = None,
        max_concurrent_reqs: int | None = None,
        endpoint: str | None = None,
        weight: int = 1,
        config: Env | None = None,
    ) -> Registrar:
        """A registrar for this worker, with the ``REGISTER_*``/``IEOPS_PROXY_*`` settings.

        ``server_socket`` is what the proxy will dial (see :func:`advertised_address`); the
        id defaults to ``<APP_NAME>.<8 random chars>``, the concurrency to
        ``MODEL_THREAD_CONCURRENCY`` and the endpoint to ``APP_NAME``.
        """
        cfg = config or env
        app_name = cfg.app.name
        register = cfg.register
        enabled = register.enabled
        proxy_url = register.proxy_url.strip()
        if enabled and proxy_url:
            check_proxy_url_setting(proxy_url)  # a ConfigError with the credentials masked
        registration = Registration(
            id=worker_id or new_worker_id(app_name),
            server_socket=server_socket,
            max_concurrent_reqs=(
                cfg.model.concurrency if max_concurrent_reqs is None else max_concurrent_reqs
            ),
            endpoint=endpoint or app_name,
            weight=weight,
        )
        return cls(
            registration,
            proxy_socket=register.proxy_socket,
            proxy_url=proxy_url,
            interval=register.interval,
            enabled=enabled,
        )

    @property
    def id(self) -> str:
        return self.registration.id

    @property
    def proxy(self) -> str:
        """Where the proxy is, for logs: ``unix:/path`` or its URL, credentials masked."""
        return redact_url(self.proxy_url) if self.proxy_url else f"unix:{self.proxy_socket}"

    async def start(self) -> None:
        """Begin registering in the background; returns at once, the first call is immediate."""
        if self._started or self._stopped:
            return
        self._started = True
        if not self.enabled:
            await NotRegistering(self.id).start()
            return
        address = self.registration.server_socket
        if not address.startswith(("http://", "https://")) and not os.path.exists(address):
            self._logger.warning(
                "advertising socket %s for %s, but no such file exists", address, self.id
            )
        self._client = ProxyClient(
            socket_path=self.proxy_socket, url=self.proxy_url, timeout=self.timeout
        )
        self._task = asyncio.get_running_loop().create_task(
            self._heartbeat(), name=f"ieops-register-{self.id}"
        )

    async def stop(self) -> None:
        """Stop the heartbeat, then try once (bounded by the timeout) to unregister."""
        if self._stopped:
            return
        self._stopped = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            done, _ = await asyncio.wait([task], timeout=self.timeout)
            if not done:  # never hold up the shutdown for the heartbeat
                self._logger.warning("the registration heartbeat of %s did not stop", self.id)
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await self._unregister(client)
        finally:
            try:
                await client.aclose()
            except Exception as exc:  # closing a broken connection is not worth a crash
                self._logger.debug("closing the proxy client failed: %s", redact(str(exc)))

    async def __aenter__(self) -> Registrar:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- internals ------------------------------------------------------------------------

    async def _heartbeat(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopped:
            began = loop.time()
            if await self._register_once():
                delay = began + self.interval - loop.time()
            else:
                delay = self.backoff.next()
            await asyncio.sleep(max(0.0, delay))

    async def _register_once(self) -> bool:
        """One register call; logs the start and the end of an outage, not every failure."""
        assert self._client is not None
        loop = asyncio.get_running_loop()
        try:
            reply = await self._client.register(self.registration.body())
        except Exception as exc:  # the worker must outlive any proxy failure
            self.registered = False
            self.failures += 1
            self._outage_failures += 1
            if self._outage_since is None:
                self._outage_since = loop.time()
                self._logger.warning(
                    "cannot register %s with the IEOPS proxy at %s: %s; the worker keeps "
                    "serving and retries in the background",
                    self.id,
                    self.proxy,
                    redact(str(exc)),
                )
            else:
                self._logger.debug("register %s still failing: %s", self.id, redact(str(exc)))
            return False
        self.registered = True
        self.successes += 1
        self.backoff.reset()
        if self._outage_since is not None:
            self._logger.info(
                "registered %s with the IEOPS proxy at %s again after %.1f s and %d failed "
                "attempts",
                self.id,
                self.proxy,
                loop.time() - self._outage_since,
                self._outage_failures,
            )
            self._outage_since = None
            self._outage_failures = 0
        elif not self._ever_registered:
            self._logger.info(
                "registered %s (%s) with the IEOPS proxy at %s; heartbeat every %g s",
                self.id,
                self.registration.server_socket,
                self.proxy,
                self.interval,
            )
        else:
            self._logger.debug("heartbeat %s: %s", self.id, reply.message)
        self._ever_registered = True
        return True

    async def _unregister(self, client: ProxyClient) -> None:
        try:
            await client.unregister(self.id)
        except Exception as exc:  # stopping must go on whatever the proxy does
            self._logger.warning(
                "could not unregister %s from the IEOPS proxy at %s: %s",
                self.id,
                self.proxy,
                redact(str(exc)),
            )
        else:
            self._logger.info("unregistered %s from the IEOPS proxy at %s", self.id, self.proxy)
        self.registered = False


__all__ = ["Registrar", "Registration", "new_worker_id"]
