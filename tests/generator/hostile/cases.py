"""The hostile-spec corpus: documents and folders built to make ieops-gen misbehave.

Each case writes a schemas folder (and sometimes an output folder or files around it)
under a fresh root, and says what must come of it: ``ok`` (type-clean code whose import
runs nothing) or ``error`` (a clear ``file:line: pointer: message`` and nothing written).
Payloads try to create :data:`MARKER` in the working directory; a secret file beside the
schemas folder holds :data:`SECRET`, which must never be read into any output or message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER = "PWNED"
SECRET = "S3CRET-7d1e0c"
EVIL = f"__import__('pathlib').Path('{MARKER}').touch()"
BREAKOUTS = [
    f'"""\n{EVIL}\n"""',
    f"'''\n{EVIL}\n'''",
    f'"\n{EVIL}\n"',
    f"\\\n{EVIL}",
    f"\r{EVIL}\r",
    f"\u2028{EVIL}\u2028",
    f"\u2029{EVIL}\u2029",
    f"\x85{EVIL}\x85",
    f"\x0c{EVIL}\x0b",
    f"\x1c\x1d\x1e{EVIL}",
    f"\x00{EVIL}",
    f"\u202e{EVIL}\u202c",
    f"{{{{ {EVIL} }}}}",
    "#" + EVIL,
]
LONG = "x" * 150


@dataclass
class Case:
    """One hostile input and the outcome it must have."""

    name: str
    expect: str  # "ok" or "error"
    build: Callable[[Path], None]
    message: str = ""  # a substring of stderr, for errors
    args: list[str] = field(default_factory=list)  # extra ieops-gen arguments
    out_must_survive: bool = False  # the output folder holds foreign entries to keep


def base(**extra: Any) -> dict[str, Any]:
    """A small valid document; ``extra`` replaces top-level keys."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "hostile", "version": "1"},
        "paths": {
            "/items": {
                "post": {
                    "operationId": "create_item",
                    "requestBody": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                        }
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Item"}
                                }
                            },
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Item": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
                }
            }
        },
    }
    doc.update(extra)
    return doc


def item_schema(**props: Any) -> dict[str, Any]:
    """``base()`` with more properties on ``Item``."""
    doc = base()
    doc["components"]["schemas"]["Item"]["properties"].update(props)
    return doc


def write(root: Path, doc: Any, name: str = "api.json") -> None:
    (root / "schemas").mkdir(exist_ok=True)
    path = root / "schemas" / name
    if isinstance(doc, (bytes, str)):
        path.write_bytes(doc if isinstance(doc, bytes) else doc.encode("utf-8"))
    else:
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def doc_case(name: str, expect: str, doc: Any, message: str = "", file: str = "api.json") -> Case:
    return Case(name, expect, lambda root: write(root, doc, file), message)


def everywhere(text: str) -> dict[str, Any]:
    """``text`` in every field of a document that reaches generated code."""
    doc = base()
    doc["info"]["title"] = text
    doc["info"]["description"] = text + LONG
    op = doc["paths"]["/items"]["post"]
    op["summary"] = text
    op["description"] = text + " " + LONG
    op["tags"] = [text]
    op["parameters"] = [
        {"name": "q" + text, "in": "query", "description": text, "schema": {"type": "string"}},
        {"name": "h" + text, "in": "header", "schema": {"type": "string", "default": text}},
    ]
    op["responses"]["200"]["description"] = text
    item = doc["components"]["schemas"]["Item"]
    item["description"] = text + LONG
    item["title"] = text
    item["properties"]["p" + text] = {
        "type": "string",
        "description": text + LONG,
        "default": text + LONG,
        "examples": [text],
        "enum": [text + LONG, text, "plain"],
    }
    item["properties"]["name"]["pattern"] = "^[a-z]*$"
    item["properties"]["name"]["format"] = text
    item["properties"]["name"]["title"] = text
    doc["components"]["schemas"]["S" + text] = {"type": "string", "enum": [text, "v" + LONG]}
    path_key = "/p" + text.replace("{", "(").replace("}", ")")  # no template variables
    doc["paths"][path_key] = {
        "get": {"operationId": "g" + text, "responses": {"204": {"description": text}}}
    }
    return doc


