"""Masking of secrets in text meant for people: logs, error messages, configuration dumps.

A URL may carry credentials in its userinfo (``http://user:pass@proxy:8080``). Whatever
prints a URL, or text that may contain one (an exception from an HTTP library, a log line),
passes it through :func:`redact_url` or :func:`redact` first; the log formatter of
:func:`gmi_ieops.utils.log.configure` applies :func:`redact` to every line as a last net.

Masking errs on the side of hiding: the whole userinfo (user name included, which may
itself be a token) becomes ``***``, and an ``@`` later in the same word (a password with a
raw ``@`` or ``/``) extends the mask to it.
"""

from __future__ import annotations

import re

MASK = "***"

# After "scheme://", everything up to the last "@" of the same whitespace-free word.
_USERINFO_IN_TEXT = re.compile(r"(?<=://)\S*@")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def redact(text: str) -> str:
    """``text`` with the userinfo of every ``scheme://user:pass@host`` in it masked."""
    if "://" not in text or "@" not in text:
        return text
    return _USERINFO_IN_TEXT.sub(MASK + "@", text)


def redact_url(url: str) -> str:
    """One URL (or what was meant to be one) with its userinfo masked.

    Unlike :func:`redact` this also masks a value without a scheme
    (``user:pass@10.0.0.2:8080``), as a malformed setting may be.
    """
    match = _SCHEME.match(url)
    prefix, rest = (url[: match.end()], url[match.end() :]) if match else ("", url)
    if "@" not in rest:
        return url
    return prefix + MASK + rest[rest.rindex("@") :]


__all__ = ["MASK", "redact", "redact_url"]
