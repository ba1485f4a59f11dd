"""The variable groups of DESIGN §3.1 (seed names and defaults), plus this runtime's own."""

from __future__ import annotations

from .errors import ConfigError, ConfigIssue
from .parsers import (
    bounded,
    http_url,
    non_negative_float,
    parse_bool,
    parse_int,
    positive_float,
)
from .variable import EnvGroup, EnvVar

MAX_NFS_CHUNK = 1024 * 1024


def _optional_str(raw: str) -> str | None:
    return raw


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"CRITICAL", "ERROR", "WARNING", "WARN", "INFO", "DEBUG", "NOTSET"}:
        raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return "WARNING" if level == "WARN" else level


def _nfs_chunk(raw: str) -> int:
    """Chunk sizes are capped at 1 MiB, the largest single NFS read/write the kernel takes."""
    return min(bounded(parse_int, low=4096)(raw), MAX_NFS_CHUNK)


def _octal_mode(raw: str) -> int:
    try:
        mode = int(raw.strip(), 8)
    except ValueError:
        raise ValueError("expected an octal file mode such as 0660") from None
    if not 0 <= mode <= 0o777:
        raise ValueError("expected an octal file mode between 000 and 777")
    return mode


def _wait_ms(raw: str) -> float:
    value = non_negative_float(raw)
    if not value <= 60_000:  # also NaN
        raise ValueError("expected milliseconds from 0 to 60000 (one minute)")
    return value


_port = bounded(parse_int, low=0, high=65535)
_positive_int = bounded(parse_int, low=1)
_non_negative_int = bounded(parse_int, low=0)


class AppEnv(EnvGroup):
    name = EnvVar("APP_NAME", "ieops", doc="Worker name: socket file name, registry id, endpoint.")


class LogEnv(EnvGroup):
    level = EnvVar("LOG_LEVEL", "INFO", _log_level)
    path = EnvVar("LOG_FILE_PATH", "/var/log/ieops", doc="Directory for log files.")
    file_enabled = EnvVar("LOG_FILE_ENABLED", False, parse_bool)
    access = EnvVar(
        "LOG_ACCESS",
        False,
        parse_bool,
        doc="One log line per request: method, path, status, duration, trace id.",
    )


class ServerEnv(EnvGroup):
    host = EnvVar("MODEL_SERVER_HOST", "127.0.0.1")
    port = EnvVar("MODEL_SERVER_PORT", 8001, _port)
    socket: EnvVar[str | None] = EnvVar(
        "MODEL_SERVER_SOCKET",
        None,
        _optional_str,
        doc='Unset: a Unix socket at an automatic path; "": TCP; a path: that socket.',
    )
    socket_dir = EnvVar("MODEL_SERVER_SOCKET_DIR", "", doc="Directory of the automatic socket.")
    socket_mode = EnvVar("MODEL_SERVER_SOCKET_MODE", 0o660, _octal_mode)
    graceful_shutdown_time = EnvVar("GRACEFUL_SHUTDOWN_TIME", 3.0, non_negative_float)
    max_header_size = EnvVar(
        "SERVER_MAX_HEADER_SIZE",
        32768,
        bounded(parse_int, low=1024),
        doc="Largest request line + headers in bytes; beyond it, 431.",
    )
    max_headers = EnvVar(
        "SERVER_MAX_HEADERS", 100, _positive_int, doc="Most header fields a request may have (431)."
    )
    header_timeout = EnvVar(
        "SERVER_HEADER_TIMEOUT",
        10.0,
        positive_float,
        doc="Seconds a request's headers may take to arrive once started (408).",
    )
    keepalive_timeout = EnvVar(
        "SERVER_KEEPALIVE_TIMEOUT",
        5.0,
        positive_float,
        doc="Seconds an idle connection (new, or between requests) is kept open.",
    )
    max_connections: EnvVar[int | None] = EnvVar(
        "SERVER_MAX_CONNECTIONS",
        None,
        _positive_int,
        doc="Open connections served; more get 503 (default: file-descriptor limit - 64).",
    )


class ModelEnv(EnvGroup):
    path = EnvVar("MODEL_PATH", "")
    name = EnvVar("MODEL_NAME", "model")
    timeout = EnvVar("MODEL_TIMEOUT", 600.0, positive_float, doc="Default route timeout (s).")
    concurrency = EnvVar(
        "MODEL_THREAD_CONCURRENCY",
        8,
        _positive_int,
        doc="Requests handled at once, and threads for synchronous handlers.",
    )
    queue_size: EnvVar[int | None] = EnvVar(
        "MODEL_QUEUE_SIZE",
        None,
        _non_negative_int,
        doc="Requests that may wait for a slot before 503 (default: the concurrency).",
    )
    batch_enabled = EnvVar(
        "MODEL_BATCH_ENABLED",
        True,
        parse_bool,
        doc="Routes that declare batching (x-ieops-batch) batch; false: each call runs alone.",
    )
    batch_max_size = EnvVar(
        "MODEL_BATCH_MAX_SIZE",
        32,
        bounded(parse_int, low=1, high=65536),
        doc="Items (e.g. texts) per model call of a batched route, unless the route sets it.",
    )
    batch_max_wait_ms = EnvVar(
        "MODEL_BATCH_MAX_WAIT_MS",
        2.0,
        _wait_ms,
        doc="Milliseconds a batch waits to fill once the model is free, unless the route sets it.",
    )
    batch_queue_size: EnvVar[int | None] = EnvVar(
        "MODEL_BATCH_QUEUE_SIZE",
        None,
        _non_negative_int,
        doc="Items that may wait for a batch before 503 (default: 16 x the batch size).",
    )


