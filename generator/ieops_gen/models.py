"""Pydantic v2 models through datamodel-code-generator, used as a library.

The IR hands over one OpenAPI document whose ``components.schemas`` holds every model an
operation needs, under the class names the emitters will use. The output is read back
with :mod:`ast` to learn the parameter models' field types and the imports they need;
nothing generated is imported or executed.
"""

from __future__ import annotations

import ast
import json
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import checks, fixups
from .errors import GenerationError
from .escape import lines as source_lines
from .escape import normalise_strings
from .ir import Service
from .layout import (
    fill_bare_generics,
    modern_generics,
    rename_ambiguous_enum_members,
    shorten_class_names,
)
from .names import AMBIGUOUS
from .shapes import (
    inline_root_models,
    merge_identical_classes,
    root_aliases,
    split_nullable_enums,
)

LINE_LENGTH = 100
MODEL_BASES = {"BaseModel", "RootModel"}
SCHEMA_REF = "#/components/schemas/"


@dataclass(frozen=True)
class Field:
    """A field of a generated model, as the service signature needs it."""

    name: str
    annotation: str
    names: frozenset[str]
    required: bool = True
    alias: str | None = None
    description: str | None = None  # the docstring that follows the field


@dataclass
class Models:
    """The text of ``models.py`` and what the emitters need to know about it."""

    source: str
    classes: set[str]  # classes and type aliases
    fields: dict[str, list[Field]]
    imports: dict[str, str]  # name -> import statement that binds it in models.py
    bases: dict[str, list[str]] = field(default_factory=dict)

    def all_fields(self, name: str) -> list[Field] | None:
        """Every field of the model ``name``, inherited ones too, as pydantic orders them.

        ``None`` when it is not a plain ``BaseModel`` subclass of this module (a root
        model, or a base from elsewhere): such a body cannot be given as keywords.
        """
        order: list[str] = []

        def visit(cls: str, depth: int) -> bool:
            if cls == "BaseModel":
                return True
            if cls not in self.bases or depth > 50:
                return False
            if not all(visit(base, depth + 1) for base in self.bases[cls]):
                return False
            if cls not in order:
                order.append(cls)
            return True

        if not visit(name, 0):
            return None
        found: dict[str, Field] = {}
        for cls in order:  # bases first; a redeclared field keeps its place, takes the type
            for fld in self.fields.get(cls, []):
                found[fld.name] = fld
        return list(found.values())


def generate(service: Service, header: str, enums: str = "enum") -> Models:
    """Generate ``models.py`` for ``service``; deterministic for a given input.

    ``enums="enum"`` makes string enums ``class X(str, Enum)`` (members compare equal to
    their values); ``"literal"`` makes every enum a ``Literal[...]`` type.
    """
    if enums not in ("enum", "literal"):
        raise GenerationError(f"enums must be 'enum' or 'literal', not {enums!r}")
    from datamodel_code_generator import generate as codegen
    from datamodel_code_generator.enums import DataModelType, InputFileType, OpenAPIScope
    from datamodel_code_generator.format import PythonVersion
    from datamodel_code_generator.parser import LiteralType

    if not service.schemas:
        return _inspect(header, service)
    document = {
        "openapi": _version(service.openapi.get("openapi")),
        "info": {"title": service.title, "version": service.version},
        "paths": {},
        "components": {
            "schemas": {
                name: checks.for_models(schema)
                for name, schema in split_nullable_enums(service.schemas, SCHEMA_REF).items()
            }
        },
    }
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        output_path = Path(tmp) / "models.py"
        metadata_path = Path(tmp) / "metadata.json"
        try:
            codegen(
                json.dumps(document, ensure_ascii=False, sort_keys=False),
                input_file_type=InputFileType.OpenAPI,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_310,
                openapi_scopes=[OpenAPIScope.Schemas],
                formatters=[],  # laid out once, with the other modules (formatter.py)
                use_annotated=True,
                field_constraints=True,
                use_union_operator=True,
                use_standard_collections=True,
                use_double_quotes=True,
                use_schema_description=True,
                use_field_description=True,
                disable_timestamp=True,
                allow_remote_refs=False,
                set_default_enum_member=True,
                use_subclass_enum=True,
                enum_field_as_literal=LiteralType.All if enums == "literal" else None,
                use_single_value_enum_as_const=True,
                strict_nullable=True,
                # format: byte is base64 of any bytes: Base64Bytes (the default, Base64Str,
                # also decodes them as UTF-8 and refused the rest)
                type_mappings=["string+byte=binary"],
                aliases={name: name + "_" for name in AMBIGUOUS} | service.aliases,
                output=output_path,
                emit_model_metadata=metadata_path,
            )
            output = output_path.read_text(encoding="utf-8")
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
            output, renames = shorten_class_names(output)
            for model in metadata.get("models", []) if isinstance(metadata, dict) else []:
                model["class_name"] = renames.get(model.get("class_name"), model.get("class_name"))
        except Exception as exc:  # the library raises many types; report which schema
            raise GenerationError(
                f"{service.source}: datamodel-code-generator failed: {type(exc).__name__}: {exc}"
            ) from exc
    chosen = _chosen_names(metadata)
    named = _use_generated_names(service, chosen)
    boundary = {m for op in service.operations for m in op.models}
    body = merge_identical_classes(_strip_header(normalise_strings(output)), keep=named)
    body, _aliases = root_aliases(body, named, boundary)
    body = inline_root_models(body, keep=named)
    source = header + _with_checks(service, body, chosen)
    source = fill_bare_generics(modern_generics(source))
    source = rename_ambiguous_enum_members(source, AMBIGUOUS)
    if not source.endswith("\n"):
        source += "\n"
    return _inspect(source, service)


