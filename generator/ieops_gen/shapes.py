"""Shape schemas and generated models so that they read as if written by hand.

Two things datamodel-code-generator does literally that users trip over:

* an ``enum`` that lists ``null`` becomes an Enum with a ``NoneType_None = None`` member;
  :func:`split_nullable_enums` rewrites such schemas to "enum of the other values, or
  null" so the Enum holds only real values and the field reads ``FinishReason | None``;
* a nullable map or array (3.0's ``nullable: true``, 3.1's ``type: [object, "null"]``)
  inside an array or a map lost its ``null`` (3.0) or its value type (3.1:
  ``dict[str, Any]``); :func:`split_nullable_enums` writes those as "the container, or
  null" too (LoRAX's ``top_logprobs``: ``list[dict[str, float] | None]``);
* each member of an inline ``oneOf``/``anyOf`` that carries constraints becomes its own
  root model (``Input``, ``Input1``), so ``input=["a"]`` does not type-check;
  :func:`inline_root_models` puts those models' annotations back into the fields that
  use them (``Annotated[str, Field(min_length=1)] | Annotated[list[str], ...]``).

Named schemas (``components.schemas``) keep their classes; only inline ones are folded.

And one thing it does twice: it makes a class for each inline enum or object it meets and
numbers the repeats (``Purpose``, ``Purpose2``) when they differ in as little as a
description; :func:`merge_identical_classes` keeps one class per name and shape.
"""

from __future__ import annotations

import ast
import copy
import re
from typing import Any

# keywords whose values are data, not schemas: never rewrite inside them
DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "example", "x-examples"})
# keywords whose values map names to schemas (a property may be called "enum")
SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
# keywords that describe the field rather than the value; they stay on the outer schema
OUTER_KEYWORDS = ("description", "title", "default", "deprecated", "readOnly", "writeOnly")


def split_nullable_enums(schemas: dict[str, Any], ref_prefix: str) -> dict[str, Any]:
    """Return a copy of the named ``schemas`` where no ``enum`` lists ``null``.

    A named schema loses ``null`` from its enum and every ``$ref`` to it (``ref_prefix`` +
    name) becomes ``anyOf: [$ref, {type: null}]``; an inline one becomes
    ``anyOf: [enum, {type: null}]``. The accepted values are unchanged.
    """
    nullable = {ref_prefix + name for name, schema in schemas.items() if _nullable_enum(schema)}
    return {
        name: _rewrite(_without_null(schema) if ref_prefix + name in nullable else schema, nullable)
        for name, schema in schemas.items()
    }


def split_nullable_enums_in_document(schema: Any) -> Any:
    """:func:`split_nullable_enums` for a standalone JSON Schema with ``$defs``."""
    if not isinstance(schema, dict):
        return schema
    named = {
        f"#/{key}/{name}": sub
        for key in ("$defs", "definitions")
        if isinstance(schema.get(key), dict)
        for name, sub in schema[key].items()
    }
    shaped = split_nullable_enums(named, "")
    nullable = {ref for ref, sub in named.items() if _nullable_enum(sub)}
    out = _rewrite({k: v for k, v in schema.items() if k not in ("$defs", "definitions")}, nullable)
    for key in ("$defs", "definitions"):
        if isinstance(schema.get(key), dict):
            out[key] = {name: shaped[f"#/{key}/{name}"] for name in schema[key]}
    return out


