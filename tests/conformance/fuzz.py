"""Schemathesis against a generated server: every check, positive and negative data.

The server is the same generated app and generic service as the round trip, now over TCP
on 127.0.0.1 (schemathesis speaks HTTP URLs), answering for each method the last value the
round trip drew for it. Operations the round trip could not drive (no answer to give) are
left out. Each operation gets ``CONFORMANCE_EXAMPLES`` positive and as many negative cases
through schemathesis' hypothesis strategies and ``case.call_and_validate`` with every
registered check (``--checks all``).

The document is read as the round trip's checker reads it: a discriminator whose values
name no schema is left out (the generated models read the branches' own values); and
without ``security``: the generated routes do not authenticate (the proxy does), so a
request without a credential is not negative data for them. The gate
is schemathesis' ``not_a_server_error`` and ``response_schema_conformance``, and that
every operation runs: one schemathesis cannot draw a request for fails it (TGI's served
document once held a 3.1 bound in 3.0, and nine operations went unfuzzed under a green
gate). An operation with nothing to make invalid (no parameters, no body) has no
negative cases; that is reported, not failed. Failures of the other checks are counted
and reported. On operations that stream, the
response-schema check is left to the round trip (which validates every event with the
document's dialect): schemathesis would validate the ``data: [DONE]`` terminator of the
wire format as an event.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode

from .corpus import Built, examples
from .schemas import unnamed_discriminators_dropped
from .serving import free_port, serving

GATE = {"not_a_server_error", "response_schema_conformance"}


@dataclass
class FuzzReport:
    cases: int = 0
    operations: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    no_invalid: list[str] = field(default_factory=list)
    """Operations with no input to make invalid (no parameters, no body): negative data
    cannot be drawn for them (hypothesis' ``Unsatisfiable``); their positive run counts."""

    def sorted(self) -> list[tuple[str, int]]:
        return sorted(self.failures.items())

    @property
    def gated(self) -> dict[str, int]:
        """The gate's failures; an operation schemathesis could not run fails it too (the
        gate would hold for it without a single request)."""
        found = {k: v for k, v in self.failures.items() if k in GATE}
        return found | ({"operation_not_run": len(self.errors)} if self.errors else {})

    def summary(self) -> str:
        parts = [f"{k} ×{v} (e.g. {self.examples[k][:120]})" for k, v in self.sorted()]
        failed = "; ".join(parts) or "none"
        text = f"{self.operations} operations, {self.cases} cases; failing checks: {failed}"
        if self.no_invalid:
            text += f"; {len(self.no_invalid)} operation(s) take no input to make invalid"
        if self.errors:
            text += f"; {len(self.errors)} operation(s) not run"
        return text


_SSE_SKIP = {"response_schema_conformance"}


def _streams(operation: Any) -> bool:
    responses = operation.definition.raw.get("responses") or {}
    return any(
        "text/event-stream" in ((r or {}).get("content") or {})
        for r in responses.values()
        if isinstance(r, dict)
    )


def _check_name(failure: Failure) -> str:
    names = getattr(type(failure), "checks", ()) or ()
    return names[0] if names else type(failure).__name__


def fuzz(built: Built, planner: Any, app: Any, driven: set[str]) -> FuzzReport:
    """Run schemathesis on ``app`` for the operations in ``driven`` (``METHOD /path``)."""
    # discriminators whose values name no schema read as the round trip's checker reads
    # them (schemas.unnamed_discriminators_dropped): OpenAI's ChatKit thread statuses
    doc = unnamed_discriminators_dropped(json.loads(json.dumps(built.result.services[0].openapi)))
    # the generated routes do not authenticate (the proxy does: docs/generator.md, Routes):
    # a request without a credential is no negative case for them
    _drop_security(doc)
    port = free_port()
    with serving(app, port=port):
        return fuzz_url(doc, f"http://127.0.0.1:{port}", driven, examples())


def fuzz_url(doc: dict[str, Any], base: str, driven: set[str] | None, count: int) -> FuzzReport:
    """Run schemathesis for ``doc``'s operations in ``driven`` (every one where ``None``)
    against the server at ``base``: ``count`` positive and as many negative cases each."""
    load_all_checks()
    checks = CHECKS.get_all()
    schema = schemathesis.openapi.from_dict(doc)
    report = FuzzReport()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):  # a schema error of this operation (was reported
                report.errors.append(str(result.err())[:200])  # as "Err has no .ok()")
                continue
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            if driven is not None and label not in driven:
                continue
            report.operations += 1
            chosen = [c for c in checks if not (_streams(operation) and c.__name__ in _SSE_SKIP)]
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    # mypy reads schemathesis as Python 3.10, which has no enum.StrEnum
                    strategy = operation.as_strategy(generation_mode=mode)  # type: ignore[arg-type]
                except Exception as exc:
                    _not_run(report, label, exc)
                    continue

                @settings(
                    max_examples=count,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def one(case: Any) -> None:  # run at once below: the loop variables hold
                    report.cases += 1
                    try:
                        case.call_and_validate(
                            base_url=base,
                            session=session,
                            checks=chosen,  # noqa: B023
                            timeout=30,
                        )
                    except Failure as failure:
                        _count(report, label, failure)  # noqa: B023
                    except BaseException as group:  # FailureGroup, a BaseExceptionGroup
                        failures = getattr(group, "exceptions", None)
                        if failures is None:
                            raise
                        for each in failures:
                            _count(report, label, each)  # noqa: B023

                try:
                    one()
                except Unsatisfiable as exc:
                    if mode is GenerationMode.NEGATIVE:
                        report.no_invalid.append(label)
                    else:
                        _not_run(report, label, exc)
                except Exception as exc:
                    _not_run(report, label, exc)
    return report


def _drop_security(doc: dict[str, Any]) -> None:
    """``doc`` without its security requirements, at its root and on every operation."""
    doc.pop("security", None)
    for item in (doc.get("paths") or {}).values():
        for operation in item.values() if isinstance(item, dict) else ():
            if isinstance(operation, dict):
                operation.pop("security", None)


def _not_run(report: FuzzReport, label: str, exc: BaseException) -> None:
    report.errors.append(f"{label}: {type(exc).__name__}: {str(exc)[:600]}")


def _count(report: FuzzReport, label: str, failure: BaseException) -> None:
    name = _check_name(failure) if isinstance(failure, Failure) else type(failure).__name__
    report.failures[name] += 1
    message = str(getattr(failure, "message", "") or getattr(failure, "title", failure))
    report.examples.setdefault(name, f"{label}: {message.splitlines()[0] if message else ''}")
