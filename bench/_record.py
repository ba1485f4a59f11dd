"""A bench's figures in a form ``bench/run`` can gather: every bench prints its own table for
people, and with ``--json PATH`` also writes the same figures here, each with its target.

A figure is a ratio against a baseline measured in the same run (``unit="x"``) wherever the
bench has one; absolute figures (seconds, MiB) carry their unit. ``rounds`` keeps the value of
every round so the results page can show the spread next to the median.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    """What a figure should reach: ``value >= bound`` or ``value <= bound``."""

    op: Literal[">=", "<="]
    bound: float

    def met(self, value: float) -> bool:
        return value >= self.bound if self.op == ">=" else value <= self.bound

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"


def at_least(bound: float) -> Target:
    return Target(">=", bound)


def at_most(bound: float) -> Target:
    return Target("<=", bound)


@dataclass
class Figure:
    name: str
    value: float
    unit: str = "x"  # "x" for a ratio against ``baseline``; else "s", "MiB", "req/s", ...
    baseline: str = ""
    target: Target | None = None
    rounds: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)

    @property
    def spread(self) -> str:
        if len(self.rounds) < 2:
            return ""
        return f"{min(self.rounds):.3g}–{max(self.rounds):.3g}"


@dataclass
class Series:
    """One plot: named lines of (x, y) points, e.g. requests/s against concurrency."""

    title: str
    x_label: str
    y_label: str
    lines: dict[str, list[tuple[float, float]]]
    kind: Literal["line", "bar"] = "line"


def ratio(name: str, values: list[float], baselines: list[float], **kw: Any) -> Figure:
    """The ratio of medians, with the per-round ratios as its spread (paired rounds)."""
    rounds = [v / b for v, b in zip(values, baselines, strict=False) if b]
    return Figure(
        name, statistics.median(values) / statistics.median(baselines), rounds=rounds, **kw
    )


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", type=Path, help="also write the figures to this file (what bench/run reads)"
    )


def write(
    path: Path | None,
    bench: str,
    figures: list[Figure],
    *,
    series: Sequence[Series] = (),
    notes: Sequence[str] = (),
) -> None:
    if path is None:
        return
    record = {
        "bench": bench,
        "figures": [asdict(f) | {"met": f.met} for f in figures],
        "series": [asdict(s) for s in series],
        "notes": list(notes),
    }
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read(path: Path) -> tuple[str, list[Figure], list[Series], list[str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    figures = []
    for raw in data["figures"]:
        raw.pop("met", None)
        target = raw.pop("target")
        figures.append(Figure(**raw, target=Target(**target) if target else None))
    series = [
        Series(**{**s, "lines": {k: [tuple(p) for p in v] for k, v in s["lines"].items()}})
        for s in data["series"]
    ]
    return data["bench"], figures, series, data["notes"]
