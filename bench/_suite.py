"""``bench/run``: every benchmark family in one run, gathered into ``bench/RESULTS.md``.

Each bench is its own process (so one cannot warm the next one's caches) and compares
against its baseline inside its own run, in rotating order over several rounds; this driver
only runs them one after another, reads the figures each writes with ``--json`` (see
``_record.py``), records the machine, and renders one table per family with the target
beside each figure, plus one PNG per family (matplotlib, the ``bench`` extra) in
``bench/results/``. CPU and GPU runs are kept apart: with ``DEVICE=cuda`` (or ``--device``)
the page is ``RESULTS-cuda.md`` and the plots ``results/cuda-*.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _record

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CORPUS = ROOT.parent / "shared" / "specs"


@dataclass
class Bench:
    script: str
    quick: list[str] = field(default_factory=list)
    full: list[str] = field(default_factory=list)
    needs: str = ""  # a program that must be on PATH

    def missing(self) -> str | None:
        if not (BENCH / self.script).exists():
            return f"{self.script} does not exist yet"
        if self.needs and shutil.which(self.needs) is None:
            return f"{self.needs} is not installed (scripts/setup.sh installs it)"
        return None


@dataclass
class Family:
    name: str
    what: str
    benches: list[Bench]


FAMILIES = [
    Family(
        "serving",
        "One small JSON route: the generated typed route and the seed's dict route against "
        "hand-written Starlette and idiomatic FastAPI, over TCP with wrk and in process.",
        [
            Bench("runtime_bench.py", ["--duration", "2", "--rounds", "2"], needs="wrk"),
            Bench("asgi_overhead.py", ["--requests", "5000", "--rounds", "3"]),
            Bench("typed_route_bench.py", ["--requests", "1500", "--rounds", "3"]),
        ],
    ),
    Family(
        "streaming",
        "SSE: events/s and time to first event against a raw Starlette StreamingResponse; "
        "memory per idle open stream.",
        [Bench("sse_bench.py", ["--events", "5000", "--rounds", "3", "--idle", "500"])],
    ),
    Family(
        "cold start",
        "Importing the runtime and spawning a worker without a model until /ready answers.",
        [Bench("coldstart_bench.py", ["--rounds", "3"])],
    ),
    Family(
        "compiler",
        "ieops-gen first run and no-change rerun beside datamodel-codegen and, when "
        "installed, openapi-python-client and fastapi-code-generator.",
        [
            Bench(
                "gen_bench.py",
                [
                    "--rounds",
                    "1",
                    str(ROOT / "schemas"),
                    str(CORPUS / "openai-openapi/openapi.yaml"),
                ],
            )
        ],
    ),
    Family(
        "client",
        "The generated clients' runtime against raw httpx on the same Unix-socket worker.",
        [Bench("client_bench.py", ["--async", "--rounds", "30"], ["--async"])],
    ),
    Family(
        "storage",
        "gmifs:// FileSystem on a real nfs-ganesha against libnfs's nfs-cp.",
        # Five rounds: with two, one slow round on a busy machine was the whole median.
        [Bench("storage_bench.py", ["--size-mib", "64", "--rounds", "5"], needs="nfs-cp")],
    ),
    Family(
        "embeddings",
        "The example worker's /v1/embeddings (batching on and off) beside infinity-emb and "
        "LitServe serving the same local model (peers in their own venv: see bench/README.md).",
        [Bench("embeddings_bench.py", ["--rounds", "1", "--duration", "3"])],
    ),
    Family(
        "reliability",
        "A 503 burst: how many requests the client's full-jitter retries turn into successes.",
        [Bench("retry_bench.py", ["--requests", "200", "--rounds", "2"])],
    ),
]

# Why a target is missed today, and what would close it (figure-name prefixes).
KNOWN_GAPS = {
    "no-change `ieops-gen --check`": "every --check regenerates the package in memory; a "
    "cache keyed by the inputs' hashes would skip it (issue 16, item 5)",
    "import gmi_ieops.handler": "something on its path imports the server stack again: "
    "its names are meant to load lazily (tests/runtime/test_cold_import.py)",
    "process start to /ready": "FastAPI's and uvicorn's imports are most of the worker's "
    "CPU until /ready (see the note); on a loaded machine the wall time is mostly waiting "
    "for a CPU. Building the app without FastAPI until a user route needs it would close it",
}


@dataclass
class Outcome:
    bench: Bench
    seconds: float = 0.0
    skipped: str = ""
    failed: str = ""
    figures: list[_record.Figure] = field(default_factory=list)
    series: list[_record.Series] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def machine(device: str) -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = "none"
    if shutil.which("nvidia-smi"):
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True)
        gpu = out.stdout.strip().replace("\n", "; ") or "none"
    versions = []
    for name in ("gmi-ieops", "fastapi", "starlette", "uvicorn", "pydantic", "httpx", "torch"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{name} {importlib.metadata.version(name)}")
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cores": str(os.cpu_count()),
        "CPU": cpu,
        "GPU": gpu,
        "DEVICE": device,
        "python": sys.version.split()[0],
        "versions": ", ".join(versions),
        "commit": commit or "unknown",
    }


def run_bench(bench: Bench, mode: str, tmp: Path, env: dict[str, str]) -> Outcome:
    outcome = Outcome(bench)
    why = bench.missing()
    if why:
        outcome.skipped = why
        return outcome
    record = tmp / f"{bench.script}.json"
    extra = {"smoke": ["--smoke"], "quick": bench.quick, "full": bench.full}[mode]
    argv = [sys.executable, str(BENCH / bench.script), *extra, "--json", str(record)]
    print(f"== {shlex.join(argv[1:])}", flush=True)
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, stdout=sys.stdout, stderr=subprocess.PIPE)
    outcome.seconds = time.perf_counter() - started
    if result.returncode != 0 or not record.exists():
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-3:]
        outcome.failed = f"exit {result.returncode}: " + " / ".join(tail)
        print(outcome.failed, file=sys.stderr)
        return outcome
    _, outcome.figures, outcome.series, outcome.notes = _record.read(record)
    return outcome


def _gap(figure: _record.Figure) -> str:
    return next((why for key, why in KNOWN_GAPS.items() if figure.name.startswith(key)), "")


def _value(figure: _record.Figure) -> str:
    if figure.unit == "x":
        return f"{figure.value:.2f}×"
    return f"{figure.value:.3g} {figure.unit}"


def render_family(family: Family, outcomes: list[Outcome], plot: str | None) -> list[str]:
    lines = [f"## {family.name}", "", family.what, ""]
    rows = [o for o in outcomes if o.figures]
    if rows:
        lines += [
            "| figure | value | spread of rounds | target | | against, notes |",
            "|---|---:|---:|---|---|---|",
        ]
        for outcome in rows:
            for f in outcome.figures:
                verdict = {True: "met", False: "**missed**", None: "–"}[f.met]
                note = "; ".join(x for x in (f.baseline, f.note) if x)
                target = (
                    "–" if f.target is None else f"{f.target} {'' if f.unit == 'x' else f.unit}"
                )
                lines.append(
                    f"| {f.name} | {_value(f)} | {f.spread or '–'} | {target.strip()} "
                    f"| {verdict} | {note} |"
                )
        lines.append("")
    for outcome in outcomes:
        where = f"`{outcome.bench.script}`"
        if outcome.skipped:
            lines.append(f"- {where} skipped: {outcome.skipped}")
        elif outcome.failed:
            lines.append(f"- {where} **failed**: {outcome.failed}")
        else:
            lines.append(f"- {where}: {outcome.seconds:.0f} s")
        lines += [f"  - {note}" for note in outcome.notes]
    if plot:
        lines += ["", f"![{family.name}]({plot})"]
    return [*lines, ""]


def draw(family: Family, outcomes: list[Outcome], path: Path) -> bool:
    """One PNG: the family's series as lines, or its ratio figures as bars with targets."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series = [s for o in outcomes for s in o.series]
    ratios = [f for o in outcomes for f in o.figures if f.unit == "x"]
    if not series and not ratios:
        return False
    panels = len(series) + (1 if ratios else 0)
    height = max(4.5, 0.4 * len(ratios) + 1.5)
    fig, axes = plt.subplots(1, panels, figsize=(10 * panels, height), squeeze=False)
    for ax, s in zip(axes[0], series, strict=False):
        for name, points in sorted(s.lines.items()):
            xs, ys = zip(*sorted(points), strict=True) if points else ((), ())
            ax.plot(xs, ys, marker="o", label=name)
        ax.set(title=s.title, xlabel=s.x_label, ylabel=s.y_label)
        ax.legend(fontsize=8)
    if ratios:
        ax = axes[0][-1]
        names = [f.name if len(f.name) < 60 else f.name[:57] + "…" for f in ratios]
        bars = ax.barh(
            names,
            [f.value for f in ratios],
            color=["tab:green" if f.met is not False else "tab:red" for f in ratios],
        )
        for bar, f in zip(bars, ratios, strict=True):
            if f.target is not None:
                y = bar.get_y()
                ax.plot([f.target.bound] * 2, [y, y + bar.get_height()], color="black")
        ax.axvline(1.0, color="grey", linewidth=0.5)
        ax.set(title=f"{family.name} (black: target)", xlabel="× the baseline")
        ax.tick_params(axis="y", labelsize=7)
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def render(
    results: dict[str, list[Outcome]],
    info: dict[str, str],
    command: str,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    plots: dict[str, str],
) -> str:
    figures = [f for outs in results.values() for o in outs for f in o.figures]
    met = sum(1 for f in figures if f.met is True)
    missed = [f for f in figures if f.met is False]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {datetime.date.today().isoformat()}; do not edit by hand "
        "(see `bench/README.md`). Every ratio is against a baseline measured in the same "
        "run; absolute figures depend on the machine below."
        + (" Smoke mode: tiny counts, the figures are moot." if "--smoke" in command else ""),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in info.items()),
        f"| load average before | {' '.join(f'{x:.2f}' for x in load[0])} |",
        f"| load average after | {' '.join(f'{x:.2f}' for x in load[1])} |",
        "",
        f"**{met} of {sum(1 for f in figures if f.met is not None)} targets met.**",
        "",
        "| family | figures | targets met | missed |",
        "|---|---:|---:|---:|",
    ]
    for name, outs in results.items():
        fam = [f for o in outs for f in o.figures]
        lines.append(
            f"| {name} | {len(fam)} | {sum(1 for f in fam if f.met is True)} "
            f"| {sum(1 for f in fam if f.met is False)} |"
        )
    if missed:
        lines += ["", "Missed targets, and what would close them:", ""]
        for f in missed:
            gap = _gap(f)
            lines.append(f"- {f.name}: {_value(f)} (target {f.target}){': ' + gap if gap else ''}")
    lines.append("")
    for family in FAMILIES:
        if family.name in results:
            lines += render_family(family, results[family.name], plots.get(family.name))
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=(__doc__ or "").splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="short rounds: about 5 minutes")
    mode.add_argument("--smoke", action="store_true", help="every bench in its smoke mode")
    parser.add_argument(
        "--only", help="comma-separated families: " + ", ".join(f.name for f in FAMILIES)
    )
    parser.add_argument("--out", type=Path, help="folder for RESULTS.md and results/ (bench/)")
    parser.add_argument("--device", default=os.environ.get("DEVICE", "cpu"), help="cpu or cuda")
    args = parser.parse_args()
    chosen = FAMILIES
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        unknown = wanted - {f.name for f in FAMILIES}
        if unknown:
            parser.error(f"unknown families: {', '.join(sorted(unknown))}")
        chosen = [f for f in FAMILIES if f.name in wanted]
    out = args.out or (Path(tempfile.mkdtemp(prefix="bench-smoke-")) if args.smoke else BENCH)
    kind = "cuda" if args.device.startswith("cuda") else "cpu"
    page = out / ("RESULTS.md" if kind == "cpu" else "RESULTS-cuda.md")
    plots_dir = out / "results"
    plots_dir.mkdir(parents=True, exist_ok=True)
    run_mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    env = {**os.environ, "DEVICE": args.device}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "runtime"), str(ROOT / "generator"), env.get("PYTHONPATH")) if p
    )
    before = os.getloadavg()
    results: dict[str, list[Outcome]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        for family in chosen:
            results[family.name] = [run_bench(b, run_mode, Path(tmp), env) for b in family.benches]
    after = os.getloadavg()
    plots = {}
    for family in chosen:
        png = plots_dir / f"{kind}-{family.name.replace(' ', '-')}.png"
        if draw(family, results[family.name], png):
            plots[family.name] = str(png.relative_to(out))
    command = "bench/run" + ("" if run_mode == "full" else f" --{run_mode}")
    if args.only:
        command += f" --only {shlex.quote(args.only)}"
    page.write_text(render(results, machine(args.device), command, (before, after), plots))
    print(f"wrote {page}")
    broken = [o.bench.script for outs in results.values() for o in outs if o.failed]
    if broken:
        print(f"failed: {', '.join(broken)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
