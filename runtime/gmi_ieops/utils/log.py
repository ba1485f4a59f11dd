"""Logging on the standard library, with the request's trace id on every line.

``log.get_logger(trace_id=...)`` is the seed's API; inside a request the trace id is found
through a context variable, so handlers need not pass it around. Nothing touches the
filesystem until :func:`configure` is called (the server does so at start).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

from ..config.redact import redact
from ..tracing import current_trace_id

LOGGER_NAME = "gmi_ieops"
FORMAT = "%(asctime)s %(levelname)s [%(trace_id)s] %(name)s: %(message)s"


class TraceIdFilter(logging.Filter):
    """Stamps ``record.trace_id``: the bound id, else the current request's, else ``-``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "trace_id", None):
            record.trace_id = current_trace_id.get() or "-"
        return True


class RedactingFormatter(logging.Formatter):
    """Masks the credentials of any URL in the finished line, traceback included: the net
    under the call sites, which mask what they print themselves."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


if TYPE_CHECKING:
    _Adapter = logging.LoggerAdapter[logging.Logger]
else:  # LoggerAdapter is subscriptable at run time only from Python 3.11
    _Adapter = logging.LoggerAdapter


class TraceLogger(_Adapter):
    """A logger bound to one trace id."""

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> tuple[Any, MutableMapping[str, Any]]:
        extra = dict(self.extra or {})
        extra.update(kwargs.get("extra") or {})
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str | None = None, trace_id: str | None = None) -> TraceLogger:
    """The worker's logger; ``trace_id`` pins an id, otherwise the request's is used."""
    logger = logging.getLogger(LOGGER_NAME if name is None else f"{LOGGER_NAME}.{name}")
    extra: Mapping[str, object] = {"trace_id": trace_id} if trace_id else {}
    return TraceLogger(logger, extra)


_configured = False


def configure(
    level: str | None = None, file_enabled: bool | None = None, path: str | None = None
) -> None:
    """Install handlers once: stderr always, a rotating file when enabled.

    Defaults come from ``LOG_LEVEL``, ``LOG_FILE_ENABLED`` and ``LOG_FILE_PATH``.
    """
    global _configured
    from ..config import env

    root = logging.getLogger(LOGGER_NAME)
    root.setLevel(level or env.log.level)
    if _configured:
        return
    _configured = True
    formatter = RedactingFormatter(FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if file_enabled if file_enabled is not None else env.log.file_enabled:
        directory = path or env.log.path
        os.makedirs(directory, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                os.path.join(directory, f"{env.app.name}.log"),
                maxBytes=50 * 1024 * 1024,
                backupCount=5,
                encoding="utf-8",
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(TraceIdFilter())
        root.addHandler(handler)
    root.propagate = False
    # uvicorn's own lines (start, stop, protocol warnings) go to the same place and format.
    server_logger = logging.getLogger("uvicorn")
    server_logger.setLevel(level or env.log.level)
    for handler in handlers:
        server_logger.addHandler(handler)
    server_logger.propagate = False


def _module_logger() -> TraceLogger:
    return get_logger()


def debug(msg: object, *args: object, **kwargs: Any) -> None:
    _module_logger().debug(msg, *args, **kwargs)


def info(msg: object, *args: object, **kwargs: Any) -> None:
    _module_logger().info(msg, *args, **kwargs)


def warning(msg: object, *args: object, **kwargs: Any) -> None:
    _module_logger().warning(msg, *args, **kwargs)


def error(msg: object, *args: object, **kwargs: Any) -> None:
    _module_logger().error(msg, *args, **kwargs)


def exception(msg: object, *args: object, **kwargs: Any) -> None:
    _module_logger().exception(msg, *args, **kwargs)
