"""``Env``: every group of variables in one object, plus helpers for the worker's own."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar, overload

from .errors import ConfigError, ConfigIssue
from .groups import (
    ApiEnv,
    AppEnv,
    DeviceEnv,
    LogEnv,
    ModelEnv,
    RegisterEnv,
    ServerEnv,
    StorageEnv,
)
from .parsers import parse_bool, parse_float, parse_int, parse_list
from .variable import EnvGroup, EnvVar

T = TypeVar("T")


class Env:
    """All configuration of a worker, read from the environment when accessed."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.app = AppEnv(self.environ)
        self.log = LogEnv(self.environ)
        self.server = ServerEnv(self.environ)
        self.model = ModelEnv(self.environ)
        self.device = DeviceEnv(self.environ)
        self.api = ApiEnv(self.environ)
        self.storage = StorageEnv(self.environ)
        self.register = RegisterEnv(self.environ)

    def groups(self) -> dict[str, EnvGroup]:
        return {
            "app": self.app,
            "log": self.log,
            "server": self.server,
            "model": self.model,
            "device": self.device,
            "api": self.api,
            "storage": self.storage,
            "register": self.register,
        }

    def validate(self) -> None:
        """Raise one :class:`ConfigError` listing every malformed variable, if any."""
        issues: list[ConfigIssue] = []
        for group in self.groups().values():
            issues.extend(group.issues())
        if issues:
            raise ConfigError(issues)

    def dump(self) -> dict[str, str]:
        """Variable name → effective value as text, with secrets and URL passwords masked."""
        out: dict[str, str] = {}
        for group in self.groups().values():
            for var in group.variables().values():
                raw = self.environ.get(var.name)
                out[var.name] = var.masked(str(var.default) if raw is None else raw)
        return out

    # -- helpers for variables of the worker's own ----------------------------------------

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        return self.environ.get(name, default)

    def get_int(self, name: str, default: int = 0) -> int:
        return self._typed(name, default, parse_int)

    def get_float(self, name: str, default: float = 0.0) -> float:
        return self._typed(name, default, parse_float)

    def get_bool(self, name: str, default: bool = False) -> bool:
        return self._typed(name, default, parse_bool)

    def get_list(self, name: str, default: list[str] | None = None, sep: str = ",") -> list[str]:
        return self._typed(name, list(default or []), lambda raw: parse_list(raw, sep))

    def _typed(self, name: str, default: T, parse: Callable[[str], T]) -> T:
        return EnvVar(name, default, parse).read(self.environ)

    def __repr__(self) -> str:
        return f"Env({', '.join(self.groups())})"


env = Env()
