"""``ieops-gen``: the command line of the generator."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cache import Cache

DESCRIPTION = """\
Generate typed Python code for an IEOPS worker from OpenAPI documents.

SCHEMAS_DIR holds one OpenAPI 3.0/3.1/3.2 document (YAML or JSON) per service, plus any
JSON Schema files they reference with relative $refs. ieops-gen writes into OUT (default
generated/), replacing only the files it owns:

  OUT/__init__.py              the package: lists the services
  OUT/.ieops-gen-manifest      the files ieops-gen owns (what a later run may replace)
  OUT/<name>/__init__.py       one subpackage per document (imports nothing)
  OUT/<name>/models.py         Pydantic v2 models of every schema
  OUT/<name>/service.py        an abstract service class: one method per operation
                               (named by operationId)
  OUT/<name>/routes.py         router(service) (a FastAPI APIRouter to include in any
                               FastAPI app), create_app(service), serve(service)
  OUT/<name>/client.py         typed Client and AsyncClient (httpx; no server imports)
  OUT/<name>/openapi.json      the bundled document, served at /openapi.json
  DIR/<name>_impl.py           with --stubs DIR: your implementation, written once

Implement the service by subclassing it (see --stubs), then call serve(MyService()).
The import path of OUT (in stubs and docstrings) is its package path: OUT's name, under
every parent folder that holds an __init__.py (src/app/generated -> app.generated).
"""

EPILOG = """\
exit codes: 0 done; 1 --check found stale files, or ieops-gen itself failed (please report
it with the spec); 2 invalid input: a spec problem (file:line: json-pointer: message) or an
output folder it will not write into. On 2, nothing is written.

$refs read only inside SCHEMAS_DIR (and folders named by --ref-root): absolute paths,
'..' escapes, symlinks leading out, file: and remote URLs are refused.

defaults may also be set in pyproject.toml:
  [tool.ieops-gen]
  schemas = "schemas"
  out = "generated"
  stubs = "examples/worker"

examples:
  ieops-gen schemas/                          write generated/
  ieops-gen schemas/ --stubs examples/worker  also write handler stubs (once)
  ieops-gen schemas/ --check                  fail if generated/ is stale (for CI)
"""

GEN_DEPENDENCIES = ("yaml", "jinja2", "datamodel_code_generator", "ruff")
DEFAULT_MAX_SPEC_MIB = 20
"""The default of --max-spec-size (load.Limits.max_bytes agrees)."""


def _config(cwd: Path) -> dict[str, Any]:
    path = cwd / "pyproject.toml"
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib

        with path.open("rb") as handle:
            data = tomllib.load(handle)
    else:  # Python 3.10: read the config only when tomli is installed
        try:
            tomli = importlib.import_module("tomli")
        except ImportError:
            return {}
        with path.open("rb") as handle:
            data = tomli.load(handle)
    section = data.get("tool", {}).get("ieops-gen", {})
    return section if isinstance(section, dict) else {}


def _parser(config: dict[str, Any]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ieops-gen",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "schemas",
        metavar="SCHEMAS_DIR",
        nargs="?" if "schemas" in config else None,
        default=config.get("schemas"),
        type=Path,
        help="folder of OpenAPI documents (or one document)",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path(config.get("out", "generated")),
        help="output package folder, replaced as a whole (default: %(default)s)",
    )
    parser.add_argument(
        "--stubs",
        type=Path,
        default=Path(config["stubs"]) if "stubs" in config else None,
        metavar="DIR",
        help="write handler stubs <name>_impl.py here, once; never overwritten. Later runs "
        "name the methods a stub is missing",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff summary if OUT is not up to date",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into an existing non-empty OUT that has no ieops-gen manifest (its files "
        "at generated paths are replaced; everything else is kept)",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        default=bool(config.get("lenient", False)),
        help="repair unambiguous defects of vendor specs and skip operations that cannot be "
        "repaired, one warning each (strict is the default)",
    )
    parser.add_argument(
        "--enums",
        choices=("enum", "literal"),
        default=str(config.get("enums", "enum")),
        help="string enums as `class X(str, Enum)` (default) or as `Literal[...]` types",
    )
    parser.add_argument(
        "--ref-root",
        type=Path,
        action="append",
        default=[Path(p) for p in config.get("ref-roots", [])],
        metavar="DIR",
        help="another folder $refs may read from (repeatable)",
    )
    parser.add_argument(
        "--max-spec-size",
        type=_mebibytes,
        default=_mebibytes(str(config.get("max-spec-size", DEFAULT_MAX_SPEC_MIB))),
        metavar="MIB",
        help=f"largest spec file read, in MiB (default: {DEFAULT_MAX_SPEC_MIB})",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="do the whole run even when inputs and OUT are as the last good run left them "
        "(stamps in $IEOPS_GEN_CACHE_DIR, default ~/.cache/ieops-gen)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only errors (no summary, warnings or stub notes)",
    )
    return parser


def _mebibytes(text: str) -> int:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of MiB: {text!r}") from None
    if not 0 < value <= 4096:
        raise argparse.ArgumentTypeError(f"must be between 0 and 4096 MiB: {text!r}")
    return int(value * 2**20)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ieops-gen`` console script."""
    args = _parser(_config(Path.cwd())).parse_args(argv)
    cache = None if args.no_cache or args.stubs is not None else _cache(args)
    if cache is not None and (stamp := cache.lookup()) is not None:
        for warning in [] if args.quiet else stamp.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        if not args.quiet:
            print(f"{args.out} is up to date ({stamp.files} files; inputs unchanged)")
        return 0
    missing = []
    for name in GEN_DEPENDENCIES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        print(
            f"ieops-gen needs the generator dependencies ({', '.join(missing)} missing): "
            "pip install 'gmi-ieops[gen]'",
            file=sys.stderr,
        )
        return 1
    try:
        return _generate(args, cache)
    except RecursionError:
        _say("the input nests too deeply for ieops-gen; nothing written")
        return 2
    except MemoryError:
        _say("the input is too large for the memory available; nothing written")
        return 2
    except Exception as exc:  # our own bug: one line, no traceback, a request to report it
        _say(
            f"internal error ({type(exc).__name__}: {exc}); nothing was written. Please "
            "report it with the spec that caused it"
        )
        return 1


