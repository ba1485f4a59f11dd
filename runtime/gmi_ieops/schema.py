"""JSON Schema checks for generated models: the keywords Pydantic types cannot express.

``ieops-gen`` maps a spec's schemas to Pydantic models; some keywords have no model
equivalent (``not``, ``if``/``then``/``else``, ``contains``, ``dependentRequired``,
``unevaluatedProperties``, ``patternProperties``, ``oneOf``'s "exactly one", ...). A
generated ``models.py`` whose schemas use them embeds those schemas as JSON text (data,
never code) in one :class:`JsonSchemaCheck` and gives each affected model a
``model_validator(mode="before")`` (:meth:`JsonSchemaCheck.before`) that calls
:meth:`JsonSchemaCheck.check`. A failure is
a ``PydanticCustomError``, so it surfaces as a ``pydantic.ValidationError``: the runtime
answers 422 and the generated client raises its typed error, as for any other constraint.

The validator is ``jsonschema-rs`` (``pip install 'gmi-ieops[schema]'``), else the pure
Python ``jsonschema`` when installed. Which one is chosen at first use; a module that
needs one and finds neither fails at import with the install command. Schemas are compiled
lazily, once per model. Remote ``$ref``s are never fetched.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError, to_jsonable_python

INSTALL = "pip install 'gmi-ieops[schema]'"
MAX_ERRORS = 5  # a message lists at most this many violations
_SCALARS = (str, bool, int, float)

Validate = Callable[[Any], list[str]]  # instance -> messages, empty when valid
_PATH_MARK = " (at /"


class JsonSchemaCheck:
    """The embedded schemas of one generated module, compiled on first use."""

    def __init__(self, document: str) -> None:
        if not _available():
            raise ImportError(
                "these generated models enforce JSON Schema keywords Pydantic cannot express "
                f"and need a JSON Schema validator: {INSTALL} (jsonschema-rs), "
                "or pip install jsonschema"
            )
        self._document: dict[str, Any] = json.loads(document)
        self._validators: dict[str, Validate] = {}
        self._lock = threading.Lock()

    def check(self, model: type, pointer: str, data: Any, parsed: bool = False) -> Any:
        """Return ``data`` unchanged when it satisfies the schema at ``pointer``.

        ``pointer`` is a JSON pointer into the document ("" for the whole document); an
        instance of ``model`` itself passed its checks when it was built. ``parsed``: the
        data comes from JSON (``model_validate_json``), so it holds JSON values only.
        """
        if isinstance(data, model):
            return data
        validate = self._validators.get(pointer)
        if validate is None:
            validate = self._compile(pointer)
        errors = validate(data if parsed or _is_json(data) else _plain(data))
        if errors:
            raise PydanticCustomError(
                "json_schema",
                "{errors}",
                {"errors": "; ".join(errors), "keyword": "json_schema", "path": _path(errors[0])},
            )
        return data

    def before(self, pointer: str) -> Any:
        """A ``model_validator(mode="before")`` checking the schema at ``pointer``.

        Generated models bind it in their class body
        (``_check_json_schema = _JSON_SCHEMA.before("/$defs/Part")``), so ``models.py``
        names no types of its own for it (a field called ``object`` or ``Any`` would
        shadow them).
        """

        def check(cls: Any, data: Any, info: ValidationInfo) -> Any:
            return self.check(cls, pointer, data, parsed=info.mode == "json")

        return model_validator(mode="before")(check)  # a classmethod: its first name is cls

    def _compile(self, pointer: str) -> Validate:
        with self._lock:
            found = self._validators.get(pointer)
            if found is None:
                schema = self._document
                if pointer:
                    schema = {**self._document, "$ref": "#" + pointer}
                found = self._validators[pointer] = _compiler()(schema)
            return found


def _available() -> bool:
    return any(importlib.util.find_spec(name) for name in ("jsonschema_rs", "jsonschema"))


def _compiler() -> Callable[[Any], Validate]:
    if importlib.util.find_spec("jsonschema_rs") is not None:
        return _compile_rs
    return _compile_py


def _compile_rs(schema: Any) -> Validate:
    import jsonschema_rs

    validator = jsonschema_rs.validator_for(schema, validate_formats=False, retriever=refuse)

    def validate(instance: Any) -> list[str]:
        if validator.is_valid(instance):
            return []
        errors = _first(validator.iter_errors(instance))
        return [_message(e.instance_path, e.message) for e in errors]

    return validate


def refuse(uri: str) -> Any:
    """The retriever of remote ``$ref``s: nothing is ever fetched."""
    raise ValueError(f"remote $ref {uri!r} is not fetched: schemas must be self-contained")


def _compile_py(schema: Any) -> Validate:
    import referencing

    jsonschema: Any = importlib.import_module("jsonschema")  # no type stubs
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    validator = cls(schema, registry=referencing.Registry())

    def validate(instance: Any) -> list[str]:
        return [
            _message(list(e.absolute_path), e.message)
            for e in _first(validator.iter_errors(instance))
        ]

    return validate


def _first(errors: Any) -> list[Any]:
    out = []
    for error in errors:
        out.append(error)
        if len(out) == MAX_ERRORS:
            break
    return out


def _path(message: str) -> list[str]:
    """The instance path of the first error (the location a client wants to see)."""
    if not message.endswith(")") or _PATH_MARK not in message:
        return []
    where = message.rsplit(_PATH_MARK, 1)[1][:-1]
    return [part for part in where.split("/") if part]


def _message(path: Any, message: str) -> str:
    where = "/".join(str(part) for part in path)
    return f"{message} (at /{where})" if where else message


def _is_json(data: Any) -> bool:
    """Whether ``data`` holds JSON values only (what ``model_validate_json`` hands over)."""
    stack = [data]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif item is not None and kind not in _SCALARS:
            return False
    return True


def _plain(data: Any) -> Any:
    """The JSON value ``data`` stands for: models built in Python hold models, enums, ...

    A nested model contributes what it would put on the wire (aliases, unset fields left
    out), so a check sees what a client would send.
    """
    if data is None or type(data) in _SCALARS:  # not str/int subclasses such as enums
        return data
    if isinstance(data, dict):
        return {key if isinstance(key, str) else str(key): _plain(v) for key, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(item) for item in data]
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        return to_jsonable_python(data, by_alias=True)
    except Exception:  # not serialisable: let the schema judge the value as it is
        return data
