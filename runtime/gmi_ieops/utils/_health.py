"""Health checks of a child server: a callable (sync or async), or an HTTP URL.

URL formats (documented in ``docs/subprocess.md``):

* ``http://host:port/path`` or ``https://...`` — a GET over TCP;
* ``unix:///path/to/server.sock:/path`` — a GET over the Unix socket at the absolute path
  before the last ``:/``; without ``:/path`` the request path is ``/``.

A check passes when the callable returns a true value, or the URL answers a 2xx status.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:  # httpx is imported when a URL check is made: importing utils stays cheap
    import httpx

HealthCallable: TypeAlias = Callable[[], "bool | Awaitable[bool]"]
HealthCheck: TypeAlias = "str | HealthCallable"

_URL_FORMATS = "http://host:port/path, https://host:port/path or unix:///path/to.sock:/path"


@dataclass(frozen=True)
class HttpTarget:
    """Where a URL health check sends its GET: ``url`` over TCP, or over ``uds`` when set."""

    url: str
    uds: str | None = None


def parse_health_url(value: str) -> HttpTarget:
    """Validate a health-check URL up front, so a typo fails at construction, not at start."""
    if value.startswith(("http://", "https://")):
        import httpx

        try:
            url = httpx.URL(value)
        except httpx.InvalidURL as exc:
            raise ValueError(f"health check URL {value!r} is invalid: {exc}") from None
        if not url.host:
            raise ValueError(f"health check URL {value!r} has no host; expected {_URL_FORMATS}")
        return HttpTarget(value)
    if value.startswith("unix://"):
        rest = value[len("unix://") :]
        split = rest.rfind(":/")
        socket_path, path = (rest, "/") if split == -1 else (rest[:split], rest[split + 1 :])
        if not socket_path.startswith("/"):
            raise ValueError(
                f"health check URL {value!r}: the socket path must be absolute, "
                "as in unix:///run/server.sock:/health"
            )
        return HttpTarget(f"http://localhost{path}", uds=socket_path)
    raise ValueError(f"health check URL {value!r} is not supported; expected {_URL_FORMATS}")


class Prober:
    """Runs one health check at a time from the supervisor thread.

    An async callable runs on ``loop`` when that loop is running (the loop that called
    ``astart``, so the check may use the caller's async resources), otherwise on a private
    loop owned by this prober.
    """

    def __init__(self, check: HealthCheck, timeout: float) -> None:
        self.timeout = timeout
        self.loop: asyncio.AbstractEventLoop | None = None
        self._callable: HealthCallable | None = None
        self._target: HttpTarget | None = None
        self._client: httpx.Client | None = None
        self._own_loop: asyncio.AbstractEventLoop | None = None
        if isinstance(check, str):
            self._target = parse_health_url(check)
        elif callable(check):
            self._callable = check
        else:
            raise TypeError(
                f"health_check must be a URL string or a callable, not {type(check).__name__}"
            )

    def describe(self) -> str:
        if self._target is not None:
            if self._target.uds is not None:
                return f"GET {self._target.url} over {self._target.uds}"
            return f"GET {self._target.url}"
        return f"{getattr(self._callable, '__qualname__', repr(self._callable))}()"

    def probe(self) -> str | None:
        """``None`` when healthy, otherwise why not (shown in the start-up error)."""
        try:
            if self._target is not None:
                return self._probe_http(self._target)
            assert self._callable is not None
            result: Any = self._callable()
            if inspect.isawaitable(result):
                result = self._run_async(result)
            return None if result else f"returned {result!r}"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def _probe_http(self, target: HttpTarget) -> str | None:
        import httpx

        if self._client is None:
            transport = httpx.HTTPTransport(uds=target.uds) if target.uds else None
            # trust_env=False: a proxy from HTTP_PROXY must never see a probe of a local server.
            self._client = httpx.Client(transport=transport, timeout=self.timeout, trust_env=False)
        response = self._client.get(target.url)
        return None if response.is_success else f"HTTP {response.status_code}"

    def _run_async(self, awaitable: Awaitable[Any]) -> Any:
        async def bounded() -> Any:
            return await asyncio.wait_for(awaitable, self.timeout)

        loop = self.loop
        if loop is not None and loop.is_running():
            future = asyncio.run_coroutine_threadsafe(bounded(), loop)
            try:
                return future.result(self.timeout + 1.0)
            finally:
                future.cancel()
        if self._own_loop is None:
            self._own_loop = asyncio.new_event_loop()
        coroutine: Coroutine[Any, Any, Any] = bounded()
        return self._own_loop.run_until_complete(coroutine)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._own_loop is not None:
            self._own_loop.close()
            self._own_loop = None
