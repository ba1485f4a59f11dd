"""What the emitters write for files (media.py): upload keywords, binary returns, imports.

Kept apart from ``emit.py`` so the file shapes read in one place: the service gets
``UploadFile`` keywords and returns ``BinaryBody``; the client takes ``FileInput`` and
form fields as keywords, and offers ``op`` (``bytes``/``str``) and ``op_stream``
(``ByteStream``) for a binary response. See docs/files.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from . import media
from .escape import literal
from .ir import Operation
from .media import FileField
from .models import Models


class _Adds(Protocol):
    def add(self, statement: str) -> None: ...


def upload_annotation(part: FileField) -> str:
    """The service keyword's type for a file part."""
    if part.repeated:
        return "list[UploadFile]"
    return "UploadFile" if part.required else "UploadFile | None"


def _client_file(part: FileField) -> str:
    base = "list[FileInput]" if part.repeated else "FileInput"
    return base if part.required else f"{base} | None = None"


@dataclass
class ClientUpload:
    """How a client method passes its body: the ``body`` argument, or an expression."""

    has_body: bool
    annotation: str = ""
    expr: str | None = None
    arguments: list[tuple[str, str]] = field(default_factory=list)


def client_returns(op: Operation) -> str:
    return "str" if op.response_media and media.is_text(op.response_media) else "bytes"


def _unique(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def client_upload(
    op: Operation, models: Models, schemas: dict[str, Any], taken: set[str]
) -> ClientUpload:
    """The body of a client method: JSON as before, a form or a binary body for files."""
    taken = set(taken) | set(media.RESERVED)
    if op.body_kind == "binary":
        concrete = [m for m in op.body_media if "*" not in m]
        default = concrete[0] if concrete else "application/octet-stream"
        name = _unique("content_type", taken)
        return ClientUpload(
            True,
            "FileInput",
            f"binary_body(body, {name})",
            [(name, f"str = {literal(default)}")],
        )
    if op.body_kind == "urlencoded" and op.body_model is not None:
        styles = ""
        if op.form_styles:
            items = ", ".join(
                f"{literal(name)}: ({literal(style)}, {explode})"
                for name, (style, explode) in op.form_styles.items()
            )
            styles = f", {{{items}}}"
        return ClientUpload(True, op.body_model, f"urlencoded_body(body{styles})")
    if op.body_kind != "form":
        return ClientUpload(op.body_model is not None, op.body_model or "")
    parts = ", ".join(f"{literal(p.name)}: {p.python_name}" for p in op.form_files)
    arguments = [(p.python_name, _client_file(p)) for p in op.form_files]
    taken |= {p.python_name for p in op.form_files}
    if op.body_model is None:
        return ClientUpload(False, "", f"form_body({{}}, {{{parts}}})", arguments)
    fields = models.fields.get(op.body_model, [])
    schema = schemas.get(op.body_model) or {}
    wires = list((schema.get("properties") or {}).keys())
    required = set(schema.get("required") or [])
    flat = len(fields) == len(wires) and not any(f.name in taken for f in fields)
    if not flat:  # the form model as ``body``
        return ClientUpload(
            True, op.body_model, f"form_body(form_fields(body), {{{parts}}})", arguments
        )
    values = []
    for fld, wire in zip(fields, wires, strict=True):
        if wire in required:
            arguments.append((fld.name, fld.annotation))
        else:
            optional = (
                fld.annotation
                if fld.annotation.endswith("| None")
                else (f"{fld.annotation} | None")
            )
            arguments.append((fld.name, f"{optional} = None"))
        values.append(f"{literal(wire)}: {fld.name}")
    return ClientUpload(False, "", f"form_body({{{', '.join(values)}}}, {{{parts}}})", arguments)


def client_imports(method: Any) -> set[str]:
    """What a client method's file arguments and body expression import."""
    needs: set[str] = set()
    if method.call == "_download":
        needs.add("from gmi_ieops.client import AsyncByteStream")
        needs.add("from gmi_ieops.client import ByteStream")
    expr = method.body_expr or ""
    for name in ("form_body", "form_fields", "binary_body", "urlencoded_body"):
        if f"{name}(" in expr:
            needs.add(f"from gmi_ieops.client import {name}")
    annotations = [a.annotation for a in method.arguments] + [method.body_annotation]
    if any("FileInput" in a for a in annotations):
        needs.add("from gmi_ieops.client import FileInput")
    return needs


def flattened_form(op: Operation, has_body: bool) -> bool:
    """A form whose fields are the client method's keywords: its model is not named."""
    return op.body_kind == "form" and not has_body and op.body_model is not None


def service_imports(method: Any) -> set[str]:
    """What a service method's upload arguments and binary result import."""
    needs: set[str] = set()
    if any("UploadFile" in a.annotation for a in method.arguments):
        needs.add("from gmi_ieops.handler import UploadFile")
    if "BinaryBody" in method.returns:
        needs.add("from gmi_ieops.handler import BinaryBody")
    return needs


def routes_imports(imports: _Adds, operations: list[Operation]) -> None:
    if any(op.body_kind == "form" for op in operations):
        imports.add("from gmi_ieops.typed import FormSpec")
        if any(op.form_files for op in operations):
            imports.add("from gmi_ieops.typed import FilePart")
    if any(op.body_kind == "binary" for op in operations):
        imports.add("from gmi_ieops.typed import BinarySpec")
    if any(op.urlencoded for op in operations):
        imports.add("from gmi_ieops.typed import UrlencodedSpec")
