"""Fixtures of the registry tests: the fake proxy and the registrar's log records."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.fake_proxy import fake_proxy, fake_proxy_tcp

REGISTRY_LOGGER = "gmi_ieops.registry"


class RegistryLog:
    """The records the registrar logged during one test."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    @property
    def records(self) -> list[logging.LogRecord]:
        return [r for r in self._caplog.records if r.name == REGISTRY_LOGGER]

    def outages(self) -> list[str]:
        """Warnings saying the proxy cannot be reached (one per outage)."""
        return [
            r.getMessage()
            for r in self.records
            if r.levelno == logging.WARNING and r.getMessage().startswith("cannot register")
        ]

    def recoveries(self) -> list[str]:
        """Infos saying the worker is registered again (one per outage's end)."""
        return [
            r.getMessage()
            for r in self.records
            if r.levelno == logging.INFO and "again after" in r.getMessage()
        ]

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


@pytest.fixture
def registry_log(caplog: pytest.LogCaptureFixture) -> Iterator[RegistryLog]:
    """Capture the registrar's records at DEBUG whatever logging the process configured.

    ``gmi_ieops.utils.log.configure`` turns propagation off on the package logger, so the
    capture handler is attached to the registry logger itself.
    """
    logger = logging.getLogger(REGISTRY_LOGGER)
    saved = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(caplog.handler)
    try:
        yield RegistryLog(caplog)
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


__all__ = ["RegistryLog", "fake_proxy", "fake_proxy_tcp", "registry_log"]
