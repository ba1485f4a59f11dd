"""The error bodies an operation declares, and how the runtime's errors are written in them.

The runtime answers a bad request, a timeout or an overload itself, in its own envelope
(``{"message", "type", "trace_id"}``). A spec that declares other error bodies — TGI's
``{"error", "error_type"}``, a petstore's ``{"code", "message"}``, Pinecone's ``{"status",
"error": {"code", "message"}}`` — would be contradicted by every such answer. For each
response key that can hold an error (``4xx``, ``5xx``, ``4XX``, ``5XX``, ``default``) whose
JSON schema the envelope does not fit, :func:`fit` reads the schema's properties by name and
type (the message, the error type, the status, the trace id, the validation details, nested
objects, constants, nulls), and keeps the shape only when every error the runtime can write
there, rendered in it, is valid for the schema (jsonschema-rs, 2020-12). A schema it cannot
fill is a warning; those errors keep the envelope (docs/generator.md, "Declared error
bodies").
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import checks, refs
from . import media as files
from . import pointer as jp

RUNTIME_ERRORS: tuple[tuple[int, str], ...] = (
    (400, "invalid_json"),
    (400, "invalid_request"),
    (404, "not_found"),
    (408, "request_timeout"),
    (413, "payload_too_large"),
    (415, "unsupported_media_type"),
    (422, "validation_error"),
    (500, "internal_error"),
    (503, "overloaded"),
    (503, "starting"),
    (503, "server_shutdown"),
    (504, "timeout_error"),
)
"""The errors the runtime writes itself (``gmi_ieops.routing``), as (status, type)."""

_DETAILS_SAMPLE = [{"type": "missing", "loc": ["body", "input"], "msg": "Field required"}]
_TRACE_SAMPLE = "4bf92f3577b34da6a3ce929d0e0e4736"

_NAMES: dict[str, tuple[str, ...]] = {
    # the property names that hold each value, in the order they are preferred
    "MESSAGE": ("message", "error", "detail", "msg", "error_message", "errormessage",
                "description", "title"),
    "STATUS": ("status", "code", "status_code", "statuscode", "http_status", "httpstatus"),
    "TYPE": ("type", "error_type", "errortype", "code", "error_code", "errorcode", "kind",
             "name", "reason", "error"),
    "TRACE_ID": ("trace_id", "traceid", "request_id", "requestid", "id"),
    "DETAILS": ("details", "detail", "errors"),
}  # fmt: skip
_SLOT_KINDS: dict[str, set[str]] = {
    "MESSAGE": {"string"},
    "STATUS": {"integer", "number"},
    "TYPE": {"string"},
    "TRACE_ID": {"string"},
    "DETAILS": {"array"},
}
_NESTED = ("error", "errors", "detail")
_NOTHING = object()  # no value of the error goes in a property
_OTHERWISE = ("internal", "server", "backend", "unknown", "generic", "other", "error")


@dataclass(frozen=True)
class Slot:
    """Where a value of the error goes: ``MESSAGE``, ``STATUS``, ``TRACE_ID``, ``DETAILS``
    (``gmi_ieops.typed.ErrorField``) or ``TYPE`` (``ErrorType``, spelled by ``values``)."""

    name: str
    values: tuple[tuple[str, str], ...] = ()
    otherwise: str | None = None


@dataclass
class Fitted:
    """How one operation's errors are written: ``openai`` (OpenAI's format fits every
    declared body) or ``shapes`` by response key (``None``: the envelope fits that one);
    neither: the envelope, as always."""

    declared: bool = False
    """The operation declares an error body the runtime's errors go in."""
    openai: bool = False
    shapes: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """The schema (or response) component each shape was read from, by response key."""
    problems: list[tuple[str, str]] = field(default_factory=list)  # (pointer, message)


Validators = dict[str, "Callable[[Any], bool] | None"]
"""Compiled error schemas of one document, by their JSON text (the caller keeps it)."""