def injection_cases() -> list[Case]:
    cases = [doc_case(f"injection-{i}", "ok", everywhere(t)) for i, t in enumerate(BREAKOUTS)]
    long_literal = item_schema(
        d={"type": "string", "default": "\u2028" * 3 + "a" * 120 + "\u2028" + EVIL + "\u2028"}
    )
    cases.append(doc_case("separator-long-literal", "ok", long_literal))
    cases.append(
        doc_case(
            "separator-enum-long",
            "ok",
            item_schema(e={"enum": ["\u2029" + "b" * 130 + "\x85" + EVIL, "c"]}),
        )
    )
    cases.append(
        doc_case(
            "names-shadow-imports",
            "ok",
            base(
                components={
                    "schemas": {
                        "Item": {"type": "object", "properties": {"x": {"type": "string"}}},
                        **{
                            name: {"type": "object", "properties": {"v": {"type": "string"}}}
                            for name in (
                                "BaseModel",
                                "Field",
                                "ABC",
                                "Enum",
                                "Annotated",
                                "Any",
                                "RootModel",
                                "ConfigDict",
                            )
                        },
                    }
                }
            ),
        )
    )
    cases.append(
        doc_case(
            "operation-id-code",
            "ok",
            _with_op(base(), operationId=f"x(); {EVIL}; def y"),
        )
    )
    cases.append(
        doc_case(
            "pattern-quotes",
            "ok",
            item_schema(r={"type": "string", "pattern": '^["\'\\\\]+"""$'}),
        )
    )
    cases.append(
        doc_case(
            "servers-and-externaldocs",
            "ok",
            base(
                servers=[{"url": EVIL, "description": BREAKOUTS[0]}],
                externalDocs={"url": BREAKOUTS[1]},
                tags=[{"name": BREAKOUTS[0], "description": BREAKOUTS[5]}],
            ),
        )
    )
    for name in (
        'evil\n__import__("pathlib").Path("PWNED").touch()\n#.json',
        'q""".json',
        "cr\rx.json",
        "ls\u2028x.json",
        "bidi\u202e.json",
        "esc\x1b[2J.json",
    ):
        cases.append(doc_case(f"file-name-{name[:4]!r}", "ok", base(), file=name))
    return cases


