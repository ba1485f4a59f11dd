"""The compiler: ``ieops-gen`` beside model and client generators on the same OpenAPI documents.

Every tool runs as a fresh process (imports included), on each input in turn, rounds
alternating; the figure per tool and input is the median wall time and the peak RSS
(``/usr/bin/time -v``). Tools:

- ieops-gen, first run (load + bundle + validate + IR + models + service/routes/clients +
  write) and no-change rerun (``--check`` against what it just wrote);
- datamodel-codegen (builtin formatter): the models alone, the engine ieops-gen drives;
- openapi-python-client and fastapi-code-generator when they are installed (they are not in
  the project's venv: ``pip install openapi-python-client fastapi-code-generator`` in a venv
  of their own and put it on ``PATH``); a missing tool is listed as such.

Inputs: ``schemas/`` (the project's), the OpenAI spec and the largest documents of
``../shared/specs`` (when the corpus is there), or the ones named on the command line.

    python bench/gen_bench.py [SPEC ...] [--rounds 3]
    python bench/gen_bench.py --smoke      # schemas/chat.yaml, one round: seconds
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _record

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "specs"
DEFAULT_SPECS = [
    ROOT / "schemas",
    CORPUS / "openai-openapi" / "openapi.yaml",
    CORPUS / "letta" / "openapi.json",
    CORPUS / "invokeai" / "openapi.json",
]
SMOKE_SPEC = ROOT / "schemas" / "chat.yaml"  # small, in the repository: seconds
BIN = Path(sys.executable).parent
RERUN_TARGET = 0.3  # seconds for a no-change `--check`


def _tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def label(spec: Path) -> str:
    """A name for the input in the table: corpus documents share file names
    (``openapi.json``), so a file is named with its folder."""
    return spec.name if spec.is_dir() else f"{spec.parent.name}/{spec.name}"


def commands(spec: Path, out: Path) -> dict[str, list[str] | None]:
    """Each tool's command line on ``spec`` (``None``: the tool is not installed)."""
    single = spec if spec.is_file() else next(iter(sorted(spec.glob("*.yaml"))), spec)
    ieops = [str(spec), "-o", str(out / "ieops"), "-q", "--lenient"]
    wanted = {
        "ieops-gen": ("ieops-gen", ieops),
        "ieops-gen no-change --check": ("ieops-gen", [*ieops, "--check"]),
        "datamodel-codegen": (
            "datamodel-codegen",
            [
                *("--input", str(single), "--input-file-type", "openapi"),
                *("--output-model-type", "pydantic_v2.BaseModel", "--formatters", "builtin"),
                *("--disable-warnings", "--output", str(out / "dcg.py")),
            ],
        ),
        "openapi-python-client": (
            "openapi-python-client",
            ["generate", "--path", str(single), "--output-path", str(out / "opc"), "--overwrite"],
        ),
        "fastapi-code-generator": (
            "fastapi-codegen",
            ["--input", str(single), "--output", str(out / "fcg")],
        ),
    }
    found = {program: _tool(program) for program, _ in wanted.values()}
    return {
        tool: None if found[program] is None else [str(found[program]), *argv]
        for tool, (program, argv) in wanted.items()
    }


def run(argv: list[str]) -> tuple[bool, float, float]:
    """(succeeded, seconds, peak RSS in MiB)."""
    timer = Path("/usr/bin/time")
    start = time.perf_counter()
    full = [str(timer), "-v", *argv] if timer.exists() else argv
    result = subprocess.run(full, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    peak = int(match.group(1)) / 1024 if match else float("nan")
    return result.returncode == 0, elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("specs", nargs="*", type=Path, help="documents or folders")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_SPEC.name}, one round")
    _record.add_option(parser)
    args = parser.parse_args()
    specs: list[Path] = [SMOKE_SPEC] if args.smoke else args.specs or DEFAULT_SPECS
    specs = [s for s in specs if s.exists()]
    if args.smoke:
        args.rounds = 1
    times: dict[tuple[str, str], list[float]] = {}
    peaks: dict[tuple[str, str], float] = {}
    failed: set[tuple[str, str]] = set()
    missing: set[str] = set()
    sizes: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="ieops-gen-bench-") as tmp:
        for spec in specs:
            files = (
                [spec] if spec.is_file() else list(spec.glob("*.y*ml")) + list(spec.glob("*.json"))
            )
            name = label(spec)
            sizes[name] = sum(f.stat().st_size for f in files) / 1e6
            for round_no in range(args.rounds):
                out = Path(tmp) / f"{name.replace('/', '-')}-{round_no}"
                out.mkdir()
                # ieops-gen and its rerun keep their order (the rerun checks the first run's
                # output); the other tools rotate around them.
                cmds = commands(spec, out)
                for tool, argv in cmds.items():
                    if argv is None:
                        missing.add(tool)
                        continue
                    ok, seconds, peak = run(argv)
                    key = (name, tool)
                    if not ok:
                        failed.add(key)
                    times.setdefault(key, []).append(seconds)
                    peaks[key] = max(peaks.get(key, 0.0), peak)
    print(f"compiler, median of {args.rounds} round(s), fresh processes")
    print(f"{'input':<22} {'MB':>5} {'tool':<30} {'seconds':>8} {'peak MiB':>9}")
    for (spec_name, tool), values in times.items():
        flag = "  (failed)" if (spec_name, tool) in failed else ""
        print(
            f"{spec_name:<22} {sizes[spec_name]:>5.1f} {tool:<30} "
            f"{statistics.median(values):>8.2f} {peaks[(spec_name, tool)]:>9.0f}{flag}"
        )
    for tool in sorted(missing):
        print(f"not installed: {tool}")
    figures = []
    for spec in specs:
        name = label(spec)
        rerun = times.get((name, "ieops-gen no-change --check"))
        if rerun:
            figures.append(
                _record.Figure(
                    f"no-change `ieops-gen --check` on {name}",
                    statistics.median(rerun),
                    unit="s",
                    target=_record.at_most(RERUN_TARGET),
                    rounds=rerun,
                )
            )
        first = times.get((name, "ieops-gen"))
        for peer in ("openapi-python-client", "datamodel-codegen"):
            theirs = times.get((name, peer))
            if first and theirs and (name, peer) not in failed:
                figures.append(
                    _record.ratio(
                        f"speed, ieops-gen / {peer} on {name} (1 / seconds)",
                        [1 / t for t in first],
                        [1 / t for t in theirs],
                        baseline=peer,
                        target=_record.at_least(1.0) if peer == "openapi-python-client" else None,
                        note=f"peak {peaks[(name, 'ieops-gen')]:.0f} MiB against "
                        f"{peaks[(name, peer)]:.0f} MiB",
                    )
                )
    lines = {
        tool: [(sizes[s], statistics.median(v)) for (s, t), v in times.items() if t == tool]
        for tool in {t for _, t in times}
    }
    series = _record.Series("generator time against input size", "MB", "seconds", lines)
    notes = [f"not installed: {tool}" for tool in sorted(missing)]
    notes += [f"failed: {tool} on {spec}" for spec, tool in sorted(failed)]
    _record.write(args.json, "gen_bench", figures, series=[series], notes=notes)


if __name__ == "__main__":
    main()