def _nullable_enum(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    values = schema.get("enum")
    if not isinstance(values, list) or None not in values:
        return False
    return any(v is not None for v in values) and schema.get("type") != "null"


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    out = dict(schema)
    if isinstance(schema.get("enum"), list):
        out["enum"] = [v for v in schema["enum"] if v is not None]
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    out.pop("nullable", None)
    return out


def _rewrite(node: Any, nullable: set[str]) -> Any:
    if isinstance(node, list):
        return [_rewrite(item, nullable) for item in node]
    if not isinstance(node, dict):
        return node
    # new containers throughout, so the caller's schemas stay as they were
    node = {key: _rewrite_keyword(key, value, nullable) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref in nullable:
        either = {"anyOf": [{"$ref": ref}, {"type": "null"}]}
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if "anyOf" in siblings:  # keep both: all of (ref or null) and the sibling anyOf
            return {**siblings, "allOf": [either, *siblings.get("allOf", [])]}
        return {**either, **siblings}
    if _nullable_enum(node) or _nullable_container(node):
        outer = {k: node[k] for k in OUTER_KEYWORDS if k in node}
        inner = {k: v for k, v in _without_null(node).items() if k not in outer}
        return {"anyOf": [inner, {"type": "null"}], **outer}
    return node


def _nullable_container(schema: dict[str, Any]) -> bool:
    """A map (an object without properties) or an array that may also be null."""
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if schema.get("nullable") is not True and "null" not in kinds:
        return False
    rest = kinds - {"null", None}
    if rest == {"array"}:
        return True
    return rest == {"object"} and not any(
        k in schema for k in ("properties", "allOf", "anyOf", "oneOf", "enum", "const")
    )


def _rewrite_keyword(key: str, value: Any, nullable: set[str]) -> Any:
    if key in DATA_KEYWORDS:
        return value
    if key in SCHEMA_MAPS and isinstance(value, dict):
        return {name: _rewrite(sub, nullable) for name, sub in value.items()}
    return _rewrite(value, nullable)


def root_aliases(source: str, named: set[str], boundary: set[str]) -> tuple[str, set[str]]:
    """Named unions and ``Literal`` enums become type aliases, not ``RootModel`` classes.

    ``class Filter(RootModel[A | B]): root: Annotated[A | B, Field(discriminator="type")]``
    becomes ``Filter: TypeAlias = Annotated[A | B, Field(discriminator="type")]``, so a
    field typed ``Filter`` takes ``A(...)`` directly and its value needs no ``.root``.
    Only classes in ``named`` are turned, never those in ``boundary`` (an operation's
    body, response, event or message: the runtime validates those with the model's own
    ``model_validate_json``), nor one used as a value, a base class, or before the names
    it refers to exist (an alias is evaluated where it stands). Returns the new source
    and the aliases made.
    """
    tree = ast.parse(source)
    order = {n.name: i for i, n in enumerate(tree.body) if isinstance(n, ast.ClassDef)}
    candidates: dict[str, ast.ClassDef] = {}
    for index, node in enumerate(tree.body):
        if not isinstance(node, ast.ClassDef) or node.name not in named or node.name in boundary:
            continue
        root = _plain_root(node)
        if root is None or not _union_or_literal(root):
            continue
        refs = {n.id for n in ast.walk(root) if isinstance(n, ast.Name)}
        if node.name in refs or any(order.get(r, -1) > index for r in refs):
            continue
        candidates[node.name] = node
    if not candidates:
        return source, set()
    in_types = {
        id(name)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.AnnAssign)
        for name in ast.walk(stmt.annotation)
    }
    for cls in candidates.values():
        for base in cls.bases:  # its own base mentions its members: not a use of it
            in_types.update(id(n) for n in ast.walk(base))
    for use in ast.walk(tree):
        if isinstance(use, ast.Name) and use.id in candidates and id(use) not in in_types:
            candidates.pop(use.id)
    if not candidates:
        return source, set()
    lines = source.splitlines(keepends=True)
    for name, node in sorted(candidates.items(), key=lambda kv: -kv[1].lineno):
        root = _plain_root(node)
        assert root is not None
        docs = [
            stmt
            for stmt in node.body
            if isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ]
        text = f"{name}: TypeAlias = {ast.unparse(root)}\n"  # laid out by the formatter
        if docs:  # the class's docstring, verbatim, dedented to the module level
            rows = lines[docs[0].lineno - 1 : docs[0].end_lineno]
            text += "".join(row[4:] if row.startswith("    ") else row for row in rows)
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        lines[start - 1 : node.end_lineno or node.lineno] = [text]
    # the last RootModel class may have gone: its import with it (ruff F401)
    out = _drop_unused_imports(_add_typing_import("".join(lines), "TypeAlias"))
    return out, set(candidates)


def _union_or_literal(node: ast.expr) -> bool:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Annotated"
        and isinstance(node.slice, ast.Tuple)
    ):
        node = node.slice.elts[0]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return True
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Literal"
    )


def _add_typing_import(source: str, name: str) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "typing":
            if any(a.name == name for a in node.names):
                return source
            lines.insert(node.end_lineno or node.lineno, f"from typing import {name}\n")
            return "".join(lines)  # one statement more: the formatter merges them
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            lines.insert(node.end_lineno or node.lineno, f"\nfrom typing import {name}\n")
            return "".join(lines)
    return f"from typing import {name}\n" + source


def inline_root_models(source: str, keep: set[str]) -> str:
    """Fold root models not named in ``keep`` into the annotations that use them.

    Only a plain ``class X(RootModel[...])`` holding just ``root: T`` (and a docstring),
    used nowhere but in field annotations and not recursive, is folded (the long lines
    this can make are the formatter's to lay out).
    """
    tree = ast.parse(source)
    roots = {
        node.name: root
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        and node.name not in keep
        and (root := _plain_root(node)) is not None
    }
    if not roots:
        return source
    annotation_names = {
        id(name)
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign)
        for part in (node.annotation, node.value if _is_alias(node) else None)
        if part is not None
        for name in ast.walk(part)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in roots and id(node) not in annotation_names:
            roots.pop(node.id)  # used as a value or a base class: keep the class
    texts = _expansions(roots)
    if not texts:
        return source
    return _drop_unused_imports(_replace_classes(source, tree, texts))


_NUMBERED = re.compile(r"[0-9]+$")