def _with_op(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    doc["paths"]["/items"]["post"].update(changes)
    return doc


def extension_cases() -> list[Case]:
    keys: dict[str, Any] = {
        "x-python-type": "os.PathLike",
        "x-python-import": {"from": "os", "import": "system"},
        "customBasePath": "os.PathLike",
        "customTypePath": "subprocess.Popen",
        "x-is-base-class": True,
        "x-enum-varnames": [EVIL, "b"],
        "x-python-unserializable": True,
        "x-datamodel-code-generator-field-name": EVIL,
        "x-is-classvar": True,
    }
    cases = []
    for key, value in keys.items():
        doc = item_schema(x={"type": "string", "enum": ["a", "b"], key: value})
        doc["components"]["schemas"]["Item"][key] = value
        cases.append(doc_case(f"extension-{key}", "ok", doc))
    return cases


def _outside(root: Path) -> Path:
    outside = root / "outside"
    outside.mkdir(exist_ok=True)
    secret = {"type": "object", "description": SECRET, "properties": {SECRET: {"type": "string"}}}
    (outside / "secret.json").write_text(json.dumps(secret))
    (outside / "secret.yaml").write_text(f"type: string\ndescription: {SECRET}\n")
    return outside


def _ref_case(name: str, ref: Callable[[Path], str], expect: str = "error") -> Case:
    def build(root: Path) -> None:
        _outside(root)
        doc = item_schema(leak={"$ref": ref(root)})
        write(root, doc)

    return Case(name, expect, build, "leaves the schemas folder" if expect == "error" else "")


def _data_ref_case(name: str, where: str) -> Case:
    def build(root: Path) -> None:
        _outside(root)
        ref = {"$ref": "../outside/secret.json"}
        doc = item_schema(d={"type": "object"})
        prop = doc["components"]["schemas"]["Item"]["properties"]["d"]
        if where == "x-extension":
            prop["x-data"] = ref
        elif where == "media-example":
            media = doc["paths"]["/items"]["post"]["requestBody"]["content"]["application/json"]
            media["example"] = ref
        else:
            prop[where] = [ref] if where == "examples" else ref
        write(root, doc)

    return Case(name, "ok", build)


def ref_cases() -> list[Case]:
    cases = [
        _ref_case("ref-absolute", lambda root: str(root / "outside" / "secret.json")),
        _ref_case("ref-dotdot", lambda root: "../outside/secret.json"),
        _ref_case("ref-dotdot-fragment", lambda root: "../outside/secret.json#/properties"),
        _ref_case("ref-encoded-dotdot", lambda root: "%2e%2e/outside/secret.json"),
        _ref_case("ref-file-url", lambda root: (root / "outside" / "secret.json").as_uri()),
        _ref_case("ref-file-scheme-relative", lambda root: "file:../outside/secret.json"),
        _ref_case("ref-sub-dotdot", lambda root: "sub/../../outside/secret.yaml"),
    ]

    def remote(root: Path) -> None:
        write(root, item_schema(leak={"$ref": "http://127.0.0.1:9/secret.json"}))

    cases.append(Case("ref-remote-url", "error", remote, "remote $ref"))

    def symlinked_file(root: Path) -> None:
        outside = _outside(root)
        write(root, item_schema(leak={"$ref": "link.json"}))
        os.symlink(outside / "secret.json", root / "schemas" / "link.json")

    cases.append(Case("ref-symlink-file", "error", symlinked_file, "leaves the schemas folder"))

    def symlinked_dir(root: Path) -> None:
        outside = _outside(root)
        write(root, item_schema(leak={"$ref": "sub/secret.json"}))
        os.symlink(outside, root / "schemas" / "sub")

    cases.append(Case("ref-symlink-dir", "error", symlinked_dir, "leaves the schemas folder"))

    def document_symlink(root: Path) -> None:
        outside = _outside(root)
        (outside / "doc.json").write_text(json.dumps(base(info={"title": SECRET, "version": "1"})))
        (root / "schemas").mkdir()
        os.symlink(outside / "doc.json", root / "schemas" / "api.json")

    cases.append(Case("document-symlink", "error", document_symlink, "leaves the schemas folder"))

    def loop(root: Path) -> None:
        write(root, item_schema(leak={"$ref": "loop.json"}))
        os.symlink(root / "schemas" / "loop.json", root / "schemas" / "loop.json")

    cases.append(Case("ref-symlink-loop", "error", loop, "loop.json"))

    def allowed_root(root: Path) -> None:
        _outside(root)
        (root / "outside" / "shared.json").write_text('{"type": "string", "maxLength": 3}')
        write(root, item_schema(shared={"$ref": "../outside/shared.json"}))

    cases.append(Case("ref-root-option-allows", "ok", allowed_root, args=["--ref-root", "outside"]))
    for where in ("examples", "default", "x-extension", "media-example", "const"):
        cases.append(_data_ref_case(f"ref-in-data-{where}", where))
    return cases


def yaml_cases() -> list[Case]:
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1},"
        f" *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
        for i in range(1, 10)
    )
    head = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"
    deep_yaml = head + "x-deep: " + "[" * 100_000 + "]" * 100_000 + "\n"
    items = "components:\n  schemas:\n    Item:\n      type: object\n      default: "
    return [
        doc_case(
            "yaml-alias-bomb",
            "error",
            head + "x-bomb:\n  " + bomb.replace("\n", "\n  "),
            "alias",
            "api.yaml",
        ),
        doc_case("yaml-recursive-alias", "error", head + "x-loop: &l [*l]\n", "alias", "api.yaml"),
        doc_case(
            "yaml-binary", "error", head + items + "!!binary aGVsbG8=\n", "!!binary", "api.yaml"
        ),
        doc_case("yaml-set", "error", head + items + "!!set {a, b}\n", "!!set", "api.yaml"),
        doc_case(
            "yaml-timestamp-tag",
            "error",
            head + items + "!!timestamp 2001-12-14\n",
            "!!timestamp",
            "api.yaml",
        ),
        doc_case(
            "yaml-python-tag",
            "error",
            head + items + "!!python/object/apply:os.system [touch PWNED]\n",
            "python",
            "api.yaml",
        ),
        doc_case(
            "yaml-duplicate-keys",
            "error",
            head.replace("paths: {}\n", "") + "paths:\n  /a: {get: {responses: {'204': "
            "{description: a}}}}\n  /a: {post: {responses: {'204': {description: b}}}}\n",
            "duplicate key",
            "api.yaml",
        ),
        doc_case("yaml-inf", "error", head + items + ".inf\n", "finite", "api.yaml"),
        doc_case("yaml-nan", "error", head + items + ".nan\n", "finite", "api.yaml"),
        doc_case("yaml-huge-int", "error", head + items + "1" * 5000 + "\n", "integer", "api.yaml"),
        doc_case("yaml-deep", "error", deep_yaml, "nest", "api.yaml"),
        doc_case("yaml-non-scalar-key", "error", head + "x-k: {[a, b]: c}\n", "key", "api.yaml"),
        doc_case(
            "yaml-not-utf8", "error", head.encode() + b"x-bad: \xff\xfe\n", "UTF-8", "api.yaml"
        ),
    ]


