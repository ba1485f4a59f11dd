"""JSON-Schema-Test-Suite (draft 2020-12) through the generator's model settings.

For every test group: schema -> Pydantic model (datamodel-code-generator with the options
``ieops_gen.models`` uses, shaped by ``ieops_gen.shapes`` as the generator does) -> validate
each instance with ``model_validate_json`` and compare with the suite's verdict. Run as
``python -m tests.generator.json_schema_suite`` for the per-file table;
``test_json_schema_suite.py`` checks the share does not regress.
"""

from __future__ import annotations

import json
import sys
import types
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

SUITE = Path(__file__).resolve().parents[3] / "shared" / "specs" / "json-schema-test-suite"


@dataclass
class GroupResult:
    """How one test group fared."""

    file: str
    description: str
    agree: int
    total: int
    error: str | None
    remote: bool = False  # the schema needs a document the snapshot lacks (remotes/)


def _model_source(schema: Any, checked: bool = True) -> str:
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import Formatter, PythonVersion
    from ieops_gen import checks
    from ieops_gen.shapes import inline_root_models, split_nullable_enums_in_document

    if isinstance(schema, bool):
        schema = {} if schema else {"not": {}}
    shaped = split_nullable_enums_in_document(schema)
    output = generate(
        json.dumps(checks.for_models(shaped) if checked else shaped),
        input_file_type=InputFileType.JsonSchema,
        output_model_type=DataModelType.PydanticV2BaseModel,
        target_python_version=PythonVersion.PY_310,
        formatters=[Formatter.BUILTIN],
        use_annotated=True,
        field_constraints=True,
        use_union_operator=True,
        use_standard_collections=True,
        set_default_enum_member=True,
        use_single_value_enum_as_const=True,
        strict_nullable=True,
        class_name="SuiteModel",
        disable_timestamp=True,
        allow_remote_refs=False,
    )
    assert isinstance(output, str)
    source = inline_root_models(output, keep={"SuiteModel"})
    if not checked or checks.trigger(schema, lambda ref: _resolve(schema, ref)) is None:
        return source
    if "SuiteModel" not in checks.model_classes(source):
        return source
    text = json.dumps({"$schema": checks.DIALECT, **schema}, ensure_ascii=False)
    return checks.attach(source, {"SuiteModel": ""}, text)