def fit(
    doc: dict[str, Any], raw: dict[str, Any], where: str, validators: Validators | None = None
) -> Fitted:
    """How the runtime's errors are written for the operation ``raw`` at ``where``;
    ``validators`` caches the compiled schemas across the document's operations."""
    validators = {} if validators is None else validators
    responses = raw.get("responses")
    if not isinstance(responses, dict):
        return Fitted()
    keys = [str(k) for k in responses if _error_key(str(k), responses)]
    declared: list[tuple[str, Any, Callable[[Any], bool]]] = []  # key, schema, validity
    for key in keys:
        schema = _json_schema(doc, responses[key])
        errors = _errors_at(key, keys)
        valid = _validator(doc, schema, validators) if schema is not None and errors else None
        if valid is not None:
            declared.append((key, schema, valid))
    fitted = Fitted(declared=bool(declared))
    if not declared or all(
        all(valid(_envelope(status, kind)) for status, kind in _errors_at(key, keys))
        for key, _, valid in declared
    ):
        return fitted
    if _openai_fits(declared, keys):
        fitted.openai = True
        return fitted
    for key, schema, valid in declared:
        errors = _errors_at(key, keys)
        if all(valid(_envelope(status, kind)) for status, kind in errors):
            fitted.shapes[key] = None
            continue
        why: list[str] = []
        shape = next(
            (
                candidate
                for candidate in _shapes(doc, schema, 0, why)
                if all(valid(render(candidate, status, kind)) for status, kind in errors)
            ),
            _NOTHING,
        )
        if shape is not _NOTHING:
            fitted.shapes[key] = shape
            name = _component(responses[key], schema)
            if name is not None:
                fitted.names[key] = name
            continue
        reason = why[0] if why else "no body made of an error's values is valid for it"
        fitted.problems.append(
            (
                f"{where}/responses/{_escape(key)}",
                f"the runtime's own errors cannot be written in this error body ({reason}): "
                'they keep its envelope {"message", "type", "trace_id"}',
            )
        )
    if all(shape is None for shape in fitted.shapes.values()):
        fitted.shapes = {}
    return fitted


def declare_unsaid(doc: dict[str, Any], formats: dict[str, str]) -> None:
    """Declare, in the served ``doc``, the errors the runtime answers where the operation
    says nothing: ``4XX`` and ``5XX`` in the runtime's format, for each class with a
    runtime error (a malformed body, a failed validation, an overload, ...) that lands
    under no key the operation declares (the status, its class, ``default`` beside a
    success); and the JSON form of an error declared as an event stream alone
    (:func:`_declare_json`). ``formats`` maps each served operation's pointer to its error
    format.

    A client or fuzzer reading the served document then knows every answer: schemathesis
    found Ollama's and LoRAX's 400s undeclared (FastAPI declares its 422 so), and TGI's
    JSON 422 where ``/generate_stream`` declares an event stream."""
    names = set((doc.get("components") or {}).get("responses") or {})
    made: dict[str, str] = {}  # format -> the component it is declared by
    for pointer, format_name in formats.items():
        try:
            raw = refs.deref(doc, jp.resolve(doc, jp.split(pointer)))
        except KeyError:  # under a $ref'd path item: what that says is served as it is
            continue
        responses = raw.get("responses") if isinstance(raw, dict) else None
        if not isinstance(responses, dict):
            continue
        keys = [str(k) for k in responses if _error_key(str(k), responses)]
        for key in keys:
            _declare_json(refs.deref(doc, responses[key]))
        for family in ("4", "5"):
            sent = [s for s, _ in RUNTIME_ERRORS if str(s)[0] == family]
            if f"{family}XX" in responses or all(_picks(s, keys) for s in sent):
                continue
            if format_name not in made:
                made[format_name] = _unique("IeopsError", names)
            responses[f"{family}XX"] = {"$ref": f"#/components/responses/{made[format_name]}"}
    if not made:
        return
    from gmi_ieops.typed import error_schema

    v30 = str(doc.get("openapi", "")).startswith("3.0")
    declared = doc.setdefault("components", {}).setdefault("responses", {})
    for format_name, name in sorted(made.items(), key=lambda item: item[1]):
        declared[name] = {
            "description": "An error the server answers itself (gmi-ieops' runtime)",
            "content": {"application/json": {"schema": error_schema(format_name, v30)}},
        }


def _declare_json(response: Any) -> None:
    """An error response declared as an event stream alone gets its JSON form too: the
    runtime answers an error before the stream begins as JSON in that body."""
    content = response.get("content") if isinstance(response, dict) else None
    if not isinstance(content, dict):
        return
    media, schema = _body_schema(content)
    if media is None and schema is not None:
        content["application/json"] = {"schema": copy.deepcopy(schema)}


def _unique(base: str, taken: set[str]) -> str:
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{number}"
    taken.add(name)
    return name


def _component(response: Any, schema: Any) -> str | None:
    """``ErrorResponse`` for ``$ref: '#/components/schemas/ErrorResponse'``, else the
    response's own component name, else ``None``."""
    for node, section in ((schema, "schemas"), (response, "responses")):
        ref = node.get("$ref") if isinstance(node, dict) else None
        prefix = f"#/components/{section}/"
        if isinstance(ref, str) and ref.startswith(prefix) and "/" not in ref[len(prefix) :]:
            return ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
    return None


def _openai_fits(declared: list[tuple[str, Any, Callable[[Any], bool]]], keys: list[str]) -> bool:
    """Whether OpenAI's format (``gmi_ieops``' ``"openai"``: 400 for a validation error,
    ``{"error": {"message", "type", "param", "code"}}``) fits every declared body that one
    of its errors lands in, and lands in one at least."""
    checked = 0
    for key, _, valid in declared:
        for status, kind in _errors_at(key, keys, openai=True):
            if not valid(_openai_body(status, kind)):
                return False
            checked += 1
    return checked > 0