def json_cases() -> list[Case]:
    text = json.dumps(base())
    return [
        doc_case(
            "json-duplicate-keys",
            "error",
            text.replace('"paths": {', '"paths": {"/items": {}, ', 1),
            "duplicate key",
        ),
        doc_case("json-huge-int", "error", text[:-1] + ', "x-n": ' + "9" * 5000 + "}", "integer"),
        doc_case("json-nan", "error", text[:-1] + ', "x-n": NaN}', "finite"),
        doc_case("json-infinity", "error", text[:-1] + ', "x-n": -Infinity}', "finite"),
        doc_case(
            "json-deep",
            "error",
            text[:-1] + ', "x-d": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "nest",
        ),
        doc_case("json-not-utf8", "error", text.encode()[:-1] + b', "x": "\xc3\x28"}', "UTF-8"),
        doc_case("json-syntax", "error", text[:-1] + ",\n\n}", "invalid JSON"),
    ]


def _deep_schema(depth: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def validation_cases() -> list[Case]:
    def op(**changes: Any) -> dict[str, Any]:
        return _with_op(base(), **changes)

    flag_doc = op(**{"x-ieops-stream-flag": "name"})
    flag_doc["paths"]["/items"]["post"]["responses"]["200"]["content"]["text/event-stream"] = {
        "schema": {"$ref": "#/components/schemas/Item"}
    }
    batch_stream_doc = op(**{"x-ieops-batch": True})
    batch_stream_doc["paths"]["/items"]["post"]["responses"]["200"]["content"][
        "text/event-stream"
    ] = {"schema": {"$ref": "#/components/schemas/Item"}}
    cyclic = base()
    cyclic["components"]["schemas"].update(
        {
            "A": {"allOf": [{"$ref": "#/components/schemas/B"}]},
            "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
        }
    )
    cyclic["components"]["schemas"]["Item"]["properties"]["a"] = {"$ref": "#/components/schemas/A"}
    pure = base()
    pure["components"]["schemas"].update(
        {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}}
    )
    pure["components"]["schemas"]["Item"]["properties"]["a"] = {"$ref": "#/components/schemas/A"}
    self_ref = base()
    self_ref["components"]["schemas"]["Item"]["properties"]["x"] = {"$ref": "#/info"}
    return [
        doc_case(
            "pattern-invalid",
            "error",
            item_schema(r={"type": "string", "pattern": "(["}),
            "pattern",
        ),
        doc_case(
            "pattern-bad-escape",
            "error",
            item_schema(r={"type": "string", "pattern": "\\p{Nope}"}),
            "pattern",
        ),
        doc_case(
            "pattern-in-property-names-map",
            "error",
            item_schema(r={"type": "object", "patternProperties": {"(": {}}}),
            "pattern",
        ),
        doc_case("timeout-huge", "error", op(**{"x-ieops-timeout": 1e308}), "x-ieops-timeout"),
        doc_case(
            "timeout-huge-int", "error", op(**{"x-ieops-timeout": 10**200}), "x-ieops-timeout"
        ),
        doc_case("timeout-negative", "error", op(**{"x-ieops-timeout": -1}), "x-ieops-timeout"),
        doc_case(
            "timeout-string", "error", op(**{"x-ieops-timeout": "1; import os"}), "x-ieops-timeout"
        ),
        doc_case("batch-string", "error", op(**{"x-ieops-batch": "1; import os"}), "x-ieops-batch"),
        doc_case(
            "batch-unknown-key",
            "error",
            op(**{"x-ieops-batch": {"__import__('os')": 1}}),
            "x-ieops-batch has no key",
        ),
        doc_case("batch-size-zero", "error", op(**{"x-ieops-batch": {"max_size": 0}}), "max_size"),
        doc_case(
            "batch-size-not-integer", "error", op(**{"x-ieops-batch": {"max_size": 1.5}}), "integer"
        ),
        doc_case(
            "batch-size-huge",
            "error",
            op(**{"x-ieops-batch": {"queue_size": 10**200}}),
            "queue_size",
        ),
        doc_case(
            "batch-wait-negative", "error", op(**{"x-ieops-batch": {"max_wait_ms": -1}}), "max_wait"
        ),
        doc_case(
            "batch-bool-size", "error", op(**{"x-ieops-batch": {"max_size": True}}), "max_size"
        ),
        doc_case("batch-on-a-stream", "error", batch_stream_doc, "one JSON body"),
        doc_case(
            "batch-settings",
            "ok",
            op(**{"x-ieops-batch": {"max_size": 8, "max_wait_ms": 1.5, "queue_size": 64}}),
        ),
        doc_case("batch-true", "ok", op(**{"x-ieops-batch": True})),
        doc_case("stream-flag-not-boolean", "error", flag_doc, "boolean"),
        doc_case("allof-cycle", "error", cyclic, "cycle"),
        doc_case("ref-cycle", "error", pure, "cycle"),
        doc_case("ref-to-non-schema", "error", self_ref, "not a schema"),
        doc_case("deep-schema", "error", item_schema(deep=_deep_schema(400)), "nest"),
        doc_case("moderately-deep-schema", "ok", item_schema(deep=_deep_schema(20))),
        doc_case("not-a-mapping", "error", "[1, 2, 3]", "no OpenAPI document", "api.yaml"),
        doc_case("empty-file", "error", "", "no OpenAPI document", "api.yaml"),
    ]


