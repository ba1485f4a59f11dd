"""Request bodies that carry files: ``multipart/form-data`` and binary bodies.

The body is parsed as it arrives (``python-multipart``) and every file part is written to a
spooled temporary file: kept in memory up to ``API_UPLOAD_SPOOL_SIZE`` bytes, on disk past
it, never whole in memory. Limits per file and for the whole body answer 413 as soon as
they are passed; a body cut short leaves nothing behind (the spools are deleted) and the
handler is never called. The handler gets :class:`UploadFile` objects.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import core_schema
from starlette.types import Receive

from ._errors import RequestError, validation_details
from ._request import ClientDisconnected, Headers

CHUNK = 1024 * 1024
"""Bytes per read when a handler iterates or saves an upload."""


@dataclass(frozen=True)
class UploadLimits:
    """What a worker accepts in uploads (``API_MAX_UPLOAD_*``; see docs/files.md)."""

    max_file_size: int = 1024**3
    max_total_size: int = 2 * 1024**3
    spool_size: int = 1024 * 1024
    max_parts: int = 1000
    max_field_size: int = 1024 * 1024
    timeout: float = 600.0


def upload_limits_from_env() -> UploadLimits:
    """The limits the ``API_*UPLOAD*`` variables set."""
    from ..config import env

    return UploadLimits(
        max_file_size=env.api.max_upload_file_size,
        max_total_size=env.api.max_upload_size,
        spool_size=env.api.upload_spool_size,
        timeout=env.api.upload_timeout,
    )


@dataclass(frozen=True)
class FilePart:
    """A form field that carries a file (``format: binary``, ``contentMediaType``)."""

    name: str
    """The part's name on the wire."""
    python_name: str
    """The handler's keyword for it."""
    repeated: bool = False
    required: bool = True
    content_types: tuple[str, ...] = ()
    """Accepted part content types (``encoding.<name>.contentType``); empty: any."""


@dataclass(frozen=True)
class FormSpec:
    """A ``multipart/form-data`` body: typed fields (a model) and file parts; ``closed``:
    a part it does not declare is refused (422), as ``additionalProperties: false`` says,
    else drained and dropped."""

    fields_model: type[BaseModel] | None = None
    files: tuple[FilePart, ...] = ()
    closed: bool = False


@dataclass(frozen=True)
class BinarySpec:
    """A binary request body (``application/octet-stream``, ``audio/*``, ...)."""

    content_types: tuple[str, ...] = ("application/octet-stream",)


UploadSpec = FormSpec | BinarySpec


class UploadFile:
    """One uploaded file, spooled: read it, iterate its chunks, or save it.

    ``filename`` is what the client said (never a path to use as is), ``content_type`` the
    part's (or the body's) type, ``size`` its length in bytes.
    """

    def __init__(
        self,
        name: str,
        filename: str | None,
        content_type: str,
        headers: Mapping[str, str],
        spool: tempfile.SpooledTemporaryFile[bytes],
        size: int,
    ) -> None:
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.headers = dict(headers)
        self.size = size
        self._spool = spool

    def __repr__(self) -> str:
        return f"UploadFile({self.name!r}, filename={self.filename!r}, size={self.size})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(cls)

    @property
    def in_memory(self) -> bool:
        return not getattr(self._spool, "_rolled", True)

    def open(self) -> IO[bytes]:
        """The spooled file, rewound (blocking reads: for sync handlers)."""
        self._spool.seek(0)
        return self._spool

    async def _read_at(self, offset: int, size: int) -> bytes:
        def read() -> bytes:
            self._spool.seek(offset)
            return self._spool.read(size)

        if self.in_memory:
            return read()
        return await asyncio.to_thread(read)

    async def chunks(self, size: int = CHUNK) -> AsyncIterator[bytes]:
        """The content in pieces of ``size`` bytes (disk reads off the event loop)."""
        offset = 0
        while True:
            chunk = await self._read_at(offset, size)
            if not chunk:
                return
            offset += len(chunk)
            yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.chunks()

    async def read(self) -> bytes:
        """The whole content (it is in memory only once you ask for it)."""
        return await self._read_at(0, self.size)

    async def save_to(self, destination: str | os.PathLike[str]) -> int:
        """Copy to ``destination`` (a path or ``gmifs://...``), atomically; the byte count.

        ``gmifs://`` writes go to a temporary name published on close (docs/storage.md); a
        local path is written as ``.name.part`` and renamed, so a failure never leaves a
        half file under the final name.
        """
        return await asyncio.to_thread(self._save, os.fspath(destination))

    def _save(self, destination: str) -> int:
        self._spool.seek(0)
        if destination.startswith("gmifs://"):
            from ..storage.intercept import default_filesystem

            with default_filesystem().open(destination, "wb") as out:
                return _copy(self._spool, out)
        directory, base = os.path.split(os.path.abspath(destination))
        temp = os.path.join(directory, f".{base}.part")
        try:
            with open(temp, "wb") as out:
                written = _copy(self._spool, out)
            os.replace(temp, destination)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return written

    def close(self) -> None:
        self._spool.close()


