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


def _model_source(schema: Any) -> str:
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import Formatter, PythonVersion
    from ieops_gen.shapes import inline_root_models, split_nullable_enums_in_document

    if isinstance(schema, bool):
        schema = {} if schema else {"not": {}}
    output = generate(
        json.dumps(split_nullable_enums_in_document(schema)),
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
    return inline_root_models(output, keep={"SuiteModel"})


def run_group(file: str, group: dict[str, Any]) -> GroupResult:
    """Generate the group's model and check each of its instances."""
    tests = group["tests"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            module = types.ModuleType("suite_model")
            sys.modules[module.__name__] = module  # pydantic resolves annotations there
            exec(compile(_model_source(group["schema"]), "<suite>", "exec"), module.__dict__)
            model: TypeAdapter[Any] = TypeAdapter(module.SuiteModel)
        except Exception as exc:  # generation failures count as disagreement
            return GroupResult(
                file,
                group["description"],
                0,
                len(tests),
                f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}",
            )
    agree = 0
    for test in tests:
        try:
            model.validate_json(json.dumps(test["data"]))
            valid = True
        except Exception:
            valid = False
        agree += valid == test["valid"]
    return GroupResult(file, group["description"], agree, len(tests), None)


def _run_file(path: Path) -> list[GroupResult]:
    groups = json.loads(path.read_text())
    return [run_group(path.stem, group) for group in groups]


def run(files: list[Path] | None = None, workers: int = 2) -> list[GroupResult]:
    """Every group of ``files`` (default: the whole draft 2020-12 suite)."""
    paths = files or sorted((SUITE / "draft2020-12").glob("*.json"))
    with ProcessPoolExecutor(workers) as pool:
        return [r for results in pool.map(_run_file, paths) for r in results]


def main() -> None:
    results = run()
    agree = sum(r.agree for r in results)
    total = sum(r.total for r in results)
    per_file: dict[str, Counter[str]] = {}
    for r in results:
        counts = per_file.setdefault(r.file, Counter())
        counts["agree"] += r.agree
        counts["total"] += r.total
        counts["errors"] += r.error is not None
    print(f"agreement: {agree}/{total} = {agree / total:.1%}")
    for name, counts in sorted(per_file.items(), key=lambda kv: kv[1]["agree"] / kv[1]["total"]):
        share = counts["agree"] / counts["total"]
        print(
            f"  {name:28s} {counts['agree']:4d}/{counts['total']:<4d} {share:6.1%}"
            f"  generation failures: {counts['errors']}"
        )
    if "-v" in sys.argv:
        for r in results:
            if r.error:
                print(f"  {r.file}: {r.description}: {r.error}")


if __name__ == "__main__":
    main()
