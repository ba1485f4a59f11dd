"""Random ids for socket names, registry ids and temporary files."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_lowercase + string.digits


def randstr(length: int = 8, alphabet: str = ALPHABET) -> str:
    """A random string from a cryptographic source (ids must not collide across workers)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def randint(low: int = 0, high: int = 2**31 - 1) -> int:
    """A random integer in ``[low, high]``."""
    return low + secrets.randbelow(high - low + 1)


async def arandstr(length: int = 8, alphabet: str = ALPHABET) -> str:
    return randstr(length, alphabet)


async def arandint(low: int = 0, high: int = 2**31 - 1) -> int:
    return randint(low, high)
