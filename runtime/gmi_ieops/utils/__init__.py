"""Helpers kept from the seed SDK: logging, random ids, child processes."""

from . import log
from .random import arandint, arandstr, randint, randstr
from .subprocess import (
    SubprocessError,
    SubprocessExitError,
    SubprocessManager,
    SubprocessStartError,
)

__all__ = ["arandint", "arandstr", "log", "randint", "randstr"]
__all__ += [
    "SubprocessError",
    "SubprocessExitError",
    "SubprocessManager",
    "SubprocessStartError",
]