def _two_bad_files(root: Path) -> None:
    write(root, b"openapi: 3.1.0\ninfo: {title: a, version: '1'}\npaths: {}\nx: \xff\n", "a.yaml")
    write(root, "openapi: 3.1.0\ninfo: {title: b, version: '1'}\npaths:\n  /x: [\n", "b.yaml")


def _forged_ref(root: Path) -> None:
    forged = "#/components/schemas/Nope\r\nfake.json:1: #: forged line\x1b[2K"
    write(root, item_schema(bad={"$ref": forged}))


def reporting_cases() -> list[Case]:
    return [
        Case("two-unreadable-files", "error", _two_bad_files, "a.yaml:4: #: not UTF-8"),
        Case("forged-error-line", "error", _forged_ref, "not found"),
    ]


def _existing_out(root: Path, manifest: bool, foreign: bool = True) -> None:
    write(root, base())
    out = root / "out"
    out.mkdir()
    if manifest:
        (out / ".ieops-gen-manifest").write_text("# Files written by ieops-gen\n")
    if foreign:
        (out / "notes.txt").write_text("mine")
        (out / "private.txt").write_text("secret")
        os.chmod(out / "private.txt", 0o600)
        (out / "empty").mkdir()
        os.mkfifo(out / "fifo")
        os.symlink("/nonexistent/target", out / "dangling")
        os.symlink(root / "outside-victim.txt", out / "victim-link")
    (root / "outside-victim.txt").write_text("victim")
    os.chmod(out, 0o750)