def _copy(source: IO[bytes] | tempfile.SpooledTemporaryFile[bytes], out: IO[Any]) -> int:
    written = 0
    while chunk := source.read(CHUNK):
        out.write(chunk)
        written += len(chunk)
    return written


@dataclass
class Received:
    """A parsed upload body: the handler's keywords, and the spools to delete after."""

    arguments: dict[str, Any] = field(default_factory=dict)
    files: list[UploadFile] = field(default_factory=list)

    def close(self) -> None:
        for upload in self.files:
            upload.close()


def media_of(value: bytes | str | None) -> str:
    """``type/subtype`` of a content type, lower case, parameters dropped."""
    if value is None:
        return ""
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return text.split(";", 1)[0].strip().lower()


def accepts(patterns: tuple[str, ...], media: str) -> bool:
    """Whether ``media`` matches one of ``patterns`` (``*/*``, ``image/*``, exact)."""
    if not patterns:
        return True
    for pattern in patterns:
        pattern = media_of(pattern)
        if pattern in ("*/*", media) or (pattern.endswith("/*") and media.startswith(pattern[:-1])):
            return True
    return False


async def receive_upload(
    receive: Receive, headers: Headers, spec: UploadSpec, limits: UploadLimits
) -> Received:
    """Read and parse the body for ``spec``; the handler's ``body``/file keywords."""
    if isinstance(spec, BinarySpec):
        return await _receive_binary(receive, headers, spec, limits)
    return await _receive_form(receive, headers, spec, limits)


# -- binary bodies ------------------------------------------------------------------------


async def _receive_binary(
    receive: Receive, headers: Headers, spec: BinarySpec, limits: UploadLimits
) -> Received:
    declared = media_of(headers.get(b"content-type"))
    media = declared or (spec.content_types or ("application/octet-stream",))[0]
    if declared and not accepts(spec.content_types, media):
        expected = ", ".join(spec.content_types)
        raise _unsupported(f"expected a body of type {expected}, got {media!r}")
    limit = min(limits.max_file_size, limits.max_total_size)
    _check_length(headers, limit)
    spool = _spool(limits)
    received = Received()
    try:
        size = 0
        async for chunk in _chunks(receive):
            size += len(chunk)
            if size > limit:
                raise _too_large(limit, "API_MAX_UPLOAD_FILE_SIZE")
            spool.write(chunk)
        upload = UploadFile("body", None, media, {"content-type": media}, spool, size)
        received.files.append(upload)
        received.arguments["body"] = upload
        return received
    except BaseException:
        spool.close()
        raise


# -- multipart ----------------------------------------------------------------------------


async def _receive_form(
    receive: Receive, headers: Headers, spec: FormSpec, limits: UploadLimits
) -> Received:
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header

    raw_type = headers.get(b"content-type")
    media, options = parse_options_header(raw_type)
    if media.decode("latin-1").lower() != "multipart/form-data":
        raise _unsupported(f"expected multipart/form-data, got {media_of(raw_type)!r}")
    boundary = options.get(b"boundary")
    if not boundary:
        raise RequestError(400, "invalid_request", "multipart/form-data without a boundary")
    _check_length(headers, limits.max_total_size)
    form = _Form(spec, limits)
    parser = MultipartParser(boundary, cast("Any", form.callbacks()))
    try:
        async for chunk in _chunks(receive):
            form.total += len(chunk)
            if form.total > limits.max_total_size:
                raise _too_large(limits.max_total_size, "API_MAX_UPLOAD_SIZE")
            try:
                parser.write(chunk)
            except MultipartParseError as exc:
                message = f"malformed multipart body: {exc}"
                raise RequestError(400, "invalid_request", message) from None
            except (ValueError, LookupError) as exc:  # a header python-multipart cannot read
                message = f"malformed multipart part headers: {type(exc).__name__}"
                raise RequestError(400, "invalid_request", message) from None
            if form.error is not None:
                raise form.error
        if parser.state != MultipartState.END:
            raise RequestError(400, "invalid_request", "the multipart body ended early")
        return form.finish()
    except BaseException:
        form.discard()
        raise


