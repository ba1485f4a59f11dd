"""Helpers kept from the seed SDK: logging, random ids, child processes."""

from . import log
from .random import arandint, arandstr, randint, randstr

__all__ = ["arandint", "arandstr", "log", "randint", "randstr"]
