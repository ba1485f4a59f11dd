"""The announcer when registration is off (``REGISTER_ENABLED=false``): one log line.

The only writer of that line, for the runner's default announcer and for a ``Registrar``
built with registration off alike. It imports no HTTP client, so a worker that does not
register never loads one.
"""

from __future__ import annotations

from ..utils import log

_logger = log.get_logger("registry")


class NotRegistering:
    """Says once, on the first ``start``, that ``where`` is not advertised; nothing else."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._said = False

    async def start(self) -> None:
        if self._said:
            return
        self._said = True
        _logger.info(
            "registration with the IEOPS proxy is disabled (REGISTER_ENABLED=false); "
            "%s is not advertised",
            self.where,
        )

    async def stop(self) -> None:
        pass