class _Form:
    """python-multipart's callbacks: one part at a time, files into spools."""

    def __init__(self, spec: FormSpec, limits: UploadLimits) -> None:
        self.spec = spec
        self.limits = limits
        self.file_parts = {part.name: part for part in spec.files}
        model = spec.fields_model  # the wire names of its fields, read once per form
        self.field_names = (
            {info.alias or name for name, info in model.model_fields.items()} if model else set()
        )
        self.total = 0
        self.parts = 0
        self.error: RequestError | None = None
        self.values: dict[str, list[str]] = {}
        self.uploads: dict[str, list[UploadFile]] = {}
        self._all: list[UploadFile] = []
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._spool: tempfile.SpooledTemporaryFile[bytes] | None = None
        self._text: bytearray | None = None
        self._size = 0
        self._name = ""
        self._skip = False

    def callbacks(self) -> dict[str, Callable[..., None]]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _fail(self, error: RequestError) -> None:
        if self.error is None:
            self.error = error
        self._skip = True

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.limits.max_parts:
            self._fail(RequestError(413, "payload_too_large", "too many parts in the form"))
        self._headers = {}
        self._spool = None
        self._text = None
        self._size = 0

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        name = self._header_field.decode("latin-1").strip().lower()
        # latin-1 keeps the bytes as they came; names and filenames are decoded as UTF-8 below
        self._headers[name] = self._header_value.decode("latin-1").strip()
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        if self._skip:
            return
        _, options = parse_options_header(self._headers.get("content-disposition", ""))
        raw_name = options.get(b"name")
        if raw_name is None:
            self._fail(RequestError(400, "invalid_request", "a form part has no name"))
            return
        self._name = raw_name.decode("utf-8", "replace")
        raw_filename = options.get(b"filename")
        self._filename = raw_filename.decode("utf-8", "replace") if raw_filename else None
        part = self.file_parts.get(self._name)
        if part is not None:
            declared = media_of(self._headers.get("content-type"))
            # a part without a Content-Type is taken as the type the spec declares
            media = declared or (part.content_types or ("application/octet-stream",))[0]
            if declared and not accepts(part.content_types, media):
                self._fail(
                    _unsupported(
                        f"part {self._name!r}: expected {', '.join(part.content_types)}, "
                        f"got {media!r}"
                    )
                )
                return
            if not part.repeated and self.uploads.get(self._name):
                self._fail(RequestError(422, "validation_error", f"part {self._name!r} sent twice"))
                return
            self._media = media
            self._spool = _spool(self.limits)
        elif self.spec.closed and self._name not in self.field_names:
            self._fail(
                RequestError(
                    422,
                    "validation_error",
                    f"part {self._name!r} is not declared, and the form admits no other",
                    details=[
                        {
                            "loc": ["body", self._name],
                            "msg": "Extra inputs are not permitted",
                            "type": "extra_forbidden",
                        }
                    ],
                )
            )
        elif self._filename is None or self._name in self.field_names:
            self._text = bytearray()
        # else: a file nobody asked for: drained, counted against the total, not kept

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._skip:
            return
        self._size += end - start
        if self._spool is not None:
            if self._size > self.limits.max_file_size:
                self._fail(_too_large(self.limits.max_file_size, "API_MAX_UPLOAD_FILE_SIZE"))
                return
            self._spool.write(data[start:end])
        elif self._text is not None:
            if self._size > self.limits.max_field_size:
                self._fail(
                    RequestError(
                        413,
                        "payload_too_large",
                        f"form field {self._name!r} is larger than {self.limits.max_field_size} "
                        "bytes",
                    )
                )
                return
            self._text += data[start:end]

    def _part_end(self) -> None:
        if self._skip:
            if self._spool is not None:
                self._spool.close()
                self._spool = None
            if self.error is None:
                self._skip = False
            return
        if self._spool is not None:
            upload = UploadFile(
                self._name, self._filename, self._media, self._headers, self._spool, self._size
            )
            self._all.append(upload)
            self.uploads.setdefault(self._name, []).append(upload)
            self._spool = None
        elif self._text is not None:
            value = self._text.decode("utf-8", "replace")
            self.values.setdefault(self._name, []).append(value)
            self._text = None

    def discard(self) -> None:
        if self._spool is not None:
            self._spool.close()
        for upload in self._all:
            upload.close()

    def finish(self) -> Received:
        received = Received(files=list(self._all))
        missing = [
            part.name
            for part in self.spec.files
            if part.required and not self.uploads.get(part.name)
        ]
        if missing:
            raise RequestError(
                422,
                "validation_error",
                f"missing file part {missing[0]!r}",
                details=[
                    {"loc": ["body", name], "msg": "Field required", "type": "missing"}
                    for name in missing
                ],
            )
        for part in self.spec.files:
            found = self.uploads.get(part.name, [])
            received.arguments[part.python_name] = (
                found if part.repeated else (found[0] if found else None)
            )
        model = self.spec.fields_model
        if model is not None:
            received.arguments["body"] = _validate_fields(model, self.values)
        return received


