"""``EnvVar``: a typed, documented environment variable read on access."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast, overload

from .errors import ConfigError, ConfigIssue
from .parsers import parse_str
from .redact import MASK, redact, redact_url

T = TypeVar("T")

_SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "API_KEY", "CREDENTIAL")


class EnvVar(Generic[T]):
    """A descriptor on an :class:`EnvGroup`; reading it parses the variable's current value.

    Values are read at access time (not import time) so tests and launchers can set the
    environment late, and a malformed value raises :class:`ConfigError` naming the variable.
    """

    def __init__(
        self,
        name: str,
        default: T,
        parse: Callable[[str], T] | None = None,
        *,
        doc: str = "",
        secret: bool | None = None,
        url: bool = False,
    ) -> None:
        self.name = name
        self.default = default
        self.parse: Callable[[str], T] = (
            parse if parse is not None else cast("Callable[[str], T]", parse_str)
        )
        self.doc = doc
        self.secret = secret if secret is not None else any(w in name for w in _SECRET_WORDS)
        self.url = url
        """The value is a URL: its userinfo is masked wherever the value is shown."""

    @overload
    def __get__(self, group: None, owner: type[Any]) -> EnvVar[T]: ...
    @overload
    def __get__(self, group: EnvGroup, owner: type[Any]) -> T: ...
    def __get__(self, group: EnvGroup | None, owner: type[Any]) -> EnvVar[T] | T:
        if group is None:
            return self
        return self.read(group.environ)

    def read(self, environ: Mapping[str, str]) -> T:
        raw = environ.get(self.name)
        if raw is None:
            return self.default
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ConfigError([ConfigIssue(self.name, self.masked(raw), str(exc))]) from None

    def masked(self, raw: str) -> str:
        """``raw`` as it may be shown: a secret hidden, URL credentials masked."""
        if self.secret and raw:
            return MASK
        return redact_url(raw) if self.url else redact(raw)

    def __repr__(self) -> str:
        return f"EnvVar({self.name!r}, default={self.default!r})"


class EnvGroup:
    """A named set of :class:`EnvVar` descriptors (``env.server``, ``env.model``, ...)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = os.environ if environ is None else environ

    @classmethod
    def variables(cls) -> dict[str, EnvVar[Any]]:
        """Attribute name → variable, in declaration order."""
        found: dict[str, EnvVar[Any]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                if isinstance(value, EnvVar):
                    found[attr] = value
        return found

    def issues(self) -> list[ConfigIssue]:
        """Every variable of this group whose value does not parse."""
        issues: list[ConfigIssue] = []
        for var in self.variables().values():
            try:
                var.read(self.environ)
            except ConfigError as exc:
                issues.extend(exc.issues)
        return issues

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(self.variables())})"
