"""The JSON-Schema-Test-Suite share must not regress (figures in docs/json-schema.md)."""

from __future__ import annotations

from .conftest import require
from .json_schema_suite import SUITE, run, share

MEASURED = 1243 / 1299  # 95.7% with datamodel-code-generator 0.89, pydantic 2.14, checks on
SELF_CONTAINED = 1217 / 1250  # 97.4%: groups that need no document from the suite's remotes/
# keywords the JSON Schema checks enforce: these files agree fully
ENFORCED = (
    "not",
    "if-then-else",
    "contains",
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "propertyNames",
    "oneOf",
    "const",
    "enum",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "boolean_schema",
    "anchor",
)


def test_suite_agreement_share() -> None:
    require((SUITE / "draft2020-12").is_dir(), f"JSON-Schema-Test-Suite not found at {SUITE}")
    results = run()
    agree, total = share(results)
    own, own_total = share(results, self_contained=True)
    assert total > 1200 and own_total > 1200
    print(f"JSON-Schema-Test-Suite draft 2020-12: {agree}/{total} = {agree / total:.1%}")
    assert agree / total >= MEASURED - 0.005, f"agreement fell to {agree / total:.1%}"
    assert own / own_total >= SELF_CONTAINED - 0.005, f"fell to {own / own_total:.1%}"
    assert own / own_total >= 0.97
    by_file: dict[str, list[int]] = {}
    for r in results:
        counts = by_file.setdefault(r.file, [0, 0])
        counts[0] += r.agree
        counts[1] += r.total
    for name in ("content", "default", *ENFORCED):
        assert by_file[name][0] == by_file[name][1], (name, by_file[name])
