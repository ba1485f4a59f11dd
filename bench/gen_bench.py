"""Time ``ieops-gen`` beside ``datamodel-codegen`` alone on the same OpenAPI document.

Both run as fresh processes (imports included), side by side in one run:

- ieops-gen: load + bundle + validate + IR + models + service/routes + write;
- datamodel-codegen (builtin formatter): the models alone, the formatter ieops-gen uses;
- datamodel-codegen (default formatters, black + isort): the models alone, as the tool's
  command line does by default.

Run: ``python bench/gen_bench.py [SPEC] [--repeat N]`` (default: the OpenAI spec);
``--smoke`` runs them once on ``schemas/chat.yaml`` (seconds; the test suite does).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = ROOT.parent / "shared" / "specs" / "openai-openapi" / "openapi.yaml"
SMOKE_SPEC = ROOT / "schemas" / "chat.yaml"  # small, in the repository: seconds
BIN = Path(sys.executable).parent


def _time(args: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--smoke", action="store_true", help=f"on {SMOKE_SPEC.name}: seconds, figures moot"
    )
    args = parser.parse_args()
    spec: Path = SMOKE_SPEC if args.smoke else args.spec
    with tempfile.TemporaryDirectory() as tmp:
        commands = {
            "ieops-gen": [str(BIN / "ieops-gen"), str(spec), "-o", f"{tmp}/out", "-q"],
            "datamodel-codegen (builtin fmt)": [
                str(BIN / "datamodel-codegen"),
                "--input",
                str(spec),
                "--input-file-type",
                "openapi",
                "--output-model-type",
                "pydantic_v2.BaseModel",
                "--formatters",
                "builtin",
                "--disable-warnings",
                "--output",
                f"{tmp}/a.py",
            ],
            "datamodel-codegen (black+isort)": [
                str(BIN / "datamodel-codegen"),
                "--input",
                str(spec),
                "--input-file-type",
                "openapi",
                "--output-model-type",
                "pydantic_v2.BaseModel",
                "--formatters",
                "black",
                "isort",
                "--disable-warnings",
                "--output",
                f"{tmp}/b.py",
            ],
        }
        best = {name: min(_time(cmd) for _ in range(args.repeat)) for name, cmd in commands.items()}
    base = best["datamodel-codegen (builtin fmt)"]
    print(f"{spec.name} ({spec.stat().st_size / 1e6:.1f} MB), best of {args.repeat}")
    for name, seconds in best.items():
        print(f"  {name:34s} {seconds:6.1f} s   {seconds / base:4.2f}x datamodel-codegen (builtin)")


if __name__ == "__main__":
    main()
