"""Files in a spec: which media types a request or response offers, and what they become.

- a ``multipart/form-data`` request body: its file properties (``format: binary``, or 3.1's
  ``contentMediaType``, or arrays of them) become :class:`FileField` keywords typed
  ``UploadFile`` / ``list[UploadFile]``; the other properties become one form model;
- any other non-JSON request body (``application/octet-stream``, ``audio/*``, ...) is a
  binary body: ``body: UploadFile``;
- a success response that is neither JSON nor SSE (``audio/mpeg``, ``text/plain``...) is a
  binary (or text) response: the method returns ``BinaryBody``.

JSON always wins when a body offers it too; an ``application/x-www-form-urlencoded`` body
of an object schema is the body model read from a form (:func:`urlencoded_entry`), and
accepted besides JSON when both give the same schema; what the route does not read
(:func:`reads`) is left out of the served document. See docs/files.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import names, refs

MULTIPART = "multipart/form-data"
URLENCODED = "application/x-www-form-urlencoded"
SSE = "text/event-stream"

RESERVED = {
    "self", "body", "context", "session", "options", "extra", "trace_id", "timeout",
    "retries", "headers",
}  # fmt: skip
"""Keywords a file part must not take (the runtime's arguments, the client's options)."""


RUNTIME_NAMES = ("UploadFile", "BinaryBody", "FileInput", "ByteStream", "AsyncByteStream")
"""Names the generated modules import for files: no model class may take them."""


@dataclass(frozen=True)
class FileField:
    """A form part that carries a file."""

    name: str
    python_name: str
    repeated: bool
    required: bool
    content_types: tuple[str, ...]


def base(media: str) -> str:
    return media.split(";", 1)[0].strip().lower()


def _is_json(media: str) -> bool:
    b = base(media)
    return b == "application/json" or b.endswith("+json") or b == "*/*"


def reads(media: str, body_kind: str, urlencoded: bool, binary: list[str]) -> bool:
    """Whether a route whose body is ``body_kind`` (an operation's: also read from a form
    where ``urlencoded``, as one of ``binary`` media types where binary) reads a request
    body sent as ``media`` (the runtime's ``Content-Type`` checks)."""
    kind = base(media)
    if body_kind == "json":
        return _is_json(media) or (urlencoded and kind == URLENCODED)
    if body_kind == "urlencoded":
        return kind == URLENCODED
    if body_kind == "form":
        return kind == MULTIPART
    return kind in binary


def json_media(content: dict[str, Any]) -> str | None:
    """The first JSON entry of a ``content`` map (``application/json``, ``*+json``, ``*/*``)."""
    for media in content:
        if _is_json(media):
            return media
    return None


def json_body_schema(doc: dict[str, Any], operation: dict[str, Any]) -> Any:
    """The schema of an operation's JSON request body, or ``None``."""
    body = refs.deref(doc, operation.get("requestBody"))
    if not isinstance(body, dict):
        return None
    content = body.get("content") or {}
    media = json_media(content)
    return content[media].get("schema") if media else None


def form_media(content: dict[str, Any]) -> str | None:
    """The ``multipart/form-data`` entry of a request body's ``content``."""
    for media in content:
        if base(media) == MULTIPART:
            return media
    return None


def urlencoded_entry(doc: dict[str, Any], content: dict[str, Any]) -> dict[str, Any] | None:
    """The ``application/x-www-form-urlencoded`` entry of a body, if its schema is an object
    (a form is name/value pairs: nothing else maps onto it)."""
    for media, entry in content.items():
        if base(media) != URLENCODED or not isinstance(entry, dict):
            continue
        schema = refs.deref(doc, entry.get("schema"))
        if isinstance(schema, dict) and (
            schema.get("type") == "object" or "properties" in schema or "allOf" in schema
        ):
            return entry
    return None


FORM_STYLES = ("form", "spaceDelimited", "pipeDelimited", "deepObject")


def form_styles(entry: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    """``encoding.<name>`` ``(style, explode)`` where the spec gives either (OpenAPI 3.x:
    ``style`` defaults to ``form``, ``explode`` to true for ``form``)."""
    encoding = entry.get("encoding")
    styles: dict[str, tuple[str, bool]] = {}
    if not isinstance(encoding, dict):
        return styles
    for name, enc in encoding.items():
        if not isinstance(enc, dict) or ("style" not in enc and "explode" not in enc):
            continue
        style = enc.get("style") if enc.get("style") in FORM_STYLES else "form"
        explode = enc.get("explode")
        styles[str(name)] = (
            str(style),
            explode if isinstance(explode, bool) else style == "form",
        )
    return styles


def binary_media(content: dict[str, Any]) -> list[str]:
    """The media types of a binary request body (what is not JSON and not a form)."""
    return [
        base(m) for m in content if not _is_json(m) and base(m) not in (MULTIPART, URLENCODED, SSE)
    ]


def response_media(content: dict[str, Any]) -> str | None:
    """The binary or text media type a success response offers (not JSON, not SSE)."""
    for media in content:
        if not _is_json(media) and base(media) != SSE:
            return base(media)
    return None


def is_text(media: str) -> bool:
    """Whether a response of ``media`` is text to the client (``str``) rather than ``bytes``."""
    b = base(media)
    return b.startswith("text/") or b in ("application/xml", "application/x-ndjson")


def _is_file(doc: dict[str, Any], schema: Any) -> bool:
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict):
        return False
    if schema.get("format") == "binary":
        return True
    return "contentMediaType" in schema and "contentEncoding" not in schema


def _file_items(doc: dict[str, Any], schema: Any) -> bool | None:
    """``False`` for one file, ``True`` for an array of files, ``None`` for no file."""
    schema = refs.deref(doc, schema)
    if _is_file(doc, schema):
        return False
    if (
        isinstance(schema, dict)
        and schema.get("type") == "array"
        and _is_file(doc, schema.get("items"))
    ):
        return True
    return None


def _object(doc: dict[str, Any], schema: Any, depth: int = 0) -> tuple[dict[str, Any], list[str]]:
    """Properties and required names of a form schema (through ``$ref`` and ``allOf``)."""
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return {}, []
    props = dict(schema["properties"]) if isinstance(schema.get("properties"), dict) else {}
    required = [r for r in schema.get("required", []) if isinstance(r, str)]
    for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        more, also = _object(doc, part, depth + 1)
        props = {**more, **props}
        required += also
    return props, list(dict.fromkeys(required))


def split_form(
    doc: dict[str, Any], entry: dict[str, Any], taken: set[str]
) -> tuple[dict[str, Any] | None, list[FileField]]:
    """A form body's schema without its file properties (``None`` if none is left), and
    the file properties as keywords not clashing with ``taken`` (the parameters)."""
    props, required = _object(doc, entry.get("schema"))
    raw_encoding = entry.get("encoding")
    encoding: dict[str, Any] = raw_encoding if isinstance(raw_encoding, dict) else {}
    keywords = names.Namer(RESERVED | taken)
    files: list[FileField] = []
    fields: dict[str, Any] = {}
    for name, schema in props.items():
        repeated = _file_items(doc, schema)
        if repeated is None:
            fields[name] = schema
            continue
        types: tuple[str, ...] = ()
        enc = encoding.get(name)
        if isinstance(enc, dict) and isinstance(enc.get("contentType"), str):
            types = tuple(t.strip() for t in enc["contentType"].split(",") if t.strip())
        else:
            item = refs.deref(doc, schema)
            if repeated and isinstance(item, dict):
                item = refs.deref(doc, item.get("items"))
            media = item.get("contentMediaType") if isinstance(item, dict) else None
            if isinstance(media, str):
                types = (media,)
        if types and any(base(t) in ("application/octet-stream", "*/*") for t in types):
            types = ()  # any file
        files.append(
            FileField(
                name=name,
                python_name=keywords.unique(names.snake(name, prefix="file")),
                repeated=repeated,
                required=name in required,
                content_types=tuple(base(t) for t in types),
            )
        )
    if not fields:
        return None, files
    rest: dict[str, Any] = {"type": "object", "properties": fields}
    kept = [r for r in required if r in fields]
    if kept:
        rest["required"] = kept
    if closed_form(doc, entry):
        rest["additionalProperties"] = False
    return rest, files


def closed_form(doc: dict[str, Any], entry: dict[str, Any]) -> bool:
    """Whether a form body admits no part it does not declare: its schema (or an ``allOf``
    part of it, read as the models read one object) says ``additionalProperties: false``
    (OpenAI's ``POST /audio/voice_consents``: an undeclared part was taken, and dropped)."""
    return _closed(doc, entry.get("schema"), 0)


def _closed(doc: dict[str, Any], schema: Any, depth: int) -> bool:
    schema = refs.deref(doc, schema)
    if not isinstance(schema, dict) or depth > 16:
        return False
    if schema.get("additionalProperties") is False:
        return True
    parts = schema.get("allOf")
    return isinstance(parts, list) and any(_closed(doc, part, depth + 1) for part in parts)


__all__ = [
    "FileField",
    "binary_media",
    "closed_form",
    "form_media",
    "form_styles",
    "is_text",
    "json_body_schema",
    "json_media",
    "response_media",
    "split_form",
    "urlencoded_entry",
]