class DeviceEnv(EnvGroup):
    cuda_visible = EnvVar("CUDA_VISIBLE_DEVICES", "0")
    device = EnvVar("DEVICE", "auto")
    torch_dtype = EnvVar("TORCH_DTYPE", "float16")


class ApiEnv(EnvGroup):
    max_body_size = EnvVar(
        "API_MAX_BODY_SIZE", 64 * 1024 * 1024, _positive_int, doc="Largest request body (bytes)."
    )
    body_timeout = EnvVar(
        "API_BODY_TIMEOUT",
        30.0,
        positive_float,
        doc="Seconds a request body may take to arrive in full (408).",
    )
    max_upload_file_size = EnvVar(
        "API_MAX_UPLOAD_FILE_SIZE",
        1024**3,
        _positive_int,
        doc="Largest file in a multipart or binary upload (bytes, 413).",
    )
    max_upload_size = EnvVar(
        "API_MAX_UPLOAD_SIZE",
        2 * 1024**3,
        _positive_int,
        doc="Largest multipart upload body, all parts together (bytes, 413).",
    )
    upload_spool_size = EnvVar(
        "API_UPLOAD_SPOOL_SIZE",
        1024 * 1024,
        _positive_int,
        doc="Bytes of an uploaded file kept in memory before it is spooled to disk.",
    )
    upload_timeout = EnvVar(
        "API_UPLOAD_TIMEOUT",
        600.0,
        positive_float,
        doc="Seconds an upload body may take to arrive in full (408).",
    )
    cors_origins = EnvVar("API_CORS_ORIGINS", "*", doc="Comma-separated origins when CORS is on.")
    metrics: EnvVar[bool | None] = EnvVar(
        "IEOPS_METRICS",
        None,
        parse_bool,
        doc="/metrics for Prometheus: unset = on when prometheus_client is installed.",
    )


class StorageEnv(EnvGroup):
    nfs_server = EnvVar(
        "IEOPS_NFS_SERVER", "", doc="host:port of the NFS server; empty: local.", url=True
    )
    local_root = EnvVar(
        "IEOPS_STORAGE_LOCAL_ROOT", "", doc="Directory for gmifs:// when no NFS server is set."
    )
    pid = EnvVar("IEOPS_STORAGE_PID", "u-00000000")
    fs_name = EnvVar("IEOPS_STORAGE_FS_NAME", "jfs-dev")
    oid = EnvVar("IEOPS_STORAGE_OID", "gmicloud.ieops")
    uid = EnvVar("IEOPS_STORAGE_UID", "gmicloud.ieops")
    write_chunk_size = EnvVar("IEOPS_NFS_WRITE_CHUNK_SIZE", 524288, _nfs_chunk)
    read_chunk_size = EnvVar("IEOPS_NFS_READ_CHUNK_SIZE", 524288, _nfs_chunk)
    timeout = EnvVar("IEOPS_NFS_TIMEOUT", 30000, _positive_int, doc="NFS call timeout (ms).")
    temp_max_age = EnvVar(
        "IEOPS_STORAGE_TEMP_MAX_AGE",
        86400.0,
        non_negative_float,
        doc="Seconds after which a crashed writer's .*.gmifs-tmp file is swept; 0: never.",
    )


class RegisterEnv(EnvGroup):
    enabled = EnvVar("REGISTER_ENABLED", True, parse_bool)
    interval = EnvVar("REGISTER_INTERVAL", 10.0, positive_float)
    proxy_socket = EnvVar("IEOPS_PROXY_SOCKET", "/var/run/ieops/proxy.sock")
    proxy_url = EnvVar(
        "IEOPS_PROXY_URL", "", doc="HTTP address of the proxy (instead of socket).", url=True
    )

    def issues(self) -> list[ConfigIssue]:
        """Also a malformed ``IEOPS_PROXY_URL``, but only while registration is on."""
        issues = super().issues()
        if any(issue.name == "REGISTER_ENABLED" for issue in issues) or not self.enabled:
            return issues
        try:
            if self.proxy_url.strip():
                check_proxy_url_setting(self.proxy_url)
        except ConfigError as exc:
            issues.extend(exc.issues)
        return issues


def check_proxy_url_setting(raw: str) -> str:
    """``IEOPS_PROXY_URL`` checked (:func:`http_url`); a :class:`ConfigError` naming it,
    with its credentials masked, when malformed."""
    var = RegisterEnv.proxy_url
    try:
        return http_url(raw)
    except ValueError as exc:
        raise ConfigError([ConfigIssue(var.name, var.masked(raw), str(exc))]) from None


__all__ = [
    "ApiEnv",
    "AppEnv",
    "DeviceEnv",
    "LogEnv",
    "ModelEnv",
    "RegisterEnv",
    "ServerEnv",
    "StorageEnv",
    "check_proxy_url_setting",
]
