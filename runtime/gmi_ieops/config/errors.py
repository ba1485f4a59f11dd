"""The one error every bad configuration value becomes."""

from __future__ import annotations

from dataclasses import dataclass

from .redact import redact


@dataclass(frozen=True)
class ConfigIssue:
    """One variable whose value cannot be used (``value`` as it may be shown: masked)."""

    name: str
    value: str
    reason: str

    def __str__(self) -> str:
        return redact(f"{self.name}={self.value!r}: {self.reason}")


class ConfigError(ValueError):
    """Raised with every bad variable at once, so one restart fixes them all."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        noun = "variable" if len(issues) == 1 else "variables"
        super().__init__(f"invalid environment {noun}:\n{lines}")