def _chosen_names(metadata: Any) -> dict[str, str]:
    """Schema name -> the class datamodel-code-generator gave it (from its model metadata)."""
    chosen: dict[str, str] = {}
    models = metadata.get("models", []) if isinstance(metadata, dict) else []
    for model in models:
        path = model.get("source_path")
        if isinstance(path, list) and len(path) == 3 and path[:2] == ["components", "schemas"]:
            chosen[str(path[2])] = str(model.get("class_name"))
    return chosen


def _use_generated_names(service: Service, chosen: dict[str, str]) -> set[str]:
    """Point the operations at the class names datamodel-code-generator actually chose.

    It may give a schema's name to an inline model it met first (``Model`` -> ``Model1``).
    Returns the classes of named schemas; the others are inline and may be folded into
    their fields.
    """
    for op in service.operations:
        for attr in (
            "params_model",
            "body_model",
            "response_model",
            "event_model",
            "ws_receive_model",
            "ws_send_model",
        ):
            name = getattr(op, attr)
            if name is not None and chosen.get(name, name) != name:
                setattr(op, attr, chosen[name])
    return set(chosen.values()) | {m for op in service.operations for m in op.models}


def _with_checks(service: Service, source: str, chosen: dict[str, str]) -> str:
    """Add JSON Schema checks to the models whose schemas the model types cannot express.

    A schema whose class is not a model (an Enum) cannot carry a check: the schemas that
    refer to it check for it. Parameter models are built from strings (query, headers) and
    get no check; a keyword there is reported as not enforced.
    """
    schemas = service.schemas

    def resolve(ref: str) -> Any:
        if ref.startswith(SCHEMA_REF):
            return schemas.get(ref[len(SCHEMA_REF) :].split("/")[0].replace("~1", "/"))
        return None

    found = {n: k for n, s in schemas.items() if (k := checks.trigger(s, resolve)) is not None}
    if not found:
        return source
    params = {op.params_model for op in service.operations if op.params_model}
    classes = checks.model_classes(source)
    models = {n for n in schemas if chosen.get(n, n) in classes}
    targets = {
        n: {
            ref[len(SCHEMA_REF) :].split("/")[0].replace("~1", "/")
            for ref in checks.refs(s)
            if ref.startswith(SCHEMA_REF)
        }
        for n, s in schemas.items()
    }
    # a class whose closed base carries a check gets its own, read as one object: the
    # inherited one refused the properties the class adds (AssemblyAI's TranscriptParams)
    reader = fixups.Fixups(schemas, [], {})
    for n, s in schemas.items():
        if (
            n not in found
            and targets[n] & set(found)
            and isinstance(s, dict)
            and isinstance(s.get("allOf"), list)
            and reader.closed_parts(s)
        ):
            found[n] = "allOf"
    for _ in range(len(schemas)):
        unenforced = {n for n in found if n not in models or n in params}
        grown = {n: "$ref" for n in schemas if n not in found and targets[n] & unenforced}
        if not grown:
            break
        found.update(grown)
    checked = {chosen.get(n, n): n for n in found if n in models and n not in params}
    for name in found:
        if name not in checked.values() and not any(
            name in targets[other] for other in checked.values()
        ):
            why = "parameters are not checked" if name in params else "no model carries it"
            service.warnings.append(
                f"/components/schemas/{name}: {found[name]!r} is not enforced ({why})"
            )
    if not checked:
        return source
    text = checks.document(schemas, list(checked.values()), SCHEMA_REF)
    _compile_check(service, text, checked)
    return checks.attach(source, {cls: checks.pointer(name) for cls, name in checked.items()}, text)


