"""What a JSON Schema check costs a model that has one (docs/json-schema.md).

The same Pydantic model, with and without the ``model_validator`` ieops-gen attaches when
a schema uses keywords the model cannot express (here ``dependentRequired`` and ``not``),
validates the same JSON body; rounds alternate and the best round counts. Models whose
schemas use no such keyword get no validator, so their cost is unchanged by construction.
Run: ``python bench/json_schema_bench.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runtime"))

from gmi_ieops.schema import JsonSchemaCheck
from pydantic import BaseModel

DOCUMENT = json.dumps(
    {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {
            "Request": {
                "type": "object",
                "required": ["model", "input"],
                "properties": {
                    "model": {"type": "string"},
                    "input": {"type": "array", "items": {"type": "string"}},
                    "user": {"type": "string"},
                    "dimensions": {"type": "integer"},
                },
                "dependentRequired": {"dimensions": ["model"]},
                "not": {"required": ["user", "dimensions"]},
            }
        },
    }
)
CHECK = JsonSchemaCheck(DOCUMENT)


class Plain(BaseModel):
    model: str
    input: list[str]
    user: str | None = None
    dimensions: int | None = None


class Checked(Plain):
    _check_json_schema = CHECK.before("/$defs/Request")  # as ieops-gen writes it


def _per_call(model: type[BaseModel], body: bytes, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        model.model_validate_json(body)
    return (time.perf_counter() - start) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--smoke", action="store_true", help="tiny counts: check it still runs")
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.calls = 1, 50
    for texts in (2, 256):
        body = json.dumps({"model": "e", "input": ["the quick brown fox"] * texts}).encode()
        Checked.model_validate_json(body)  # compile once, outside the timing
        best = {"plain": float("inf"), "checked": float("inf")}
        for _ in range(args.rounds):
            best["plain"] = min(best["plain"], _per_call(Plain, body, args.calls))
            best["checked"] = min(best["checked"], _per_call(Checked, body, args.calls))
        print(
            f"{len(body):6d}-byte body: plain {best['plain'] * 1e6:7.2f} us, "
            f"checked {best['checked'] * 1e6:7.2f} us "
            f"(+{best['checked'] * 1e6 - best['plain'] * 1e6:.2f} us, "
            f"x{best['checked'] / best['plain']:.2f})"
        )


if __name__ == "__main__":
    main()