def _validate_fields(
    model: type[BaseModel], values: dict[str, list[str]], given: dict[str, Any] | None = None
) -> BaseModel:
    """Form values into ``model``: repeated names make lists, JSON text makes objects.

    ``given``: values already shaped by their ``encoding`` style (forms.py), taken as they are.
    """
    data: dict[str, Any] = dict(given or {})
    fields = {info.alias or name: info for name, info in model.model_fields.items()}
    for name, found in values.items():
        info = fields.get(name)
        if info is None:
            data[name] = found[-1]
            continue
        shape = _shape(info.annotation)
        if shape == "list":
            structured = _item_shape(info.annotation) != "scalar"
            data[name] = [
                decoded if structured and (decoded := _json_or_none(value)) is not None else value
                for value in found
            ]
        elif shape == "object":
            decoded = _json_or_none(found[-1])
            data[name] = found[-1] if decoded is None else decoded
        else:
            data[name] = found[-1]
    first: ValidationError | None = None
    for _ in range(len(data) + 1):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = first or exc
            # text the model (or its JSON Schema check) refused: try it as JSON (8000, null)
            retry = _decoded(data, exc)
            if retry is None:
                break
            data = retry
    assert first is not None
    raise RequestError(
        422, "validation_error", "invalid form fields", details=validation_details(first)
    ) from None


def _decoded(data: dict[str, Any], exc: ValidationError) -> dict[str, Any] | None:
    """``data`` with the refused text values read as JSON, or None when none decodes."""
    from pydantic_core import from_json

    changed = dict(data)
    found = False
    for error in exc.errors():
        # a JSON Schema check (docs/json-schema.md) names the failing place in ctx.path
        loc = tuple(error.get("loc") or (error.get("ctx") or {}).get("path") or ())
        if not loc or not isinstance(loc[0], str) or loc[0] not in data:
            continue
        name = loc[0]
        value = data[name]
        if isinstance(value, list) and len(loc) > 1 and isinstance(loc[1], int):
            items = list(changed[name])
            if loc[1] < len(items) and isinstance(items[loc[1]], str):
                try:
                    items[loc[1]] = from_json(items[loc[1]])
                    found = True
                except ValueError:
                    pass
            changed[name] = items
        elif isinstance(value, str):
            try:
                changed[name] = from_json(value)
                found = True
            except ValueError:
                pass
    return changed if found else None


def _item_shape(annotation: Any) -> str:
    """The shape of a list field's items (``scalar`` when unknown)."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None) and _shape(arg) == "list":
                return _item_shape(arg)
        return "scalar"
    args = typing.get_args(annotation)
    return _shape(args[0]) if args else "scalar"


def _json_or_none(value: str) -> Any:
    from pydantic_core import from_json

    text = value.strip()
    if not text or text[0] not in "[{":
        return None
    try:
        return from_json(text)
    except ValueError:
        return None


def _shape(annotation: Any) -> str:
    """``list`` / ``object`` / ``scalar`` for a field annotation (through ``| None``)."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        shapes = {_shape(arg) for arg in typing.get_args(annotation) if arg is not type(None)}
        return shapes.pop() if len(shapes) == 1 else "scalar"
    if origin in (list, tuple, set, frozenset):
        return "list"
    if origin is dict or annotation is dict:
        return "object"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return "scalar"


# -- shared -------------------------------------------------------------------------------


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


def _spool(limits: UploadLimits) -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=limits.spool_size, prefix="ieops-upload-")


def _check_length(headers: Headers, limit: int) -> None:
    length = headers.get(b"content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _too_large(limit, "API_MAX_UPLOAD_SIZE")


def _too_large(limit: int, variable: str) -> RequestError:
    return RequestError(
        413,
        "payload_too_large",
        f"upload is larger than {limit} bytes ({variable})",
        headers={"Connection": "close"},
    )


def _unsupported(message: str) -> RequestError:
    return RequestError(415, "unsupported_media_type", message)


__all__ = [
    "BinarySpec",
    "FilePart",
    "FormSpec",
    "Received",
    "UploadFile",
    "UploadLimits",
    "UploadSpec",
    "accepts",
    "media_of",
    "receive_upload",
    "upload_limits_from_env",
]