def _openai_body(status: int, kind: str) -> dict[str, Any]:
    coarse = (
        "server_error"
        if status >= 500
        else "rate_limit_error"
        if status == 429
        else "invalid_request_error"
    )
    message = f"{kind}: what went wrong"
    return {"error": {"message": message, "type": coarse, "param": None, "code": kind}}


def render(
    shape: Any,
    status: int,
    kind: str,
    message: str | None = None,
    trace_id: str = _TRACE_SAMPLE,
    details: Any = None,
) -> Any:
    """The body the runtime (``gmi_ieops.typed.DeclaredErrors``) writes for an error:
    ``shape`` with its values in (by default, samples of them)."""
    if details is None:
        details = _DETAILS_SAMPLE if status == 422 else []
    values = {
        "MESSAGE": message if message is not None else f"{kind}: what went wrong",
        "STATUS": status,
        "TRACE_ID": trace_id,
        "DETAILS": details,
    }

    def value(item: Any) -> Any:
        if isinstance(item, Slot):
            if item.name == "TYPE":
                return dict(item.values).get(kind) or item.otherwise or kind
            return values[item.name]
        if isinstance(item, dict):
            return {k: value(v) for k, v in item.items()}
        return item

    return value(shape)


def _envelope(status: int, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"message": f"{kind}: what went wrong", "type": kind}
    body["trace_id"] = _TRACE_SAMPLE
    if status == 422:
        body["details"] = _DETAILS_SAMPLE
    return body


def _error_key(key: str, responses: dict[str, Any]) -> bool:
    if key in ("4XX", "5XX"):
        return True
    if key == "default":  # the only answer of an operation is its success, not an error
        return any(str(k)[:1] == "2" for k in responses)
    return key.isdigit() and key[:1] in ("4", "5")


def _errors_at(key: str, keys: list[str], openai: bool = False) -> list[tuple[int, str]]:
    """The runtime's errors answered under ``key`` (with OpenAI's statuses: 400 for a
    validation error), and a status a handler raises itself."""
    sent = [(400 if openai and s == 422 else s, kind) for s, kind in RUNTIME_ERRORS]
    picked = [(status, kind) for status, kind in sent if _picks(status, keys) == key]
    if key.isdigit() and not picked:
        picked.append((int(key), "http_error"))
    return picked


def _picks(status: int, keys: list[str]) -> str | None:
    """The response key a status is answered under: itself, its class, ``default``."""
    return next((k for k in (str(status), f"{status // 100}XX", "default") if k in keys), None)


def _json_schema(doc: dict[str, Any], response: Any) -> Any:
    response = refs.deref(doc, response)
    content = response.get("content") if isinstance(response, dict) else None
    return _body_schema(content)[1] if isinstance(content, dict) else None


def _body_schema(content: dict[str, Any]) -> tuple[str | None, Any]:
    """(its JSON media type, or ``None``, and the schema) of an error response's body: its
    JSON one, else its event stream's item. TGI's ``/generate_stream`` declares its errors
    as ``text/event-stream`` alone: an error before the stream begins is answered as JSON
    in that body (and the served document says so, :func:`declare_unsaid`)."""
    media = files.json_media(content)
    entry = content.get(media if media is not None else files.SSE)
    schema = None
    if isinstance(entry, dict):
        schema = entry.get("schema") if media else entry.get("itemSchema", entry.get("schema"))
    return media, schema if isinstance(schema, (dict, bool)) else None


def _validator(
    doc: dict[str, Any], schema: Any, validators: Validators
) -> Callable[[Any], bool] | None:
    """``instance -> bool`` for ``schema`` in its document; ``None`` when it cannot be
    compiled (a ``$ref`` outside ``components/schemas``)."""
    import jsonschema_rs

    key = json.dumps(schema, sort_keys=True, default=str)
    if key not in validators:
        components = (doc.get("components") or {}).get("schemas") or {}
        name = "__declared_error__"
        text = checks.document({**components, name: schema}, [name], "#/components/schemas/")
        root = json.loads(text)
        root["$ref"] = "#" + checks.pointer(name)
        try:
            validators[key] = jsonschema_rs.validator_for(root).is_valid
        except (ValueError, jsonschema_rs.ValidationError):
            validators[key] = None
    return validators[key]


