"""OpenAPI -> IR: a validated, bundled document becomes a :class:`~.ir.Service`.

Every schema an operation uses becomes a named model (inline schemas are given names from
the ``operationId``; identical ones share a class), with its ``$ref``s pointed at the
renamed components and every schema cleaned for the model layer (:mod:`.fixups`).
"""

from __future__ import annotations

import copy
import json
from typing import Any, cast

from . import declared_errors, fixups, names, refs, served
from . import media as files
from . import pointer as jp
from .ir import Location, Operation, Parameter, Service
from .load import Bundle
from .validate import BATCH_LIMITS, HTTP_METHODS

METHOD_NAME_LENGTH = 64
"""Longer method names (from long operationIds or paths) keep their head and tail."""

RESERVED_HEADERS = {
    "accept": "content negotiation (the responses' media types)",
    "content-type": "the request body's media type",
    "authorization": "securitySchemes (pass the credential in the client's headers)",
}
"""Header parameters OpenAPI says SHALL be ignored, and what describes each instead."""


class _Builder:
    def __init__(self, bundle: Bundle, module: str) -> None:
        self.bundle = bundle
        self.doc = bundle.document
        self.module = module
        self.skipped: list[str] = []
        self.aliases: dict[str, str] = {}
        self.class_names = names.Namer(set(files.RUNTIME_NAMES))  # no clash with imports
        self.renamed: dict[str, str] = {}  # component name -> class name
        self.made: dict[str, str] = {}  # an inline schema's JSON -> the class made for it
        source = self.doc.get("components", {}).get("schemas", {})
        self.schemas: dict[str, Any] = {}
        for name in source:
            self.renamed[name] = self.class_names.unique(names.class_name(name), sep="")
        self.warnings: list[str] = []
        self.reserved: dict[str, list[tuple[str, str]]] = {}  # header -> (name, pointer)s
        self.error_problems: dict[str, list[str]] = {}  # warning -> pointers (first shown)
        self.error_validators: declared_errors.Validators = {}
        self.fixups = fixups.Fixups(self.schemas, self.warnings, self.aliases)
        for name, schema in source.items():
            self.schemas[self.renamed[name]] = self.rewrite(copy.deepcopy(schema))
        for name, schema in self.schemas.items():
            self.fixups.component(schema, jp.join("/components/schemas", name))

    def rewrite(self, node: Any) -> Any:
        """Point ``$ref``s and discriminator mappings at renamed components; copy in refs to
        anything else. A ``$ref`` inside instance data (``example``, ``default``,
        ``enum``...) is data, kept."""
        for holder, _ in list(refs.objects(node)):
            if isinstance(holder.get("$ref"), str):
                holder["$ref"] = self.rewrite_ref(holder["$ref"])
            disc = holder.get("discriminator")
            mapping = disc.get("mapping") if isinstance(disc, dict) else None
            if isinstance(mapping, dict):
                for tag, target in mapping.items():
                    if isinstance(target, str):
                        mapping[tag] = self.rewrite_target(target)
        return node

    def rewrite_target(self, target: str) -> str:
        """A discriminator mapping's target, a component's ``$ref`` or bare name, renamed as
        the ``$ref``s are. Left as written (letta's ``letta__schemas__letta_message__
        ToolReturn``), it named no model, and the models' JSON Schema check held the branch
        to a tag no value carries."""
        if not target.startswith("#") and target in self.renamed:
            return "#/components/schemas/" + jp.escape(self.renamed[target])
        match = refs.SCHEMA_REF.match(target)
        return self.rewrite_ref(target) if match and not match.group(2) else target

    def rewrite_ref(self, ref: str) -> str:
        match = refs.SCHEMA_REF.match(ref)
        if match and jp.unescape(match.group(1)) in self.renamed:
            rest = match.group(2) or ""
            return (
                "#/components/schemas/"
                + jp.escape(self.renamed[jp.unescape(match.group(1))])
                + rest
            )
        if not ref.startswith("#/"):
            return ref
        target = jp.resolve(self.doc, jp.split(ref[1:]))
        key = "ref:" + ref
        if key not in self.renamed:
            name = self.class_names.unique(names.pascal(jp.split(ref[1:])[-1]), sep="")
            self.renamed[key] = name
            self.schemas[name] = self.rewrite(copy.deepcopy(target))
            self.fixups.clean(self.schemas[name], jp.join("/components/schemas", name))
        return "#/components/schemas/" + self.renamed[key]

    def model_for(self, schema: Any, hint: str) -> str:
        """The class name for ``schema``: its component, or a new one named ``hint``."""
        if isinstance(schema, dict) and set(schema) == {"$ref"}:
            match = refs.SCHEMA_REF.match(schema["$ref"])
            if match and not match.group(2):
                name = self.renamed.get(jp.unescape(match.group(1)))
                if name is not None and not fixups.is_enum(self.schemas.get(name)):
                    return name
        return self.made_model(schema if schema is not None else {}, hint)

    def made_model(self, schema: Any, hint: str) -> str:
        """A model for an inline schema; one class for identical ones (the first name)."""
        rewritten = self.rewrite(copy.deepcopy(schema))
        # in document order: parameters in another order make fields in another order
        key = json.dumps(rewritten, ensure_ascii=False, default=str)
        if key in self.made:
            return self.made[key]
        name = self.class_names.unique(hint, sep="")
        self.schemas[name] = rewritten
        self.fixups.clean(self.schemas[name], jp.join("/components/schemas", name))
        self.made[key] = name
        return name

    def build(self) -> Service:
        info = self.doc.get("info", {})
        operations: list[Operation] = []
        methods = names.Namer()
        for path, item in self.doc.get("paths", {}).items():
            item = refs.deref(self.doc, item)
            for method in HTTP_METHODS:
                if not isinstance(item.get(method), dict):
                    continue
                op = self.operation(path, item, method, methods)
                if op is not None:
                    operations.append(op)
        self.warn_reserved()
        self.warn_error_bodies()
        error_format = self.error_format(operations)
        served.read_as_the_models_do(self.doc)  # the models have taken their copies
        formats = {op.pointer: op.error_format or error_format for op in operations}
        declared_errors.declare_unsaid(self.doc, formats)
        title = str(info.get("title", self.module))
        return Service(
            module=self.module,
            class_name=names.service_classes([(self.module, info.get("title"))])[0],
            title=title,
            version=str(info.get("version", "")),
            description=info.get("description")
            if isinstance(info.get("description"), str)
            else None,
            source=self.bundle.root.display,
            operations=operations,
            skipped=self.skipped,
            warnings=self.warnings,
            schemas=self.schemas,
            aliases=self.aliases,
            openapi=self.doc,
            error_format=error_format,
        )

    def warn_reserved(self) -> None:
        """One warning per reserved header name, at its first use, counting the others."""
        for lowered, uses in self.reserved.items():
            (name, at), more = uses[0], len(uses) - 1
            message = (
                f"header parameter {name!r} is ignored"
                + (f" (and {more} more like it)" if more else "")
                + f": OpenAPI reserves it for {RESERVED_HEADERS[lowered]}"
            )
            self.warnings.append(str(self.bundle.problem(at, message)))

    def skip(self, method: str, path: str, reason: str) -> None:
        self.skipped.append(f"{method.upper()} {path}: {reason}")

    def operation(
        self, path: str, item: dict[str, Any], method: str, methods: names.Namer
    ) -> Operation | None:
        raw: dict[str, Any] = item[method]
        where = jp.join("/paths", path, method)
        if "?" in path:
            self.skip(method, path, "a query string in the path key cannot be routed")
            return None
        if method in ("trace", "query"):
            self.skip(method, path, f"the runtime does not route {method.upper()} requests")
            return None
        key = path
        if "#" in path:
            # A fragment is never sent over HTTP: client and server both use the path
            # before it; a document that also has that path for this method keeps it.
            path = path.split("#", 1)[0]
            other = self.doc.get("paths", {}).get(path)
            if isinstance(other, dict) and isinstance(other.get(method), dict):
                self.skip(method, key, f"the path without its #fragment, {path}, is routed")
                return None
            self.warnings.append(
                f"{where}: the #fragment of the path key is not sent over HTTP; "
                f"the operation is routed at {path}"
            )
        op_id = raw.get("operationId") or f"{method} {path}"
        method_name = methods.unique(names.shorten(names.snake(op_id), METHOD_NAME_LENGTH))
        hint = names.pascal(op_id)
        op = Operation(
            operation_id=str(raw.get("operationId") or method_name),
            method_name=method_name,
            http_method=method.upper(),
            path=path,
            kind="api",
            pointer=where,
            summary=_text(raw.get("summary")),
            description=_text(raw.get("description")),
            tags=[t for t in raw.get("tags", []) if isinstance(t, str)],
            deprecated=raw.get("deprecated") is True,
        )
        timeout = raw.get("x-ieops-timeout")
        op.timeout = float(timeout) if timeout is not None else None
        batch = raw.get("x-ieops-batch")
        if batch is True or isinstance(batch, dict):
            settings = batch if isinstance(batch, dict) else {}
            # Only keys validate.py checked (names and numbers), never the spec's text.
            op.batch = {key: settings[key] for key in BATCH_LIMITS if key in settings}
        if not self.parameters(op, item, raw, hint):
            return None
        websocket = raw.get("x-ieops-websocket")
        if isinstance(websocket, dict):
            op.kind = "ws"
            op.ws_receive_model = self.model_for(websocket["receive"], hint + "Receive")
            op.ws_send_model = self.model_for(websocket["send"], hint + "Send")
            return op
        if not self.body(op, raw, hint):
            return None
        if not self.response(op, raw, hint, methods):
            return None
        if self.doc.get("x-ieops-error-format") is None:  # else the author chose
            self.declared_errors(op, raw, where)
        return op

    def declared_errors(self, op: Operation, raw: dict[str, Any], where: str) -> None:
        """How the runtime's own errors are written for ``op``: in the bodies it declares
        where the seed's envelope does not fit them (``declared_errors``)."""
        fitted = declared_errors.fit(self.doc, raw, where, self.error_validators)
        op.error_format = "openai" if fitted.openai else None
        op.error_shapes = fitted.shapes
        op.error_body_names = fitted.names
        op.declares_errors = fitted.declared
        for at, message in fitted.problems:
            self.error_problems.setdefault(message, []).append(at)

    def warn_error_bodies(self) -> None:
        """One warning per error body the runtime's errors cannot be written in."""
        for message, places in self.error_problems.items():
            more = len(places) - 1
            text = message + (f" (and {more} more like it)" if more else "")
            self.warnings.append(str(self.bundle.problem(places[0], text)))

    def error_format(self, operations: list[Operation]) -> str:
        """``x-ieops-error-format``, else OpenAI's where it fits the bodies every operation
        declares (then it is the service's, its client's too), else the seed's."""
        chosen = self.doc.get("x-ieops-error-format")
        if chosen is not None:
            return str(chosen)
        declaring = [op for op in operations if op.declares_errors]
        if declaring and all(op.error_format == "openai" for op in declaring):
            for op in declaring:
                op.error_format = None
            return "openai"
        return "ieops"

    def parameters(
        self, op: Operation, item: dict[str, Any], raw: dict[str, Any], hint: str
    ) -> bool:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        owners = ((item, op.pointer.rsplit("/", 1)[0]), (raw, op.pointer))
        for owner, at in owners:  # the operation's parameters override the path item's
            for index, param in enumerate(owner.get("parameters", [])):
                param = refs.deref(self.doc, param)
                if param["in"] == "header" and param["name"].lower() in RESERVED_HEADERS:
                    uses = self.reserved.setdefault(param["name"].lower(), [])
                    uses.append((param["name"], jp.join(at, "parameters", str(index))))
                    continue
                merged[(param["name"], param["in"])] = param
        if not merged:
            return True
        # the runtime's arguments, and the generated client's per-call options (CallOptions)
        keywords = names.Namer(
            {
                "self",
                "body",
                "context",
                "session",
                "options",
                "extra",
                "trace_id",
                "timeout",
                "retries",
                "headers",
            }
        )
        properties: dict[str, Any] = {}
        required: list[str] = []
        wire = names.Namer()
        for (name, location), param in merged.items():
            if location == "querystring":
                self.skip(op.http_method, op.path, "'in: querystring' parameters are not supported")
                return False
            key = wire.unique(name) if name in properties else name
            schema = param.get("schema")
            if schema is None:
                content = param.get("content", {})
                schema = next((v.get("schema", {}) for v in content.values()), {})
            properties[key] = schema
            if param.get("required") is True:
                required.append(key)
            python_name = keywords.unique(names.snake(name, prefix="param"))
            style = param.get("style")
            if not isinstance(style, str):
                style = "form" if location in ("query", "cookie") else "simple"
            explode = param.get("explode")
            op.parameters.append(
                Parameter(
                    name=name,
                    python_name=python_name,
                    location=_location(location),
                    required=param.get("required") is True,
                    description=_text(param.get("description")),
                    style=style,
                    explode=explode if isinstance(explode, bool) else style == "form",
                )
            )
        schema = {"type": "object", "properties": properties, "required": required}
        renamed = {
            key: param.python_name
            for param, key in zip(op.parameters, properties, strict=True)
            if param.python_name != key
        }
        # identical parameters (``{job_id}`` of two routes) share one model; their field
        # names must agree too, so the renames are part of what is compared
        model = self.made_model({**schema, "x-ieops-fields": renamed}, hint + "Params")
        self.schemas[model].pop("x-ieops-fields", None)
        for key, python_name in renamed.items():
            self.aliases[f"{model}.{key}"] = python_name
        op.params_model = model
        self.warn_free_form(op, item, raw)
        return True

    def warn_free_form(self, op: Operation, item: dict[str, Any], raw: dict[str, Any]) -> None:
        """More than one free-form object exploded into the query (``style: form, explode:
        true``, no ``properties``): their keys cannot be told apart, so only the first one
        collects the unclaimed query keys (``routing/_request.py``); a located warning."""
        found: list[tuple[str, str]] = []  # (name, pointer)
        seen: set[str] = set()
        owners = ((raw, op.pointer), (item, op.pointer.rsplit("/", 1)[0]))
        for owner, at in owners:  # the operation's parameters override the path item's
            for index, param in enumerate(owner.get("parameters", [])):
                param = refs.deref(self.doc, param)
                if param.get("in") != "query" or param.get("name") in seen:
                    continue
                seen.add(param["name"])
                exploded = param.get("style", "form") == "form" and param.get("explode", True)
                if exploded is True and _free_form(refs.deref(self.doc, param.get("schema"))):
                    found.append((param["name"], jp.join(at, "parameters", str(index))))
        if len(found) < 2:
            return
        names_ = ", ".join(repr(name) for name, _ in found)
        message = (
            f"query parameters {names_} are free-form objects exploded into the query "
            f"(style: form, explode: true), whose keys cannot be told apart: only "
            f"{found[0][0]!r} collects the query keys no other parameter claims, the others "
            "receive nothing (declare their properties, or use style: deepObject)"
        )
        self.warnings.append(str(self.bundle.problem(found[1][1], message)))

    def body(self, op: Operation, raw: dict[str, Any], hint: str) -> bool:
        body = refs.deref(self.doc, raw.get("requestBody"))
        if not isinstance(body, dict) or not body.get("content"):
            return True
        content: dict[str, Any] = body["content"]
        media = files.json_media(content)
        form = files.urlencoded_entry(self.doc, content)
        if media is None and form is not None and files.form_media(content) is None:
            op.body_kind = "urlencoded"
            op.urlencoded = True
            op.form_styles = files.form_styles(form)
            op.body_model = self.model_for(form.get("schema"), hint + "Request")
            self.drop_unread(op, content)
            return True
        if media is None and self.file_body(op, content, hint):
            self.drop_unread(op, content)
            return True
        if media is None:
            self.skip(
                op.http_method,
                op.path,
                f"request body {', '.join(content)} is not JSON; typed routes read JSON",
            )
            return False
        op.body_model = self.model_for(content[media].get("schema"), hint + "Request")
        # OpenAPI's default is optional, but most specs that omit the flag mean required:
        # only an explicit ``false`` is honoured (multipart, binary and form-only bodies
        # stay required).
        op.body_required = body.get("required") is not False
        if form is not None and _same(form.get("schema"), content[media].get("schema")):
            op.urlencoded = True  # the same schema as a form too: chosen by Content-Type
            op.form_styles = files.form_styles(form)
        self.drop_unread(op, content)
        return True

    def drop_unread(self, op: Operation, content: dict[str, Any]) -> None:
        """The request body's media types the route does not read (JSON wins; a form of
        another schema; a form beside multipart), said and left out of the served
        document: OpenAI's ``POST /images/edits`` listed ``multipart/form-data`` beside
        JSON, so a client or fuzzer that sent it got a 415 for a body the document
        offered."""
        unread = [
            m for m in content if not files.reads(m, op.body_kind, op.urlencoded, op.body_media)
        ]
        if not unread:
            return
        read = ", ".join(m for m in content if m not in unread)
        message = (
            f"request body {', '.join(unread)} ignored: the route reads {read} "
            "(docs/files.md), and the served document lists only what it reads"
        )
        at = jp.join(op.pointer, "requestBody", "content")
        self.warnings.append(str(self.bundle.problem(at, message)))
        for media in unread:
            del content[media]

    def file_body(self, op: Operation, content: dict[str, Any], hint: str) -> bool:
        """A multipart or binary request body (media.py); False when it is neither."""
        form = files.form_media(content)
        if form is not None:
            entry = content[form] if isinstance(content[form], dict) else {}
            taken = {p.python_name for p in op.parameters}
            rest, parts = files.split_form(self.doc, entry, taken)
            op.body_kind = "form"
            op.form_files = parts
            op.form_closed = files.closed_form(self.doc, entry)
            if rest is not None:
                op.body_model = self.model_for(rest, hint + "Form")
            return True
        binary = files.binary_media(content)
        if binary:
            op.body_kind = "binary"
            op.body_media = binary
            return True
        return False

    def response(self, op: Operation, raw: dict[str, Any], hint: str, methods: names.Namer) -> bool:
        responses = raw.get("responses") or {}
        codes = sorted(c for c in responses if c[:1] == "2")
        redirects = sorted(c for c in responses if c in REDIRECTS)
        if not codes and redirects and op.kind == "api":
            op.status_code, op.redirect = int(redirects[0]), True
            return True
        if not codes:
            return True
        code = codes[0]
        op.status_code = int(code) if code.isdigit() else 200
        response = refs.deref(self.doc, responses[code])
        content: dict[str, Any] = response.get("content") or {}
        if not content:
            return True
        if op.status_code in BODYLESS or op.http_method == "HEAD":
            where = jp.join("/paths", op.path, op.http_method.lower(), "responses", code)
            what = "a HEAD" if op.http_method == "HEAD" else f"a {op.status_code}"
            message = (
                f"{what} response carries no content (RFC 9110): its "
                f"{', '.join(content)} is ignored, the operation answers no body"
            )
            self.warnings.append(str(self.bundle.problem(where + "/content", message)))
            return True
        json_media = files.json_media(content)
        stream = content.get(files.SSE)
        if json_media is None and stream is None and op.kind == "api":
            op.response_media = files.response_media(content)
            return True
        if json_media is None and stream is None:
            self.skip(
                op.http_method,
                op.path,
                f"response {', '.join(content)} is neither JSON nor text/event-stream",
            )
            return False
        if json_media is not None:
            op.response_model = self.model_for(content[json_media].get("schema"), hint + "Response")
            if stream is None and op.kind == "api":
                # JSON or a binary type for one status: the result and Accept decide (files.md)
                op.response_media = files.response_media(content)
        if isinstance(stream, dict):
            schema = stream.get("itemSchema", stream.get("schema"))
            op.event_model = self.model_for(schema, hint + "Event")
            # binary and SSE (OpenAI's /audio/speech): the bytes, or events on Accept (media.py)
            binary = files.response_media(content) if json_media is None else None
            if op.response_model is None and binary is None:
                op.kind = "sse"
            else:
                op.response_media = binary
                op.stream_method_name = methods.unique(op.method_name + "_stream")
                flag = raw.get("x-ieops-stream-flag")
                body = files.json_body_schema(self.doc, raw)
                if flag is None and any(
                    name == "stream" for name, _ in refs.declared_properties(self.doc, body)
                ):
                    flag = "stream"
                op.stream_flag = flag
        return True


def _location(value: str) -> Location:
    if value not in ("path", "query", "header", "cookie"):
        raise ValueError(value)
    return cast(Location, value)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def build(bundle: Bundle, module: str, class_name: str | None = None) -> Service:
    """The IR of one validated document, generated into the package ``module``.

    ``class_name`` is the service class (``names.service_classes`` decides it for a whole
    folder); by default the one the document's title gives alone.
    """
    service = _Builder(bundle, module).build()
    if class_name is not None:
        service.class_name = class_name
    return service


REDIRECTS = ("301", "302", "303", "307", "308")
"""The statuses that send the client elsewhere with ``Location`` (not 300 or 304)."""

BODYLESS = (204, 205)
"""Successes that carry no content whatever the document declares for them."""


def _free_form(schema: Any) -> bool:
    """An object schema with no declared properties (``additionalProperties``, or none)."""
    if not isinstance(schema, dict) or schema.get("properties"):
        return False
    if any(key in schema for key in ("allOf", "anyOf", "oneOf", "$ref")):
        return False
    kind = schema.get("type")
    return kind == "object" or (kind is None and "additionalProperties" in schema)
