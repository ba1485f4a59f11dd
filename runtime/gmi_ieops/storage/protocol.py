"""The ``gmifs://`` prefix, alone in a module so that ``open()``'s wrapper imports nothing."""

GMIFS_PROTOCOL = "gmifs://"

__all__ = ["GMIFS_PROTOCOL"]