def _shapes(doc: dict[str, Any], schema: Any, depth: int, why: list[str]) -> Iterator[Any]:
    """The bodies that may fit ``schema``, best first: its object read by name and type,
    then without its optional properties, then each ``anyOf``/``oneOf`` branch's; a bare
    message where it is a string. ``why`` gets the first reason an object does not fit."""
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict) or depth > 4:
        return
    properties, required = _object(doc, schema)
    if properties or required:
        shape = _object_shape(doc, properties, required, depth, why)
        if shape is not None:
            yield shape
            lean = {k: v for k, v in shape.items() if k in required}
            if lean != shape:
                yield lean
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        for branch in branches if isinstance(branches, list) else ():
            yield from _shapes(doc, branch, depth + 1, why)
    if not (properties or required) and "string" in _kinds(doc, schema):
        yield Slot("MESSAGE")


def _object_shape(
    doc: dict[str, Any], properties: dict[str, Any], required: set[str], depth: int, why: list[str]
) -> dict[str, Any] | None:
    """The properties of an error body: constants; each value of the error in the property
    whose name says it best (the type in every one that names it); nested objects; ``None``
    in a required property that may be null."""
    fields = {**properties, **{name: {} for name in sorted(required) if name not in properties}}
    schemas = {name: refs.deref(doc, sub) for name, sub in fields.items()}
    schemas = {name: sub for name, sub in schemas.items() if isinstance(sub, dict)}
    shape: dict[str, Any] = {}
    for name, sub in schemas.items():
        enum = sub.get("enum")
        if "const" in sub:
            shape[name] = sub["const"]
        elif isinstance(enum, list) and len(enum) == 1:
            shape[name] = enum[0]
    for slot, names in _NAMES.items():
        ranked = sorted(
            (n for n in schemas if n not in shape and n.lower() in names),
            key=lambda n: names.index(n.lower()),
        )
        for name in ranked:
            kinds = _kinds(doc, schemas[name])
            if not kinds & _SLOT_KINDS[slot]:
                continue
            enum = schemas[name].get("enum")
            shape[name] = (
                _spelled(enum) if slot == "TYPE" and isinstance(enum, list) else Slot(slot)
            )
            if slot != "TYPE":
                break
    for name, sub in schemas.items():
        if name not in shape and name.lower() in _NESTED and "object" in _kinds(doc, sub):
            nested = next(_shapes(doc, sub, depth + 1, []), None)
            if isinstance(nested, dict):
                shape[name] = nested
    for name in sorted(required - set(shape)):
        if name in schemas and "null" in _kinds(doc, schemas[name]):
            shape[name] = None
        else:
            why.append(f"nothing of an error goes in its required property {name!r}")
            return None
    return {name: shape[name] for name in fields if name in shape}


def _spelled(enum: list[Any]) -> Slot:
    """The runtime's types as members of a declared enum: the same word (``validation_error``
    is ``Validation``), else the member that names a server error, else the first."""
    members = [m for m in enum if isinstance(m, str)]
    by_word = {_word(m): m for m in members}
    values = tuple(
        (kind, by_word[_word(kind)]) for _, kind in RUNTIME_ERRORS if _word(kind) in by_word
    )
    otherwise = next(
        (by_word[w] for w in _OTHERWISE if w in by_word), members[0] if members else None
    )
    return Slot("TYPE", tuple(dict(values).items()), otherwise)


def _word(text: str) -> str:
    word = re.sub(r"[^a-z0-9]", "", text.lower())
    return word[: -len("error")] if word.endswith("error") and word != "error" else word


def _object(doc: dict[str, Any], schema: Any, depth: int = 0) -> tuple[dict[str, Any], set[str]]:
    """The properties and required names of an object schema, through ``$ref`` and ``allOf``."""
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return {}, set()
    declared = schema.get("properties")
    properties = dict(declared) if isinstance(declared, dict) else {}
    names = schema.get("required")
    required = {r for r in names if isinstance(r, str)} if isinstance(names, list) else set()
    members = schema.get("allOf")
    for member in members if isinstance(members, list) else ():
        more, needed = _object(doc, member, depth + 1)
        properties.update(more)
        required |= needed
    return properties, required


def _kinds(doc: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> set[str]:
    """The JSON types a schema admits (through ``anyOf``/``oneOf``); all of them if untyped."""
    kind = schema.get("type")
    if isinstance(kind, str):
        kinds = {kind}
    elif isinstance(kind, list):
        kinds = {k for k in kind if isinstance(k, str)}
    else:
        branches = [
            b
            for key in ("anyOf", "oneOf")
            if isinstance(schema.get(key), list)
            for b in schema[key]
        ]
        kinds = set()
        for branch in branches:
            branch = refs.deref(doc, branch)
            if isinstance(branch, dict) and depth < 8:
                kinds |= _kinds(doc, branch, depth + 1)
        kinds = kinds or {"string", "integer", "number", "array", "object", "null"}
    if schema.get("nullable") is True:
        kinds.add("null")
    return kinds


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
