"""``DEVICE`` and ``TORCH_DTYPE`` as a ``torch.device`` and a ``torch.dtype``.

torch is optional (the ``torch`` extra) and heavy, so it is imported inside the functions,
never when ``gmi_ieops`` or this module is imported.

* ``DEVICE``: ``auto`` (CUDA when available, then Apple ``mps``, then ``cpu``), ``cpu``,
  ``cuda``, ``cuda:N`` (N counts the GPUs left visible by ``CUDA_VISIBLE_DEVICES``) or
  ``mps``. Asking for an accelerator that is not there is an error, not a silent CPU run.
* ``TORCH_DTYPE``: ``float16`` (``fp16``, ``half``), ``bfloat16`` (``bf16``) or ``float32``
  (``fp32``, ``float``). float16 on the CPU becomes float32 with a warning: most CPU
  kernels lack it or are slow in it; bfloat16 is kept, CPUs run it natively.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .config import ConfigError, ConfigIssue, env
from .utils import log

if TYPE_CHECKING:
    import torch

__all__ = ["resolve_device", "resolve_dtype"]

_logger = log.get_logger("device")

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda)(?::(\d+))?$")
_DEVICE_CHOICES = "auto, cpu, cuda, cuda:N or mps"
_DTYPES = {
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
}
_DTYPE_CHOICES = "float16, bfloat16 or float32"


def _require_torch() -> None:
    """Turn a missing torch into an error that says which extra to install."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "gmi_ieops.device needs PyTorch, which is not installed: pip install 'gmi-ieops[torch]'"
        ) from exc


def _bad(variable: str, value: str, reason: str) -> ConfigError:
    return ConfigError([ConfigIssue(variable, value, reason)])


def resolve_device(value: str | None = None) -> torch.device:
    """The device to load the model on: ``value``, or ``DEVICE`` (default ``auto``)."""
    raw = env.device.device if value is None else value
    match = _DEVICE.match(raw.strip().lower())
    if match is None or (match.group(2) is not None and match.group(1) != "cuda"):
        raise _bad("DEVICE", raw, f"expected {_DEVICE_CHOICES}")
    kind, index = match.group(1), match.group(2)
    _require_torch()
    import torch

    if kind == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            visible = env.device.cuda_visible
            raise _bad(
                "DEVICE",
                raw,
                f"CUDA is not available (torch {torch.__version__}, "
                f"CUDA_VISIBLE_DEVICES={visible!r}); use DEVICE=auto or DEVICE=cpu",
            )
        if index is not None and int(index) >= torch.cuda.device_count():
            raise _bad(
                "DEVICE",
                raw,
                f"only {torch.cuda.device_count()} CUDA device(s) are visible "
                f"(CUDA_VISIBLE_DEVICES={env.device.cuda_visible!r})",
            )
        return torch.device("cuda" if index is None else f"cuda:{int(index)}")
    if kind == "mps" and not _mps_available():
        raise _bad("DEVICE", raw, "Apple MPS is not available; use DEVICE=auto or DEVICE=cpu")
    return torch.device(kind)


def resolve_dtype(
    value: str | None = None, device: torch.device | str | None = None
) -> torch.dtype:
    """The dtype to load the model in: ``value``, or ``TORCH_DTYPE`` (default ``float16``).

    ``device`` (default: :func:`resolve_device`) decides the float16-on-CPU fallback.
    """
    raw = env.device.torch_dtype if value is None else value
    name = _DTYPES.get(raw.strip().lower())
    if name is None:
        raise _bad("TORCH_DTYPE", raw, f"expected {_DTYPE_CHOICES}")
    _require_torch()
    import torch

    dtype: torch.dtype = getattr(torch, name)
    target = resolve_device() if device is None else torch.device(device)
    if dtype == torch.float16 and target.type == "cpu":
        _logger.warning(
            "TORCH_DTYPE=%s on the CPU: using float32 (float16 is slow or unsupported there)",
            raw,
        )
        return torch.float32
    return dtype


def _mps_available() -> bool:
    import torch

    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())
