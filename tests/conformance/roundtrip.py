"""Drive every operation of a built document through its generated sync and async clients.

For each operation form (JSON, stream, SSE, WebSocket) hypothesis draws, from the bundled
``openapi.json``: parameter values (every location), a request body, and the answer the
generic service will give. The harness then checks, per call:

- the service method received exactly the typed values the client was given (each
  parameter, the body, which fields were set);
- the client returned exactly what the service answered;
- the status is one the operation declares;
- the body bytes (or every SSE event) validate against the document's schema with a real
  JSON Schema validator in the document's dialect (``schemas.Checker``);
- a response without content has no body;
- the client's one pooled connection is still the one in use (the connection stayed usable).

A value the *models* refuse although the schema allows it is a model-level finding, not a
wire mismatch: it is counted (``rejected``) and that example is skipped.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pydantic
from gmi_ieops.client._wire import render_path, simple, styled
from gmi_ieops.routing import _request
from gmi_ieops.routing._dispatch import compile_template, concrete_first
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException, Unsatisfiable
from ieops_gen import declared_errors
from ieops_gen import media as files_media

from tests.support.query_oracle import container, untyped

from . import budget, generic
from . import schemas as S
from .corpus import Built, examples
from .serving import Capture, serving

_HEADER_TEXT = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
_JSON_MEDIA = ("application/json",)
_LOCATION = r"(https://[a-z]{1,8}\.example)?/[A-Za-z0-9._~/%-]{0,20}(\?[A-Za-z0-9=&%-]{0,12})?"


@dataclass
class OpReport:
    """The outcome of one operation form."""

    label: str
    form: str
    cases: int = 0
    no_body: int = 0  # cases that left an optional request body out
    rejected: int = 0
    dropped: int = 0  # bodies refused once their undeclared properties were dropped
    ambiguous: int = 0  # drawn URLs another operation's template matches too
    draws: int = 0  # test cases hypothesis started, valid or not
    first: int = 0  # the draw that gave the first valid case
    failed: int = 0
    mismatches: list[str] = field(default_factory=list)
    skipped: str = ""
    seconds: float = 0.0


@dataclass
class DocReport:
    ops: list[OpReport] = field(default_factory=list)
    fuzz: Any = None
    invalid: list[str] = field(default_factory=list)  # schemas of the served document

    @property
    def cases(self) -> int:
        return sum(o.cases for o in self.ops)

    @property
    def mismatches(self) -> list[str]:
        served = [f"openapi.json: {problem}" for problem in self.invalid]
        return served + [f"{o.label} [{o.form}]: {m}" for o in self.ops for m in o.mismatches]


def _json_media(content: dict[str, Any]) -> str | None:
    for media in content:
        base = media.split(";", 1)[0].strip().lower()
        if base in _JSON_MEDIA or base.endswith("+json") or base == "*/*":
            return media
    return None


def _header_safe(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_HEADER_TEXT.fullmatch(value)) and "," not in value
    if isinstance(value, list):
        return all(_header_safe(v) for v in value)
    if isinstance(value, dict):
        return all(_header_safe(k) and _header_safe(v) for k, v in value.items())
    return True


def _path_safe(value: Any) -> bool:
    if isinstance(value, str):
        return value not in ("", ".", "..")
    if isinstance(value, list):
        return bool(value) and all(_path_safe(v) and "," not in str(v) for v in value)
    if isinstance(value, dict):
        return all(_path_safe(k) and _path_safe(v) for k, v in value.items())
    return True


def _query_safe(value: Any) -> bool:
    if isinstance(value, list):
        return all(_query_safe(v) and "," not in str(v) for v in value)
    if isinstance(value, dict):
        return all("," not in str(k) and _query_safe(v) for k, v in value.items())
    return True


def _wire(value: Any) -> Any:
    """A comparable view: models with the fields that were set, enums by value."""
    if isinstance(value, pydantic.BaseModel):
        return [type(value).__name__, value.model_dump(mode="json")]
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return ["bytes", bytes(value).hex()]
    return pydantic.TypeAdapter(Any).dump_python(value, mode="json")


class Document:
    """One built document being driven."""

    def __init__(self, built: Built, sock_dir: Path) -> None:
        self.built = built
        self.service = built.result.services[0]
        self.models = built.result.models[self.service.module]
        self.mods = {k.split(".", 1)[1]: v for k, v in built.modules.items()}
        self.doc: dict[str, Any] = json.loads(json.dumps(self.service.openapi))
        self.checker = S.Checker(self.doc)
        self.planner = generic.Planner()
        self.sock = sock_dir / "s.sock"

    # -- planning ---------------------------------------------------------------------

    def model(self, name: str | None) -> Any:
        return getattr(self.mods["models"], name) if name else None

    def raw_op(self, op: Any) -> dict[str, Any]:
        return S.pointer(self.doc, "#" + op.pointer) or {}

    def raw_params(self, op: Any) -> list[dict[str, Any]]:
        path_item = S.deref(self.doc, S.pointer(self.doc, "#" + op.pointer.rsplit("/", 1)[0]))
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for owner in (path_item or {}, self.raw_op(op)):
            for param in owner.get("parameters", []) or []:
                param = S.deref(self.doc, param)
                merged[(param["name"], param["in"])] = param
        return list(merged.values())

    def response_pointer(self, op: Any, media_kind: str) -> tuple[str | None, bool]:
        """(pointer to the schema of the success response's ``media_kind``, has content)."""
        responses = self.raw_op(op).get("responses") or {}
        code = str(op.status_code) if str(op.status_code) in responses else None
        if code is None:
            codes = sorted(c for c in responses if c[:1] == "2")
            code = codes[0] if codes else None
        if code is None:
            return None, False
        return self.content_pointer(op, code, media_kind)

    def error_pointer(self, op: Any, status: int) -> str | None:
        """The pointer to the JSON schema an error status is answered with, if declared
        (the status, its class, else ``default`` beside a declared success) and if the
        generator fitted the runtime's errors to it: a body it warned it cannot fill
        (Deepgram's required ``metadata``) is left out, as the warning says."""
        responses = self.raw_op(op).get("responses") or {}
        keys = (str(status), f"{status // 100}XX", "default")
        key = next((k for k in keys if k in responses), None)
        if key is None or (key == "default" and not any(str(k)[:1] == "2" for k in responses)):
            return None
        fitted = declared_errors.fit(self.doc, self.raw_op(op), op.pointer)
        if any(at.endswith("/responses/" + S.escape(key)) for at, _ in fitted.problems):
            return None
        at = self.content_pointer(op, key, "json")[0]
        return at if at is not None and S.pointer(self.doc, "#" + at) is not None else None

    def content_pointer(self, op: Any, code: str, media_kind: str) -> tuple[str | None, bool]:
        """(pointer to the schema of response ``code``'s ``media_kind``, has content)."""
        responses = self.raw_op(op).get("responses") or {}
        at = op.pointer + "/responses/" + S.escape(code)
        node = responses[code]
        for _ in range(8):
            if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                at = node["$ref"][1:]
                node = S.pointer(self.doc, node["$ref"])
        content = (node or {}).get("content") or {}
        if not content:
            return None, False
        if media_kind == "sse":
            sse = content.get("text/event-stream")
            if not isinstance(sse, dict):
                return None, True
            key = "itemSchema" if "itemSchema" in sse else "schema"
            return at + "/content/text~1event-stream/" + key, True
        media = _json_media(content)
        if media is None:
            return None, True
        return at + "/content/" + S.escape(media) + "/schema", True

    def declared(self, op: Any, status: int) -> bool:
        return declared(self.raw_op(op).get("responses") or {}, status)

    # -- driving ----------------------------------------------------------------------

    def run(self, fuzz: bool = False) -> DocReport:
        from ieops_gen.emit import _client_methods

        report = DocReport(invalid=S.invalid_schemas(self.doc))
        kinds: dict[str, str] = {}
        for op in self.service.operations:
            kinds[op.method_name] = {"ws": "ws", "sse": "sse"}.get(op.kind, "api")
            if op.stream_method_name:
                kinds[op.stream_method_name] = "sse"
        service_class = getattr(self.mods["service"], self.service.class_name)
        instance = generic.build(service_class, kinds, self.planner)
        app = Capture(self.mods["routes"].create_app(instance))
        self.capture = app
        methods = _client_methods(self.service, self.models)
        with serving(app, uds=self.sock):
            url = f"unix://{self.sock}"
            transport = httpx.HTTPTransport(uds=str(self.sock))
            atransport = httpx.AsyncHTTPTransport(uds=str(self.sock))
            # one connection, never expired by the client: a new one means the server closed it
            limits = httpx.Limits(
                max_connections=1, max_keepalive_connections=1, keepalive_expiry=None
            )
            loop = asyncio.new_event_loop()
            with httpx.Client(transport=transport, limits=limits, timeout=30) as http:
                ahttp = httpx.AsyncClient(transport=atransport, limits=limits, timeout=30)
                client = self.mods["client"].Client(url, http_client=http, retries=0)
                aclient = self.mods["client"].AsyncClient(url, http_client=ahttp, retries=0)
                try:
                    probed: set[str] = set()
                    for cm in methods:
                        rep = self.drive(cm, client, aclient, loop)
                        if cm.op.label not in probed and _takes_json(cm.op):
                            probed.add(cm.op.label)
                            rep.mismatches.extend(self.probe_errors(cm.op, http))
                        report.ops.append(rep)
                finally:
                    loop.run_until_complete(ahttp.aclose())
                    loop.close()
        if fuzz:
            from .fuzz import fuzz as run_fuzz

            driven = {
                f"{cm.op.http_method} {_path_key(cm.op.pointer)}"
                for cm, rep in zip(methods, report.ops, strict=True)
                if rep.cases and not rep.mismatches and cm.call != "_websocket"
            }
            failed = {
                f"{cm.op.http_method} {_path_key(cm.op.pointer)}"
                for cm, rep in zip(methods, report.ops, strict=True)
                if not rep.cases or rep.mismatches
            }
            report.fuzz = run_fuzz(self.built, self.planner, app.app, driven - failed)
        return report

    def probe_errors(self, op: Any, http: httpx.Client) -> list[str]:
        """A malformed JSON body, answered by the runtime itself (400, or 422 for a path
        or query parameter it checks first): the error body must be the one the operation
        declares for that status (``gmi_ieops.typed.DeclaredErrors``), and the connection
        stays usable."""
        path = re.sub(r"\{[^}/]+\}", "1", op.path)
        self.capture.take()
        response = http.request(
            op.http_method,
            "http://localhost" + path,
            content=b'{"malformed": ',
            headers={"content-type": "application/json"},
        )
        # the app records the exchange a moment after the client has the answer: wait for
        # it here, or it lands in the next call's exchanges ("2 exchanges for one call")
        self.capture.wait(1)
        if response.status_code < 400:
            return []
        pointer = self.error_pointer(op, response.status_code)
        if pointer is None:
            return []
        try:
            body = response.json()
        except ValueError:
            return [f"error {response.status_code}: not JSON: {response.text[:120]!r}"]
        errors = self.checker.errors(pointer, body)
        if errors:
            return [f"error {response.status_code} {body!r:.160} breaks {pointer}: {errors[0]}"]
        return []

    def drive(
        self, cm: Any, client: Any, aclient: Any, loop: asyncio.AbstractEventLoop
    ) -> OpReport:
        op = cm.op
        form = {
            "_websocket": "ws",
            "_stream": "sse" if op.kind == "sse" else "stream",
            "_download": "download",
        }.get(cm.call, "json")
        rep = OpReport(op.label, form)
        start = time.perf_counter()
        try:
            return self._drive(cm, client, aclient, loop, rep, form)
        finally:
            rep.seconds = time.perf_counter() - start

    def _drive(
        self,
        cm: Any,
        client: Any,
        aclient: Any,
        loop: asyncio.AbstractEventLoop,
        rep: OpReport,
        form: str,
    ) -> OpReport:
        op = cm.op
        service_method = op.stream_method_name if form == "stream" else op.method_name
        try:
            plan = self.prepare(cm, form)
        except Exception as exc:
            rep.skipped = f"cannot draw: {type(exc).__name__}: {str(exc)[:200]}"
            return rep

        @settings(
            max_examples=examples(),
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def one(data: st.DataObject) -> None:
            case = self.draw(data, plan, rep)
            self.planner.plan(service_method, case["answer"])
            cases = [case]
            if not op.body_required and case["body"] is not None:
                # requestBody.required: false: every example is also sent without its body
                cases.append({**case, "body": None, "no_body": True})
            for one_case, is_async in [(c, a) for c in cases for a in (False, True)]:
                rep.cases += 1
                rep.no_body += one_case["no_body"]
                problem = self.call(
                    cm, form, one_case, client, aclient, loop, is_async, service_method
                )
                if problem:
                    rep.failed += 1
                    if len(rep.mismatches) < 3:
                        where = ("async" if is_async else "sync") + (
                            " (no body)" if one_case["no_body"] else ""
                        )
                        rep.mismatches.append(f"{where}: {problem[:400]}")

        try:
            with budget.cpu_budget(budget.seconds(), lambda: not rep.cases):
                one()
        except budget.OutOfTime:
            rep.skipped = f"no case drawn within {budget.seconds():g} s of CPU"
        except _GiveUp:
            rep.skipped = f"the models refused {rep.rejected} schema-valid values"
        except Unsatisfiable:
            if not rep.cases:
                rep.skipped = self.none_accepted(plan)
        except HypothesisException as exc:
            if not rep.cases and rep.draws > _DRAW_BUDGET * examples():
                # the budget's rejection drew nothing where earlier draws drew: hypothesis
                # calls that inconsistent (FlakyStrategyDefinition); it is the budget's end
                rep.skipped = self.none_accepted(plan)
            else:
                rep.skipped = f"hypothesis: {type(exc).__name__}: {str(exc)[:200]}"
        except Exception as exc:
            if not rep.cases:
                rep.skipped = f"cannot draw: {type(exc).__name__}: {str(exc)[:200]}"
            else:
                rep.mismatches.append(f"harness: {type(exc).__name__}: {str(exc)[:300]}")
        return rep

    def none_accepted(self, plan: dict[str, Any]) -> str:
        """Why no case was drawn: the request body's or the answer's schema admits no value
        at all (a ``type`` that contradicts every ``oneOf`` member, closed ``allOf`` members
        that forbid each other's properties, a closed object requiring a name it does not
        declare; the generator warns), else a model gap."""
        schema = plan.get("body_schema")
        if schema is not None and S.admits_nothing(self.doc, schema):
            return "its request body's schema admits no JSON value"
        at = plan.get("answer_at")
        answer = S.pointer(self.doc, "#" + at) if "answer" in plan and at else None
        if answer is not None and S.admits_nothing(self.doc, answer):
            return f"its answer's schema ({at}) admits no JSON value"
        if answer is not None and S.overlaps_where_kept(self.doc, answer):
            # the generator warns: the models keep only declared properties
            return (
                f"its answer's schema ({at}) is a oneOf whose members overlap on every value "
                "the models keep"
            )
        return "no schema-valid example the models accept"

    def prepare(self, cm: Any, form: str) -> dict[str, Any]:
        op = cm.op
        plan: dict[str, Any] = {"params": [], "op": op, "form": form, "cm": cm}
        raw_params = {(p["name"], p["in"]): p for p in self.raw_params(op)}
        free, claimed = _query_objects(self.model(op.params_model), op.parameters)
        plan["free"] = free
        plan["kinds"] = _request._value_kinds(self.model(op.params_model)) if free else {}
        shapes = _request._shapes(self.model(op.params_model)) if op.params_model else {}
        plan["untyped"], plan["mixed"] = (
            {
                p.name
                for p in op.parameters
                if p.location == "query" and shapes.get(p.python_name, ("",))[0] == shape
            }
            for shape in ("any", "mixed")
        )
        # the templates the server tries before this one (its order: concrete_first, then
        # declared), and this one's own
        ops = self.service.operations
        order = {o.path: (concrete_first(o.path), i) for i, o in reversed(list(enumerate(ops)))}
        plan["rivals"] = [
            compile_template(other.path)[0]
            for other in ops
            if other.http_method == op.http_method
            and "{" in other.path
            and order[other.path] < order[op.path]
        ]
        plan["template"] = compile_template(op.path) if "{" in op.path else None
        for param in op.parameters:
            raw = raw_params[(param.name, param.location)]
            schema = raw.get("schema")
            if schema is None:
                content = raw.get("content") or {}
                schema = next((v.get("schema", {}) for v in content.values()), {})
            kwargs = {"codec": "ascii"} if param.location in ("header", "cookie") else {}
            strategy = S.strategy(self.doc, schema, **kwargs)
            safe = {"header": _header_safe, "path": _path_safe, "cookie": _header_safe}.get(
                param.location, _query_safe
            )
            strategy = strategy.filter(safe)
            if param.required and param.location in ("query", "header"):
                # an empty array (or object) serialises to nothing in every OpenAPI style:
                # on the wire it is the parameter's absence, which a required one cannot be
                strategy = strategy.filter(lambda v: v != [] and v != {})
            if param.name in free:  # keys another parameter claims would go to it
                strategy = strategy.filter(functools.partial(_unclaimed, claimed=claimed))
            if not param.required:
                strategy = st.none() | strategy
            plan["params"].append((param, strategy))
            if _either(self.doc, schema):
                plan.setdefault("either", set()).add(param.name)
            if _scalar_kinds(self.doc, schema) - {"null"} > {"string"}:
                plan.setdefault("texts", set()).add(param.name)
        if op.body_kind in ("form", "binary"):
            self.prepare_files(op, plan)
        elif op.body_model:
            body = S.deref(self.doc, self.raw_op(op).get("requestBody")) or {}
            content = body.get("content") or {}
            media = _json_media(content)
            if media is None and op.body_kind == "urlencoded":
                media = next(m for m in content if files_media.base(m) == files_media.URLENCODED)
            plan["body_schema"] = content[media].get("schema") if media else {}
            plan["body"] = S.strategy(self.doc, plan["body_schema"])
            raw_body = self.raw_op(op).get("requestBody") or {}
            at = raw_body["$ref"][1:] if isinstance(raw_body.get("$ref"), str) else None
            at = at or op.pointer + "/requestBody"
            if media and media in content and "schema" in content[media]:
                plan["body_at"] = at + "/content/" + S.escape(media) + "/schema"
        if form == "ws":
            ws = self.raw_op(op)["x-ieops-websocket"]
            plan["send"] = S.strategy(self.doc, ws["receive"])
            plan["answer"] = S.strategy(self.doc, ws["send"])
            plan["answer_at"] = op.pointer + "/x-ieops-websocket/send"
        elif form in ("sse", "stream"):
            at, _ = self.response_pointer(op, "sse")
            schema = S.pointer(self.doc, "#" + at) if at else None
            if schema is None:
                at = None  # an event stream without a schema (only examples): nothing to check
            plan["answer_at"] = at
            plan["answer"] = st.lists(S.strategy(self.doc, schema or {}), max_size=2)
        elif op.redirect:  # the service returns the target; the client gets it back
            plan["answer_at"] = None
            plan["has_content"] = False
            plan["answer"] = st.from_regex(_LOCATION, fullmatch=True)
        elif op.response_media and (form == "download" or op.response_model is None):
            plan["answer_at"] = None
            plan["has_content"] = True
            plan["answer"] = st.text() if files_media.is_text(op.response_media) else st.binary()
        else:
            at, has_content = self.response_pointer(op, "json")
            schema = S.pointer(self.doc, "#" + at) if at else None
            if schema is None:
                at = None  # media without a schema (only examples): any JSON, nothing to check
            plan["answer_at"] = at
            plan["has_content"] = has_content and op.response_model is not None
            if op.response_model is not None and has_content:
                plan["answer"] = S.strategy(self.doc, schema if schema is not None else {})
        return plan

    def prepare_files(self, op: Any, plan: dict[str, Any]) -> None:
        """Strategies for a form's fields and files, or a binary body (media.py)."""
        body = S.deref(self.doc, self.raw_op(op).get("requestBody")) or {}
        content = body.get("content") or {}
        if op.body_kind == "binary":
            plan["binary"] = st.binary(max_size=4096)
            return
        entry = content[files_media.form_media(content) or ""]
        rest, _ = files_media.split_form(self.doc, entry, set())
        if rest is not None and op.body_model:
            lists = [
                k
                for k, v in rest["properties"].items()
                if (S.deref(self.doc, v) or {}).get("type") == "array"
            ]
            # an empty array sends no part: the same as leaving the field out
            plan["form_fields"] = S.strategy(self.doc, rest).filter(
                lambda v: all(v.get(k) != [] for k in lists)
            )
        files = []
        for part in op.form_files:
            ctype = next((t for t in part.content_types if "*" not in t), None)
            if ctype is None and part.content_types:
                ctype = part.content_types[0].replace("*", "x-any")
            one = st.tuples(
                st.from_regex(r"[a-z]{1,8}\.bin", fullmatch=True),
                st.binary(max_size=2048),
                st.just(ctype or "application/octet-stream"),
            )
            strategy: Any = st.lists(one, min_size=1, max_size=3) if part.repeated else one
            if not part.required:
                strategy = st.none() | strategy
            files.append((part, strategy))
        plan["files"] = files

    def draw_files(
        self, data: st.DataObject, plan: dict[str, Any], cm: Any, case: dict[str, Any]
    ) -> None:
        """Arguments and the expected keywords of an upload."""
        op = plan["op"]
        if "binary" in plan:
            raw = data.draw(plan["binary"])
            concrete = [m for m in op.body_media if "*" not in m]
            case["file_args"] = [raw]
            case["expected"]["body"] = (
                "file",
                None,
                concrete[0] if concrete else "application/octet-stream",
                raw,
            )
            return
        case["file_args"] = []
        if "form_fields" in plan:
            drawn = data.draw(plan["form_fields"])
            model = self.model(op.body_model).model_validate(drawn)
            # a form cannot say null (docs/files.md): such a field is left out, and the
            # server's model gives it its default (portkey's images/edits `size`)
            sent = {k: v for k, v in drawn.items() if v is not None}
            case["expected"]["body"] = self.model(op.body_model).model_validate(sent)
            if cm.has_body:
                case["file_args"] = [model]
            else:
                for name in model.model_fields_set:
                    case["args"][name] = getattr(model, name)
        for part, strategy in plan["files"]:
            drawn = data.draw(strategy)
            if drawn is None:
                case["expected"][part.python_name] = [] if part.repeated else None
                continue
            case["args"][part.python_name] = drawn
            items = drawn if part.repeated else [drawn]
            wanted = [("file", name, ctype, raw) for name, raw, ctype in items]
            case["expected"][part.python_name] = wanted if part.repeated else wanted[0]

    def draw(self, data: st.DataObject, plan: dict[str, Any], rep: OpReport) -> dict[str, Any]:
        # The budget is kept here, not in the test function: hypothesis seeds its derandomized
        # draws from that function's source. Past the budget the draw is rejected before it
        # draws anything, which ends hypothesis' search (reported below).
        rep.draws += 1
        if not rep.cases and rep.draws > _DRAW_BUDGET * examples():
            reject()
        op = plan["op"]
        case: dict[str, Any] = {}
        wire: dict[str, Any] = {}
        for param, strategy in plan["params"]:
            value = data.draw(strategy)
            if value is not None:
                wire[param.name] = value
        params_model = self.model(op.params_model)
        try:
            typed = params_model.model_validate(wire) if params_model else None
            if plan["template"] and _ambiguous(plan, typed):
                # the URL is also one of another operation's (``{slug}`` and ``{slug}-{id}``),
                # or splits another way (a dash in ``{slug}-{id}``'s slug): the wire cannot say
                # which is meant. The runtime's order is tested on its own (test_route_order)
                rep.ambiguous += 1
                reject()
            arrives = typed
            if params_model and _arriving(plan, wire, typed) != wire:
                arrives = params_model.model_validate(_arriving(plan, wire, typed))
            body = None
            if "body" in plan:
                drawn_body = data.draw(plan["body"])
                if plan.get("body_at") and self.checker.errors(
                    plan["body_at"], drawn_body, request=True
                ):
                    # drawn from a draft-7 reading (hypothesis-jsonschema), the schema's own
                    # dialect refuses it (``unevaluatedProperties``): no case, no model gap
                    reject()
                body = self.model(op.body_model).model_validate(drawn_body)
                if op.body_kind == "urlencoded" and _sends_nothing(body):
                    reject()
                if plan.get("body_at") and self.checker.errors(
                    plan["body_at"], _sent(body), request=True
                ):
                    if _undeclared(drawn_body, body):
                        # the model dropped the open object's undeclared properties and
                        # what it sends breaks the schema (minProperties): the documented
                        # choice (docs/generator.md, "Undeclared properties"), named apart
                        rep.dropped += 1
                        reject()
                    raise _ModelGap()  # any other difference: a model gap
            answer: Any = None
            if "answer" in plan:
                drawn = data.draw(plan["answer"])
                if op.kind == "ws":
                    answer = self.model(op.ws_send_model).model_validate(drawn)
                    case["send"] = self.model(op.ws_receive_model).model_validate(
                        data.draw(plan["send"])
                    )
                elif plan["form"] in ("sse", "stream"):
                    event = self.model(op.event_model)
                    answer = [event.model_validate(e) for e in drawn]
                elif op.response_model and plan["form"] != "download":
                    if plan.get("answer_at") and self.checker.errors(plan["answer_at"], drawn):
                        # as for a body: drawn from a draft-7 reading, refused by the
                        # schema's own dialect (``unevaluatedProperties``): no case, no gap
                        reject()
                    answer = self.model(op.response_model).model_validate(drawn)
                else:  # a binary or text response
                    answer = drawn
        except (pydantic.ValidationError, _ModelGap):
            rep.rejected += 1
            if rep.rejected > _REJECT_BUDGET * examples():
                raise _GiveUp() from None
            reject()
        case["args"] = {}
        case["expected"] = {}
        for param, _ in plan["params"]:
            value = getattr(typed, param.python_name)
            case["expected"][param.python_name] = getattr(arrives, param.python_name)
            if param.name in wire:
                case["args"][param.python_name] = value
        case["body"] = body
        case["no_body"] = False
        case["answer"] = answer
        case["plan"] = plan
        if op.body_kind in ("form", "binary"):
            try:
                self.draw_files(data, plan, plan["cm"], case)
            except pydantic.ValidationError:
                rep.rejected += 1
                if rep.rejected > _REJECT_BUDGET * examples():
                    raise _GiveUp() from None
                reject()
        rep.first = rep.first or rep.draws
        return case

    def call(
        self,
        cm: Any,
        form: str,
        case: dict[str, Any],
        client: Any,
        aclient: Any,
        loop: asyncio.AbstractEventLoop,
        is_async: bool,
        service_method: str,
    ) -> str | None:
        self.capture.take()
        self.planner.take()
        args = [case["body"]] if case["body"] is not None else list(case.get("file_args", []))
        kwargs = case["args"]
        try:
            if is_async:
                got = loop.run_until_complete(self._acall(cm, form, case, aclient, args, kwargs))
                pool = aclient._http._transport._pool
            else:
                got = self._call(cm, form, case, client, args, kwargs)
                pool = client._http._transport._pool
        except Exception as exc:
            return f"call failed: {type(exc).__name__}: {str(exc)[:300]}"
        calls = self.planner.take()
        exchanges = self.capture.wait(1) if form != "ws" else []
        if len(calls) != 1 or calls[0].method != service_method:
            return f"service calls {[c.method for c in calls]}, expected [{service_method}]"
        received = calls[0]
        for name, value in case["expected"].items():
            if _wire(received.kwargs.get(name)) != _wire(value):
                return f"param {name}: sent {value!r}, server got {received.kwargs.get(name)!r}"
        if case["body"] is not None:
            expected = self.expected_body(cm, form, case["body"])
            if _wire(received.kwargs.get("body")) != _wire(expected):
                return (
                    f"body: sent {_wire(expected)!r:.300}, server got "
                    f"{_wire(received.kwargs.get('body'))!r:.300}"
                )
        elif case.get("no_body"):
            if received.kwargs.get("body") is not None:
                return f"no body sent, server got {_wire(received.kwargs.get('body'))!r:.300}"
            sent = exchanges[0].request_headers if exchanges else {}
            if sent.get("content-type") or sent.get("content-length", "0") != "0":
                return f"no body to send, but the request had {sent!r:.300}"
        if form == "ws" and _wire(received.messages[:1]) != _wire([case["send"]]):
            return f"ws message: sent {case['send']!r:.200}, got {received.messages!r:.200}"
        if form == "download" and isinstance(case["answer"], str):
            got = got.decode()
        if _wire(got) != _wire(case["answer"]):
            sent = _wire(case["answer"])
            return f"answer: server sent {sent!r:.300}, client got {_wire(got)!r:.300}"
        if form != "ws":
            problem = self.check_exchange(cm.op, form, case, exchanges)
            if problem:
                return problem
            # The connection the call used must still be pooled and idle (reusable), and
            # the server must not have asked to close it.
            connections = list(pool.connections)
            if exchanges[0].headers.get("connection", "").lower() == "close":
                return "the server closed the connection after the call"
            if len(connections) != 1 or not connections[0].is_idle():
                return f"the connection is not reusable after the call: {connections}"
        return None

    def expected_body(self, cm: Any, form: str, body: Any) -> Any:
        flag = cm.op.stream_flag
        if not flag or form not in ("json", "stream"):
            return body
        name = next((n for n, f in type(body).model_fields.items() if (f.alias or n) == flag), None)
        if name is None:
            return body
        if form == "stream":
            return body.model_copy(update={name: True})
        if getattr(body, name, None):
            return body.model_copy(update={name: False})
        return body

    def check_exchange(
        self, op: Any, form: str, case: dict[str, Any], exchanges: list[Any]
    ) -> str | None:
        if len(exchanges) != 1:
            return f"{len(exchanges)} exchanges for one call"
        ex = exchanges[0]
        if not self.declared(op, ex.status):
            return f"status {ex.status} is not declared"
        at = case["plan"].get("answer_at")
        if op.redirect and ex.headers.get("location") != case["answer"]:
            return f"location {ex.headers.get('location')!r}, expected {case['answer']!r}"
        if op.response_media and (
            form == "download" or (form == "json" and op.response_model is None)
        ):
            ctype = ex.headers.get("content-type", "")
            if not ctype.startswith(op.response_media):
                return f"content type {ctype!r}, expected {op.response_media}"
            return None
        if form == "json":
            if not case["plan"].get("has_content"):
                if ex.body or int(ex.headers.get("content-length", "0") or 0) > 0:
                    return f"a response without content has a body: {ex.body[:80]!r}"
                return None
            try:
                value = json.loads(ex.body)
            except ValueError:
                return f"response is not JSON: {ex.body[:80]!r}"
            errors = self.checker.errors(at, value) if at else []
            return f"response violates the schema: {errors[0]}" if errors else None
        frames = [
            line[len("data: ") :]
            for frame in ex.body.decode().split("\n\n")
            for line in frame.split("\n")  # not splitlines(): JSON may hold U+2028 and such
            if line.startswith("data: ")
        ]
        if not frames or frames[-1] != "[DONE]":
            return f"stream did not end with [DONE]: {ex.body[-80:]!r}"
        for frame in frames[:-1]:
            errors = self.checker.errors(at, json.loads(frame)) if at else []
            if errors:
                return f"event violates the schema: {errors[0]}"
        return None

    def _call(
        self,
        cm: Any,
        form: str,
        case: dict[str, Any],
        client: Any,
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        method = getattr(client, cm.name)
        if form == "json":
            return method(*args, **kwargs)
        if form == "download":
            with method(*args, **kwargs) as stream:
                return stream.read()
        if form == "ws":
            with method(*args, **kwargs) as ws:
                ws.send(case["send"])
                return ws.receive(timeout=10)
        with method(*args, **kwargs) as stream:
            return list(stream)

    async def _acall(
        self,
        cm: Any,
        form: str,
        case: dict[str, Any],
        client: Any,
        args: list[Any],
        kwargs: dict[str, Any],
    ) -> Any:
        method = getattr(client, cm.name)
        if form == "json":
            return await method(*args, **kwargs)
        if form == "download":
            async with await method(*args, **kwargs) as stream:
                return await stream.read()
        if form == "ws":
            async with method(*args, **kwargs) as ws:
                await ws.send(case["send"])
                return await ws.receive(timeout=10)
        async with method(*args, **kwargs) as stream:
            return [event async for event in stream]


_REJECT_BUDGET = 3  # refused draws per example before an operation is given up
# Draws per example without one valid case before an operation is given up. Hypothesis
# itself gives up only after ~460 invalid draws, and an undrawable schema (a oneOf of
# allOfs, which hypothesis-jsonschema draws by filtering) costs seconds per draw: kubeflow's
# ten undrawable operations were most of the sweep's time. An operation that gets a valid
# case within the budget is driven as before (in the ~50 documents measured, schemas/,
# wire/, cog, ollama, cartesia, kserve, open-inference, the first valid case came by the
# 7th draw: ``OpReport.first``).
_DRAW_BUDGET = 25


class _ModelGap(Exception):
    """A drawn value the model accepts but sends in a form the schema refuses."""


class _GiveUp(Exception):
    """Too many schema-valid values the models refuse: a model-level gap, reported."""


def _takes_json(op: Any) -> bool:
    """An HTTP operation whose body is JSON (the one a malformed body can probe)."""
    return op.kind != "ws" and op.body_model is not None and op.body_kind == "json"


def declared(responses: dict[str, Any], status: int) -> bool:
    """Whether an operation with these ``responses`` declares ``status``. One that declares
    no success (no ``2xx``, redirect or ``default``: langgraph's ``GET /mcp/`` lists only
    ``405``) describes none to match: the generated route answers a normal return with
    ``200`` and no body, and any success will do, as for an operation with no responses."""
    codes = {str(c).upper() for c in responses}
    if not any(c[:1] in ("2", "3") or c == "DEFAULT" for c in codes):
        return 200 <= status < 300 or str(status) in codes or f"{status // 100}XX" in codes
    return str(status) in codes or f"{status // 100}XX" in codes or "DEFAULT" in codes


def _kinds(doc: dict[str, Any], schema: Any) -> set[str]:
    """The JSON types a parameter schema or its union's members name."""
    schema = S.deref(doc, schema) or {}
    kinds: set[str] = set()
    types = schema.get("type")
    kinds.update(types if isinstance(types, list) else [types] if isinstance(types, str) else [])
    for key in ("anyOf", "oneOf"):
        for member in schema.get(key) or []:
            member = S.deref(doc, member) or {}
            if isinstance(member.get("type"), str):
                kinds.add(member["type"])
    return kinds


def _either(doc: dict[str, Any], schema: Any) -> bool:
    """A parameter schema that is an array or a scalar (``anyOf: [array, string]``)."""
    kinds = _kinds(doc, schema)
    return "array" in kinds and bool(kinds & {"string", "integer", "number", "boolean"})


def _scalar_kinds(doc: dict[str, Any], schema: Any) -> set[str]:
    """The kinds of a parameter that is only scalars (else empty): with a string among
    several (letta's ``offset: oneOf [string, number]``), the wire's text is the string."""
    kinds = _kinds(doc, schema)
    return kinds if kinds <= {"string", "integer", "number", "boolean", "null"} else set()


def _arriving(plan: dict[str, Any], wire: dict[str, Any], typed: Any) -> dict[str, Any]:
    """The parameters as the wire can carry them (``docs/spec-language.md``): an empty array
    or object (also once the model dropped what it does not know) in an exploded query puts
    nothing on the wire, so the server sees no parameter (an untyped one goes as JSON text,
    and text that is JSON arrives as JSON); a one-item array of a
    scalar-or-array parameter is its item's bytes, and an empty non-exploded one (``k=``) is
    the empty array."""
    out = dict(wire)
    _free_arriving(plan, wire, out)
    either = plan.get("either", set())
    for param, _ in plan["params"]:
        if param.name not in out or param.name in plan.get("free", ()):
            continue
        value = out[param.name]
        exploded = param.style == "deepObject" or (param.style == "form" and param.explode)
        if param.name in plan.get("untyped", ()):
            out[param.name] = untyped(value)  # JSON text arrives as JSON (docs/generator.md)
        elif param.name in plan.get("mixed", ()):
            out[param.name] = container(value)  # an array's or object's text arrives as one
        elif param.location == "query" and exploded and _nothing(getattr(typed, param.python_name)):
            del out[param.name]
        elif param.location == "query" and not exploded and value == [""]:
            out[param.name] = []  # ``k=``: one empty item and no item are the same bytes
        elif param.name in plan.get("texts", ()) and not isinstance(value, str):
            out[param.name] = simple(value)  # only text travels: the string member takes it
        elif param.name in either:
            if isinstance(value, list) and len(value) == 1:
                out[param.name] = value = value[0]
            if value == "" and not exploded:
                out[param.name] = []
    return out


def _ambiguous(plan: dict[str, Any], typed: Any) -> bool:
    """Whether the URL the client builds for these path values is matched by a template the
    server tries first, or gives this template's variables other values."""
    values = {
        p.name: styled(getattr(typed, p.python_name), p.style, p.explode)
        for p in plan["op"].parameters
        if p.location == "path"
    }
    url = render_path(plan["op"].path, values)
    if any(rival.match(url) for rival in plan["rivals"]):
        return True
    regex, _, names = plan["template"]
    found = regex.match(url)
    each = {name: render_path("/{v}", {"v": value})[1:] for name, value in values.items()}
    return found is None or {names.get(k, k): v for k, v in found.groupdict().items()} != each


def _query_objects(
    model: Any, params: list[Any]
) -> tuple[list[str], tuple[set[str], tuple[str, ...]]]:
    """The free-form objects exploded into the query (in order: the first collects, see
    ``docs/generator.md``), and the keys the other query parameters claim (names, and
    ``name[`` prefixes of deepObject ones)."""
    if model is None:
        return [], (set(), ())
    kinds = _request._value_kinds(model)
    shapes = _request._shapes(model)
    free: list[str] = []
    names: set[str] = set()
    prefixes: list[str] = []
    for param in params:
        if param.location != "query":
            continue
        shape, props = shapes[param.python_name]
        exploded = param.style == "form" and param.explode
        if exploded and kinds[param.python_name][1] is not None:
            free.append(param.name)
        elif shape == "object" and param.style == "deepObject":
            prefixes.append(param.name + "[")
        elif shape == "object" and exploded:
            names |= props
        else:
            names.add(param.name)
    return free, (names, tuple(prefixes))


def _unclaimed(value: Any, claimed: tuple[set[str], tuple[str, ...]]) -> bool:
    names, prefixes = claimed
    if not isinstance(value, dict):
        return True
    return not any(k in names or (k.startswith(prefixes) and k.endswith("]")) for k in value)


def _free_arriving(plan: dict[str, Any], wire: dict[str, Any], out: dict[str, Any]) -> None:
    """Every free-form exploded object's keys arrive in the first one; untyped values that
    are JSON text arrive as JSON; ``None`` values are not sent."""
    free = plan.get("free") or []
    if not free:
        return
    model = plan["op"].params_model
    by_name = {param.name: param for param, _ in plan["params"]}
    collected: dict[str, Any] = {}
    for name in free:
        out.pop(name, None)
        kind = plan["kinds"][by_name[name].python_name][1]
        for key, value in (wire.get(name) or {}).items():
            if value is not None:
                collected[key] = untyped(value) if kind == "any" else value
    if collected and model:
        out[free[0]] = collected


def _undeclared(drawn: Any, model: pydantic.BaseModel) -> bool:
    """Whether ``drawn`` carries a property ``model``'s class does not declare (by name or
    alias), which the model does not keep (pydantic's ``extra="ignore"``)."""
    if isinstance(model, pydantic.RootModel) or not isinstance(drawn, dict):
        return False
    if type(model).model_config.get("extra") == "allow":
        return False
    fields = type(model).model_fields
    declared = set(fields) | {f.alias for f in fields.values() if f.alias}
    return any(key not in declared for key in drawn)


def _sent(body: Any) -> Any:
    """A body as the client sends it (by alias, the fields that were set)."""
    if isinstance(body, pydantic.BaseModel):
        return json.loads(body.model_dump_json(by_alias=True, exclude_unset=True))
    return body


def _nothing(value: Any) -> bool:
    """An array or object the client writes no query pair for (``None`` items and
    properties are left out)."""
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, list):
        return all(v is None for v in value)
    if isinstance(value, dict):
        return all(v is None for v in value.values())
    return False


def _sends_nothing(body: Any) -> bool:
    """A form field that is an empty array or object (also after the model dropped unknown
    properties) sends no pair: the same as leaving the field out, so not a round trip."""
    if not isinstance(body, pydantic.BaseModel):
        return False
    values = body.model_dump(mode="json", by_alias=True, exclude_unset=True).values()
    return any(v == [] or v == {} for v in values)


def _path_key(pointer: str) -> str:
    """The path key of ``/paths/<key>/<method>``."""
    key = pointer[len("/paths/") :].rsplit("/", 1)[0]
    return key.replace("~1", "/").replace("~0", "~")


def roundtrip(built: Built, fuzz: bool = False) -> DocReport:
    """Drive every operation form of ``built``; then schemathesis when ``fuzz``."""
    with tempfile.TemporaryDirectory(prefix="conf-") as tmp:
        return Document(built, Path(tmp)).run(fuzz)