def merge_identical_classes(source: str, keep: set[str]) -> str:
    """Give inline classes that repeat an earlier class of the same name one class.

    The class-level twin of the IR's one model per identical inline schema: a class not
    named in ``keep`` (the spec's schemas and the operations' models) whose name is an
    earlier class's name plus the model layer's number (``Purpose2`` after ``Purpose``)
    and whose definition is the same apart from its docstring (an enum with the same
    members and base, a model with the same fields) is dropped, and every reference
    points at the earlier class. Classes of other names stay apart even when their
    members agree: ``mode`` and ``purpose`` are different concepts of the spec. Repeats
    until nothing changes, since merging two classes can make the models using them equal.
    """
    for _ in range(32):
        tree = ast.parse(source)
        first: dict[tuple[str, ...], str] = {}
        merged: dict[str, str] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                key = (_NUMBERED.sub("", node.name), *_definition(node))
                if key not in first:
                    first[key] = node.name
                elif node.name not in keep:
                    merged[node.name] = first[key]
        if not merged:
            return source
        source = _replace_classes(source, tree, merged)
    return source


def _definition(node: ast.ClassDef) -> tuple[str, ...]:
    """A class as text, without its name and docstring."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return (
        *(ast.unparse(d) for d in node.decorator_list),
        *(ast.unparse(b) for b in node.bases),
        *(ast.unparse(k) for k in node.keywords),
        "",
        *(ast.unparse(s) for s in body),
    )


def _replace_classes(source: str, tree: ast.Module, replacements: dict[str, str]) -> str:
    """Remove the classes ``replacements`` names (and their ``model_rebuild()`` calls) and
    write ``replacements[name]`` for every other use of the name (another class, or the
    annotation a folded root model stood for)."""
    lines = source.splitlines(keepends=True)
    removed: list[tuple[int, int]] = []
    for node in tree.body:
        if (isinstance(node, ast.ClassDef) and node.name in replacements) or (
            isinstance(node, ast.Expr)
            and isinstance(call := node.value, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id in replacements
        ):
            start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
            removed.append((start, node.end_lineno or node.lineno))
    edits: list[tuple[int, int, int, str]] = []  # row, start col, end col, text
    for name in ast.walk(tree):
        if (
            isinstance(name, ast.Name)
            and isinstance(name.ctx, ast.Load)
            and name.id in replacements
            and not any(a <= name.lineno <= b for a, b in removed)
        ):
            assert name.end_lineno == name.lineno and name.end_col_offset is not None
            edits.append((name.lineno, name.col_offset, name.end_col_offset, replacements[name.id]))
    for row, start, end, text in sorted(edits, reverse=True):
        line = lines[row - 1].encode()
        lines[row - 1] = (line[:start] + text.encode() + line[end:]).decode()
    for start, end in sorted(removed, reverse=True):
        while end < len(lines) and not lines[end].strip():
            end += 1
        del lines[start - 1 : end]
    return "".join(lines)


def _is_alias(node: ast.AnnAssign) -> bool:
    return isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias"


def _plain_root(node: ast.ClassDef) -> ast.expr | None:
    """The ``root`` annotation of a bare ``class X(RootModel[T])``, else None."""
    if node.decorator_list or node.keywords or len(node.bases) != 1:
        return None
    base = node.bases[0]
    if not (
        isinstance(base, ast.Subscript)
        and isinstance(base.value, ast.Name)
        and base.value.id == "RootModel"
    ):
        return None
    body = [
        s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
    ]
    if (
        len(body) == 1
        and isinstance(stmt := body[0], ast.AnnAssign)
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id == "root"
        and stmt.value is None
    ):
        return stmt.annotation
    return None


def _expansions(roots: dict[str, ast.expr]) -> dict[str, str]:
    """Each foldable class's annotation with other foldable classes expanded; no cycles."""
    texts: dict[str, str] = {}

    def expand(name: str, seen: tuple[str, ...]) -> str | None:
        if name in texts:
            return texts[name]
        if name in seen:
            return None
        node = copy.deepcopy(roots[name])
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in roots:
                text = expand(sub.id, (*seen, name))
                if text is None:
                    return None
                sub.id = text
        texts[name] = ast.unparse(node)
        return texts[name]

    for name in list(roots):
        expand(name, ())
    return texts


def _drop_unused_imports(source: str) -> str:
    tree = ast.parse(source)
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    used |= {
        n.value.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    lines = source.splitlines(keepends=True)
    for node in reversed(tree.body):
        if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
            continue
        names = [a for a in node.names if (a.asname or a.name) in used]
        if len(names) == len(node.names):
            continue
        end = node.end_lineno or node.lineno
        text = ast.unparse(ast.ImportFrom(node.module, names, node.level)) + "\n" if names else ""
        lines[node.lineno - 1 : end] = [text]
    return "".join(lines)
