"""The CPU budget of a form's first case (``budget.py``): a draw that never ends is cut and
reported; once a case was made, nothing is cut."""

from __future__ import annotations

import time

import pytest

from .budget import OutOfTime, cpu_budget


def _spin(cpu_seconds: float) -> None:
    end = time.process_time() + cpu_seconds
    while time.process_time() < end:
        pass


def test_a_draw_past_the_budget_is_cut() -> None:
    with pytest.raises(OutOfTime), cpu_budget(0.2, lambda: True):
        _spin(5)


def test_nothing_is_cut_once_a_case_was_made() -> None:
    with cpu_budget(0.1, lambda: False):
        _spin(0.3)