def output_cases() -> list[Case]:
    def writer_temp_names(root: Path) -> None:
        write(root, base())
        for name in (".out.ieops-gen-new", ".out.ieops-gen-old", ".out.ieops-gen-tmp"):
            (root / name).mkdir()
            (root / name / "keep.txt").write_text("mine")

    def non_empty_unmanaged(root: Path) -> None:
        _existing_out(root, manifest=False)

    def managed_with_foreign(root: Path) -> None:
        _existing_out(root, manifest=True)

    def out_is_file(root: Path) -> None:
        write(root, base())
        (root / "out").write_text("a file the user owns")

    def out_is_symlink(root: Path) -> None:
        write(root, base())
        (root / "elsewhere").mkdir()
        os.symlink(root / "elsewhere", root / "out")

    def hostile_manifest(root: Path) -> None:
        _existing_out(root, manifest=True, foreign=False)
        (root / "out" / ".ieops-gen-manifest").write_text(
            "../outside-victim.txt\n/etc/hostname\nnested/../../outside-victim.txt\n"
        )

    def owned_dir_is_symlink(root: Path) -> None:
        _existing_out(root, manifest=True, foreign=False)
        (root / "elsewhere").mkdir()
        os.symlink(root / "elsewhere", root / "out" / "api")

    def stub_is_dangling_link(root: Path) -> None:
        write(root, base())
        (root / "stubs").mkdir()
        os.symlink(root / "created-through-link.py", root / "stubs" / "api_impl.py")

    return [
        Case("writer-temp-names", "ok", writer_temp_names),
        Case(
            "out-non-empty-unmanaged",
            "error",
            non_empty_unmanaged,
            "no ieops-gen manifest",
            out_must_survive=True,
        ),
        Case(
            "out-non-empty-unmanaged-force",
            "ok",
            non_empty_unmanaged,
            args=["--force"],
            out_must_survive=True,
        ),
        Case("out-managed-foreign-entries", "ok", managed_with_foreign, out_must_survive=True),
        Case("out-is-file", "error", out_is_file, "not a directory"),
        Case("out-is-symlink", "error", out_is_symlink, "symbolic link"),
        Case("out-hostile-manifest", "ok", hostile_manifest),
        Case(
            "out-owned-dir-is-symlink",
            "error",
            owned_dir_is_symlink,
            "not written by ieops-gen",
            out_must_survive=True,
        ),
        Case("stub-dangling-symlink", "ok", stub_is_dangling_link, args=["--stubs", "stubs"]),
    ]


def limit_cases() -> list[Case]:
    big = base()
    big["x-padding"] = "p" * (2 * 1024 * 1024)
    return [
        Case(
            "size-limit",
            "error",
            lambda root: write(root, big),
            "larger than",
            args=["--max-spec-size", "1"],
        ),
    ]


def all_cases() -> list[Case]:
    cases = [
        *injection_cases(),
        *extension_cases(),
        *ref_cases(),
        *yaml_cases(),
        *json_cases(),
        *validation_cases(),
        *reporting_cases(),
        *output_cases(),
        *limit_cases(),
    ]
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases
