"""Text-to-value converters for environment variables.

Each raises ``ValueError`` with a message meant for the person who set the variable.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})


def parse_str(raw: str) -> str:
    return raw


def parse_bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("expected a boolean: true/false, 1/0, yes/no or on/off")


def parse_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("expected an integer") from None


def parse_float(raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise ValueError("expected a number") from None


def parse_list(raw: str, sep: str = ",") -> list[str]:
    return [item.strip() for item in raw.split(sep) if item.strip()]


def bounded(
    parse: Callable[[str], int], low: int | None = None, high: int | None = None
) -> Callable[[str], int]:
    """An integer parser that also rejects values outside ``[low, high]``."""

    def parse_bounded(raw: str) -> int:
        value = parse(raw)
        if low is not None and value < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and value > high:
            raise ValueError(f"must be at most {high}")
        return value

    return parse_bounded


def positive_float(raw: str) -> float:
    value = parse_float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def non_negative_float(raw: str) -> float:
    value = parse_float(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def http_url(raw: str) -> str:
    """An ``http://`` or ``https://`` URL with a host, stripped of a trailing slash.

    The message never repeats the value: it may hold credentials.
    """
    text = raw.strip()
    try:
        parts = urlsplit(text)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        valid = False
    if not valid:
        raise ValueError(
            "expected an http:// or https:// URL with a host, e.g. http://10.0.0.2:8080"
        )
    return text.rstrip("/")