def _resolve(root: Any, ref: str) -> Any:
    """A local ``#/...`` reference inside the suite's schema, else ``None``."""
    if not ref.startswith("#"):
        return None
    node = root
    for token in ref[1:].split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def run_group(file: str, group: dict[str, Any], checked: bool = True) -> GroupResult:
    """Generate the group's model and check each of its instances."""
    tests = group["tests"]
    remote = _needs_remote(group["schema"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = types.ModuleType("suite_model")
            sys.modules[module.__name__] = module  # pydantic resolves annotations there
            source = _model_source(group["schema"], checked)
            exec(compile(source, "<suite>", "exec"), module.__dict__)
            model: TypeAdapter[Any] = TypeAdapter(module.SuiteModel)
        except Exception as exc:  # generation failures count as disagreement
            return GroupResult(
                file,
                group["description"],
                0,
                len(tests),
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}",
                remote,
            )
    agree = 0
    for test in tests:
        try:
            model.validate_json(json.dumps(test["data"]))
            valid = True
        except Exception:
            valid = False
        agree += valid == test["valid"]
    return GroupResult(file, group["description"], agree, len(tests), None, remote)


def _needs_remote(schema: Any) -> bool:
    """Whether a reference validator cannot even compile ``schema`` without fetching.

    The suite's ``remotes/`` folder (served at ``http://localhost:1234/``) and the
    metaschemas are not in the snapshot; nothing is ever fetched.
    """
    import jsonschema_rs
    from gmi_ieops.schema import refuse

    try:
        jsonschema_rs.validator_for(schema, validate_formats=False, retriever=refuse)
    except Exception as exc:
        return "not fetched" in str(exc) or "Unknown meta-schema" in str(exc)
    return False


def _run_file(job: tuple[Path, bool]) -> list[GroupResult]:
    path, checked = job
    groups = json.loads(path.read_text())
    return [run_group(path.stem, group, checked) for group in groups]


def run(
    files: list[Path] | None = None, workers: int = 2, checked: bool = True
) -> list[GroupResult]:
    """Every group of ``files`` (default: the whole draft 2020-12 suite).

    ``checked=False`` generates models as before JSON Schema checks existed (for the
    before/after comparison in docs/json-schema.md).
    """
    paths = files or sorted((SUITE / "draft2020-12").glob("*.json"))
    with ProcessPoolExecutor(workers) as pool:
        jobs = [(path, checked) for path in paths]
        return [r for results in pool.map(_run_file, jobs) for r in results]


def share(results: list[GroupResult], self_contained: bool = False) -> tuple[int, int]:
    """(agreeing, total) tests; ``self_contained`` leaves out groups that need remotes."""
    kept = [r for r in results if not (self_contained and r.remote)]
    return sum(r.agree for r in kept), sum(r.total for r in kept)


def _per_file(results: list[GroupResult]) -> dict[str, Counter[str]]:
    per_file: dict[str, Counter[str]] = {}
    for r in results:
        counts = per_file.setdefault(r.file, Counter())
        counts["agree"] += r.agree
        counts["total"] += r.total
        counts["errors"] += r.error is not None
        counts["remote"] += r.total if r.remote else 0
        counts["remote agree"] += r.agree if r.remote else 0
    return per_file


def _pct(agree: int, total: int) -> str:
    return f"{agree / total:.1%}" if total else "-"


def markdown(before: list[GroupResult], after: list[GroupResult]) -> str:
    """The per-keyword table of docs/json-schema.md."""
    old, new = _per_file(before), _per_file(after)
    a0, t0 = share(before)
    a1, t1 = share(after)
    s0, u0 = share(before, self_contained=True)
    s1, u1 = share(after, self_contained=True)
    lines = [
        "| keyword file | tests | before | after | needs remotes | generation failures |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in sorted(new):
        b, c = old[name], new[name]
        lines.append(
            f"| {name} | {c['total']} | {b['agree']} ({_pct(b['agree'], b['total'])}) "
            f"| {c['agree']} ({_pct(c['agree'], c['total'])}) | {c['remote'] or ''} "
            f"| {c['errors'] or ''} |"
        )
    lines += [
        f"| **all** | {t1} | {a0} ({_pct(a0, t0)}) | **{a1} ({_pct(a1, t1)})** | "
        f"{t1 - u1} | {sum(c['errors'] for c in new.values())} |",
        f"| **self-contained** | {u1} | {s0} ({_pct(s0, u0)}) | **{s1} ({_pct(s1, u1)})** | 0 | |",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    after = run()
    agree, total = share(after)
    own, own_total = share(after, self_contained=True)
    print(f"agreement: {agree}/{total} = {agree / total:.1%}")
    print(f"self-contained groups (no remotes/ needed): {own}/{own_total} = {own / own_total:.1%}")
    per_file = _per_file(after)
    for name, counts in sorted(per_file.items(), key=lambda kv: kv[1]["agree"] / kv[1]["total"]):
        print(
            f"  {name:28s} {counts['agree']:4d}/{counts['total']:<4d} "
            f"{counts['agree'] / counts['total']:6.1%}"
            f"  generation failures: {counts['errors']}  needing remotes: {counts['remote']}"
        )
    if "-v" in sys.argv:
        for r in after:
            if r.error:
                print(f"  {r.file}: {r.description}: {r.error}")
    if "--markdown" in sys.argv:
        target = Path(sys.argv[sys.argv.index("--markdown") + 1])
        table = markdown(run(checked=False), after)
        text = target.read_text(encoding="utf-8")
        begin, end = "<!-- suite table: begin -->\n", "<!-- suite table: end -->"
        head, rest = text.split(begin, 1)
        target.write_text(head + begin + table + end + rest.split(end, 1)[1], encoding="utf-8")
        print(f"wrote the table into {target}")


if __name__ == "__main__":
    main()
