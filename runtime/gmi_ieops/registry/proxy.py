"""One HTTP/1.1 conversation with the IEOPS proxy, over its Unix socket or a URL.

Every call is bounded as a whole (connect + send + answer) by ``timeout``, and every way a
call can go wrong — no socket, refused, slow, 5xx, a reply that is not
``{"message": str, "data": any}`` — becomes one :class:`ProxyError` with a readable reason,
so the caller has a single thing to catch and log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import anyio
import httpx

from ..config.parsers import http_url
from ..config.redact import redact, redact_url

REGISTER_PATH = "/api/model/register"
UNREGISTER_PATH = "/api/model/unregister"
DEFAULT_TIMEOUT = 0.8

# Host header for requests over the Unix socket; the proxy routes by path only.
_UDS_BASE_URL = "http://ieops-proxy"


class ProxyError(Exception):
    """A register or unregister call that did not get a well-formed 2xx answer."""


@dataclass(frozen=True)
class ProxyReply:
    """The proxy's answer: ``{"message": str, "data": any}``."""

    message: str
    data: Any


def check_proxy_url(url: str) -> str:
    """``url`` without a trailing slash, or a ``ValueError`` saying what is wrong with it
    (never repeating the URL, which may hold credentials)."""
    return http_url(url)


def split_credentials(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """``url`` without its userinfo, and that userinfo as HTTP Basic authentication.

    What httpx would send for a URL with userinfo anyway, but the password then lives in no
    URL that a log line, an exception or httpx's own request log could print.
    """
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return url, None
    bare = str(parsed.copy_with(username=None, password=None))
    return bare.rstrip("/"), httpx.BasicAuth(parsed.username, parsed.password)


class ProxyClient:
    """Talks to the proxy at ``socket_path`` (Unix socket) or at ``url`` when given.

    ``target`` (``unix:/path`` or the URL) is for messages: a URL's credentials are masked.
    """

    def __init__(
        self,
        *,
        socket_path: str = "",
        url: str = "",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not url and not socket_path:
            raise ValueError("the proxy needs a Unix socket path or a URL")
        self.timeout = timeout
        base_url, auth = split_credentials(check_proxy_url(url)) if url else (_UDS_BASE_URL, None)
        self.target = redact_url(check_proxy_url(url)) if url else f"unix:{socket_path}"
        transport = httpx.AsyncHTTPTransport(
            uds=None if url else socket_path,
            retries=0,
            # Loading CA certificates costs tens of ms; only an https:// proxy needs them.
            verify=base_url.startswith("https://"),
        )
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=auth,
            transport=transport,
            timeout=httpx.Timeout(timeout),
            trust_env=False,  # HTTP_PROXY and friends must not reroute a local call
            headers={"User-Agent": "gmi-ieops-registrar"},
        )

    async def register(self, body: dict[str, Any]) -> ProxyReply:
        return await self.post(REGISTER_PATH, body)

    async def unregister(self, worker_id: str) -> ProxyReply:
        return await self.post(UNREGISTER_PATH, {"id": worker_id})

    async def post(self, path: str, body: dict[str, Any]) -> ProxyReply:
        """POST ``body`` as JSON; the whole exchange must finish within ``timeout``."""
        try:
            # Not asyncio.wait_for: before Python 3.12 it can swallow a cancellation that
            # lands as the call completes, and then the heartbeat task would never stop.
            with anyio.fail_after(self.timeout):
                response = await self._http.post(path, json=body)
        except (TimeoutError, httpx.TimeoutException):
            raise ProxyError(f"no answer within {self.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise ProxyError(_describe(exc)) from exc
        return parse_reply(response)

    async def aclose(self) -> None:
        await self._http.aclose()


def parse_reply(response: httpx.Response) -> ProxyReply:
    """Accept a 2xx JSON object with a string ``message``; anything else is a ``ProxyError``."""
    if not response.is_success:
        raise ProxyError(f"HTTP {response.status_code}: {_snippet(response.text)}")
    try:
        payload = json.loads(response.content)
    except ValueError:
        raise ProxyError(f"reply is not JSON: {_snippet(response.text)}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), str):
        raise ProxyError('reply is not {"message": str, "data": ...}: ' + _snippet(response.text))
    return ProxyReply(message=payload["message"], data=payload.get("data"))


def _describe(exc: httpx.HTTPError) -> str:
    cause = exc.__cause__ or exc.__context__
    detail = str(exc) or (str(cause) if cause else "") or type(exc).__name__
    return redact(f"{type(exc).__name__}: {detail}")


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return redact(repr(text if len(text) <= limit else text[:limit] + "..."))


__all__ = [
    "DEFAULT_TIMEOUT",
    "REGISTER_PATH",
    "UNREGISTER_PATH",
    "ProxyClient",
    "ProxyError",
    "ProxyReply",
    "check_proxy_url",
    "split_credentials",
]
