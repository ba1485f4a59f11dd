"""The intermediate representation the emitters read: services, operations, parameters.

Data only: :mod:`.build` makes a :class:`Service` from a validated, bundled OpenAPI
document. Every schema an operation uses is a named model by then (inline schemas are given
names from the ``operationId``), so emitters only ever deal in class names, never in raw
schema dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from . import media as files

Kind = Literal["api", "sse", "ws"]
Location = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True)
class Parameter:
    """A path, query, header or cookie parameter; ``python_name`` is its keyword argument."""

    name: str
    python_name: str
    location: Location
    required: bool
    description: str | None
    style: str = "simple"  # OpenAPI serialization: form/simple/deepObject/...
    explode: bool = False

    @property
    def default_style(self) -> bool:
        """Whether ``style``/``explode`` are the location's defaults (form+explode, simple)."""
        if self.location in ("query", "cookie"):
            return self.style == "form" and self.explode
        return self.style == "simple" and not self.explode


@dataclass
class Operation:
    """One route: an HTTP operation (JSON, SSE or both) or a WebSocket."""

    operation_id: str
    method_name: str
    http_method: str
    path: str
    kind: Kind
    pointer: str
    summary: str | None = None
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    parameters: list[Parameter] = field(default_factory=list)
    params_model: str | None = None
    body_model: str | None = None
    body_required: bool = True
    """False only for a JSON body whose ``requestBody`` says ``required: false`` (an
    omitted flag stays required: docs/generator.md, "Optional request bodies")."""
    response_model: str | None = None
    event_model: str | None = None
    stream_method_name: str | None = None
    stream_flag: str | None = None
    ws_receive_model: str | None = None
    ws_send_model: str | None = None
    status_code: int = 200
    redirect: bool = False
    """The only declared successes are redirects (301/302/303/307/308): the service returns
    the target URL, sent as ``Location`` with ``status_code`` (docs/generator.md)."""
    timeout: float | None = None
    batch: dict[str, float] | None = None
    """``x-ieops-batch``: the route batches; its settings (keys of BatchConfig) or ``{}``."""
    deprecated: bool = False
    # Files (media.py, docs/files.md): a multipart or binary body, a binary/text response.
    body_kind: Literal["json", "form", "binary", "urlencoded"] = "json"
    """``urlencoded``: the client sends the body model form-encoded (the spec offers no JSON)."""
    form_files: list[files.FileField] = field(default_factory=list)
    form_closed: bool = False  # a part the form does not declare is refused (422)
    body_media: list[str] = field(default_factory=list)
    urlencoded: bool = False
    """The server also reads the body model from ``application/x-www-form-urlencoded``."""
    form_styles: dict[str, tuple[str, bool]] = field(default_factory=dict)
    """``encoding.<name>`` ``(style, explode)`` of a urlencoded body, by wire name."""
    response_media: str | None = None
    error_format: str | None = None
    """``"openai"``: OpenAI's error format fits the bodies this operation declares (and not
    the service's; ``declared_errors``)."""
    error_shapes: dict[str, Any] = field(default_factory=dict)
    """The declared error bodies the runtime's errors are written in, by response key
    (``DeclaredErrors``); ``None`` for a key the seed's envelope fits."""
    error_body_names: dict[str, str] = field(default_factory=dict)
    """The component each of ``error_shapes`` was read from (names its constant)."""
    declares_errors: bool = False
    """A binary or text response; with ``response_model`` too, JSON or this type by Accept."""

    @property
    def label(self) -> str:
        """``POST /v1/chat`` for messages."""
        return f"{self.http_method} {self.path}"

    @property
    def models(self) -> list[str]:
        """Every model class this operation names, in a stable order."""
        found = [
            self.params_model,
            self.body_model,
            self.response_model,
            self.event_model,
            self.ws_receive_model,
            self.ws_send_model,
        ]
        return [m for m in found if m is not None]


@dataclass
class Service:
    """One OpenAPI document: the service interface and everything it needs."""

    module: str
    class_name: str
    title: str
    version: str
    description: str | None
    source: str
    operations: list[Operation]
    skipped: list[str]
    warnings: list[str]
    schemas: dict[str, Any]
    aliases: dict[str, str]
    openapi: dict[str, Any]
    error_format: str = "ieops"
    """How the service's errors are written: root ``x-ieops-error-format``, else
    ``"openai"`` where that fits the error bodies its operations declare."""
