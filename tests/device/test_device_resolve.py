"""gmi_ieops.device with the real (CPU) torch, and without torch in a subprocess."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from gmi_ieops.config import ConfigError
from gmi_ieops.device import resolve_device, resolve_dtype

if os.environ.get("CI") == "true":
    import torch  # on CI a missing torch is a failure, not a skip
else:
    torch = pytest.importorskip(
        "torch", reason="torch is not installed (pip install 'gmi-ieops[torch]')"
    )

needs_no_gpu = pytest.mark.skipif(
    torch.cuda.is_available() or torch.backends.mps.is_available(),
    reason="checks the CPU-only paths; this machine has an accelerator",
)


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def warnings_logged() -> Iterator[list[str]]:
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                messages.append(record.getMessage())

    logger = logging.getLogger("gmi_ieops.device")
    handler = Collect()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


# -- DEVICE ---------------------------------------------------------------------------------


@needs_no_gpu
def test_auto_is_cpu_without_an_accelerator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVICE", raising=False)
    device = resolve_device()
    assert isinstance(device, torch.device)
    assert device == torch.device("cpu")
    assert resolve_device("AUTO ") == torch.device("cpu")


def test_device_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVICE", "cpu")
    assert resolve_device() == torch.device("cpu")
    # An explicit value wins over the variable.
    monkeypatch.setenv("DEVICE", "nonsense")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("value", ["gpu", "cuda:", "cuda:x", "cpu:0", "mps:1", "cuda:-1", ""])
def test_invalid_device_names_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DEVICE", value)
    with pytest.raises(ConfigError) as info:
        resolve_device()
    assert info.value.issues[0].name == "DEVICE"
    assert f"DEVICE={value!r}" in str(info.value)
    assert "auto, cpu, cuda, cuda:N or mps" in str(info.value)


@needs_no_gpu
@pytest.mark.parametrize("value", ["cuda", "cuda:0", "mps"])
def test_missing_accelerator_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DEVICE", value)
    with pytest.raises(ConfigError, match=f"DEVICE='{value}': .* not available"):
        resolve_device()


# -- TORCH_DTYPE ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("float32", "float32"),
        ("FP32", "float32"),
        ("bfloat16", "bfloat16"),
        ("bf16", "bfloat16"),
        ("float16", "float16"),
        ("half", "float16"),
    ],
)
def test_dtype_names(value: str, expected: str) -> None:
    # On a (fake) GPU device nothing falls back: the name maps straight to the dtype.
    assert resolve_dtype(value, device="cuda") == getattr(torch, expected)


def test_half_on_cpu_falls_back_to_float32_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, warnings_logged: list[str]
) -> None:
    monkeypatch.setenv("TORCH_DTYPE", "float16")
    monkeypatch.setenv("DEVICE", "cpu")
    assert resolve_dtype() == torch.float32
    assert len(warnings_logged) == 1
    assert "TORCH_DTYPE=float16" in warnings_logged[0]
    assert "float32" in warnings_logged[0]
    # The resolved dtype really works on the resolved device.
    tensor = torch.ones(2, 2, dtype=resolve_dtype(), device=resolve_device())
    assert tensor.dtype == torch.float32


def test_bfloat16_is_kept_on_cpu(warnings_logged: list[str]) -> None:
    dtype = resolve_dtype("bfloat16", device=torch.device("cpu"))
    assert dtype == torch.bfloat16
    assert warnings_logged == []
    assert (torch.ones(3, dtype=dtype) * 2).sum().item() == 6


def test_default_dtype_is_float16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TORCH_DTYPE", raising=False)
    assert resolve_dtype(device="cuda:0") == torch.float16


@pytest.mark.parametrize("value", ["int8", "float64", "auto", ""])
def test_invalid_dtype_names_variable_and_value(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TORCH_DTYPE", value)
    with pytest.raises(ConfigError) as info:
        resolve_dtype(device="cpu")
    assert info.value.issues[0].name == "TORCH_DTYPE"
    assert f"TORCH_DTYPE={value!r}" in str(info.value)
    assert "float16, bfloat16 or float32" in str(info.value)


# -- lazy import and a missing torch --------------------------------------------------------


def test_importing_does_not_import_torch() -> None:
    result = run_python(
        """
        import sys
        import gmi_ieops, gmi_ieops.device, gmi_ieops.utils
        assert "torch" not in sys.modules, "torch was imported"
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_missing_torch_names_the_extra() -> None:
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None  # makes "import torch" raise ImportError
        import gmi_ieops.device
        calls = [
            lambda: gmi_ieops.device.resolve_device("cpu"),
            lambda: gmi_ieops.device.resolve_dtype("float32", device="cpu"),
        ]
        for call in calls:
            try:
                call()
            except ImportError as exc:
                print(exc)
            else:
                raise SystemExit("no ImportError")
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert "pip install 'gmi-ieops[torch]'" in line


def test_bad_value_is_reported_before_torch_is_needed() -> None:
    """A typo in DEVICE is named even on a machine without torch."""
    result = run_python(
        """
        import sys
        sys.modules["torch"] = None
        from gmi_ieops.config import ConfigError
        from gmi_ieops.device import resolve_device
        try:
            resolve_device("cdua")
        except ConfigError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "DEVICE='cdua'" in result.stdout