def _say(message: str) -> None:
    from .errors import printable

    print(f"ieops-gen: {printable(message)}", file=sys.stderr)


def _cache(args: argparse.Namespace) -> Cache:
    from .cache import Cache

    options = {
        key: value
        for key, value in vars(args).items()
        if key not in {"check", "quiet", "force", "no_cache"}
    }
    return Cache.of(args.schemas, args.out, args.ref_root, options)


def _generate(args: argparse.Namespace, cache: Cache | None = None) -> int:
    from dataclasses import replace

    from .errors import GenerationError, SpecError, printable
    from .load import LIMITS
    from .pipeline import run, stubs
    from .write import OutputError, check_tree, write_tree

    out: Path = args.out
    package = import_path(out)
    limits = replace(LIMITS, max_bytes=args.max_spec_size)
    try:
        result = run(
            args.schemas,
            package,
            ref_roots=tuple(args.ref_root),
            limits=limits,
            lenient=args.lenient,
            enums=args.enums,
        )
    except SpecError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        _say(f"{len(exc.problems)} problem(s); nothing written")
        return 2
    except GenerationError as exc:
        _say(str(exc))
        return 1
    if not args.quiet:
        for warning in result.warnings:
            print(f"warning: {printable(warning)}", file=sys.stderr)
    status = 0
    if args.check:
        report = check_tree(out, result.files)
        if report:
            print(f"{out} is stale; run: ieops-gen {args.schemas} -o {out}", file=sys.stderr)
            for line in report:
                print(line, file=sys.stderr)
            status = 1
        elif not args.quiet:
            print(f"{out} is up to date ({len(result.files)} files)")
    else:
        try:
            write_tree(out, result.files, force=args.force)
        except OutputError as exc:
            _say(f"{exc}; nothing written")
            return 2
        except OSError as exc:
            _say(f"cannot write {out}: {exc.strerror or exc}")
            return 1
        if not args.quiet:
            print(f"wrote {len(result.files)} files to {out}")
    if args.stubs is not None:
        for message, is_problem in stubs(result, args.stubs, package, write=not args.check):
            if is_problem or not args.quiet:
                print(printable(message), file=sys.stderr if is_problem else sys.stdout)
    if status == 0 and cache is not None:
        cache.store(len(result.files), [printable(w) for w in result.warnings])
    return status


def import_path(out: Path) -> str:
    """The dotted import path of the folder ``out``: its name under every parent folder
    that is a package (holds ``__init__.py``), so ``src/app/generated`` is
    ``app.generated`` when ``src/app`` is a package and ``src`` is not."""
    folder = Path(os.path.abspath(out))
    parts = [folder.name]
    parent = folder.parent
    while parent != parent.parent and (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts)


if __name__ == "__main__":
    sys.exit(main())