def _compile_check(service: Service, text: str, checked: dict[str, str]) -> None:
    """Compile the checks now, when a validator is installed: a bad schema is a spec error.

    One compile covers them all; only when it fails is each compiled alone, to name it.
    """
    try:
        import jsonschema_rs
        from gmi_ieops.schema import refuse
    except ImportError:
        return
    document = json.loads(text)

    def compile_(refs: list[str]) -> None:
        jsonschema_rs.validator_for(
            {**document, "allOf": [{"$ref": "#" + checks.pointer(n)} for n in refs]},
            validate_formats=False,
            retriever=refuse,
        )

    try:
        compile_(list(checked.values()))
        return
    except Exception:
        pass
    for name in checked.values():
        try:
            compile_([name])
        except Exception as exc:
            raise GenerationError(
                f"{service.source}: /components/schemas/{name}: invalid JSON Schema: "
                f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            ) from exc
    raise GenerationError(f"{service.source}: the JSON Schema checks do not compile")


def _version(version: Any) -> str:
    return version if isinstance(version, str) else "3.1.0"


def _strip_header(output: str) -> str:
    lines = source_lines(output)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return "".join(lines)


def _inspect(source: str, service: Service) -> Models:
    tree = ast.parse(source)
    classes: set[str] = set()
    bases: dict[str, list[str]] = {}
    fields: dict[str, list[Field]] = {}
    imports: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            for alias in node.names:
                bound = alias.asname or alias.name
                imports[bound] = f"from {node.module} import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                imports[bound] = f"import {alias.name}" + (
                    f" as {alias.asname}" if alias.asname else ""
                )
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.annotation, ast.Name)
            and node.annotation.id == "TypeAlias"
        ):
            classes.add(node.target.id)  # a type alias: imported like a class
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "TypeAliasType"
        ):
            classes.add(node.targets[0].id)  # the library's own aliases (constrained values)
        elif isinstance(node, ast.ClassDef):
            classes.add(node.name)
            bases[node.name] = [_base_name(b) for b in node.bases]
            found: list[Field] = []
            for index, stmt in enumerate(node.body):
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    annotation = _unwrap_annotated(stmt.annotation)
                    found.append(
                        Field(
                            name=stmt.target.id,
                            annotation=ast.unparse(annotation),
                            names=frozenset(
                                n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)
                            ),
                            required=stmt.value is None,
                            alias=_alias(stmt.annotation),
                            description=_docstring_after(node.body, index),
                        )
                    )
            fields[node.name] = found
    for op in service.operations:
        for model in op.models:
            if model not in classes:
                raise GenerationError(
                    f"{service.source}: {op.label}: model {model} is missing from the "
                    "datamodel-code-generator output"
                )
            if not _is_model(model, bases):
                raise GenerationError(
                    f"{service.source}: {op.label}: {model} is not a pydantic model"
                )
        if op.params_model is not None:
            got = [f.name for f in fields[op.params_model]]
            want = [p.python_name for p in op.parameters]
            if got != want:
                raise GenerationError(
                    f"{service.source}: {op.label}: parameter fields {got} != {want}"
                )
    return Models(source=source, classes=classes, fields=fields, imports=imports, bases=bases)


def _docstring_after(body: list[ast.stmt], index: int) -> str | None:
    after = body[index + 1] if index + 1 < len(body) else None
    if (
        isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and isinstance(after.value.value, str)
    ):
        return after.value.value.strip() or None
    return None


def _alias(annotation: ast.expr) -> str | None:
    """The ``alias`` of ``Annotated[T, Field(alias="x")]``."""
    for node in ast.walk(annotation):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Field":
            for kw in node.keywords:
                if kw.arg == "alias" and isinstance(kw.value, ast.Constant):
                    return str(kw.value.value)
    return None


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_model(name: str, bases: dict[str, list[str]], depth: int = 0) -> bool:
    if depth > 50:
        return False
    return any(
        base in MODEL_BASES or (base in bases and _is_model(base, bases, depth + 1))
        for base in bases.get(name, [])
    )


def _unwrap_annotated(node: ast.expr) -> ast.expr:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Annotated"
        and isinstance(node.slice, ast.Tuple)
    ):
        return node.slice.elts[0]
    return node
