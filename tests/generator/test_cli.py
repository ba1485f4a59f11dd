"""``ieops-gen`` as a command: --check, determinism, errors, stubs, configuration."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT, run_gen


def _copy_schemas(tmp_path: Path) -> Path:
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    return schemas


def test_check_passes_on_the_committed_output() -> None:
    result = run_gen("schemas/", "--check")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "generated", tmp_path / "b" / "generated"
    for out in (first, second):
        result = run_gen(ROOT / "schemas", "-o", out, "-q")
        assert result.returncode == 0, result.stderr
    compared = filecmp.dircmp(first, second)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files, "nothing generated"
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert not compared.left_only and not compared.right_only
    # and identical to the committed tree
    for rel in files:
        assert (ROOT / "generated" / rel).read_bytes() == (first / rel).read_bytes(), rel


def test_check_reports_stale_output(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert run_gen(ROOT / "schemas", "-o", out, "-q").returncode == 0
    service = out / "chat" / "service.py"
    service.write_text(service.read_text() + "# edited\n")
    (out / "openai" / "routes.py").unlink()
    result = run_gen(ROOT / "schemas", "-o", out, "--check")
    assert result.returncode == 1
    assert f"changed: {service}" in result.stderr
    assert "-# edited" in result.stderr
    assert "missing file" in result.stderr and "routes.py" in result.stderr


def test_rewrite_keeps_files_it_does_not_own(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert run_gen(ROOT / "schemas", "-o", out, "-q").returncode == 0
    (out / "NOTES.md").write_text("mine\n")
    (out / "chat" / "extra.py").write_text("x = 1\n")
    assert run_gen(ROOT / "schemas", "-o", out, "-q").returncode == 0
    assert (out / "NOTES.md").read_text() == "mine\n"
    assert (out / "chat" / "extra.py").read_text() == "x = 1\n"
    assert not list(tmp_path.glob(".generated.ieops-gen-*"))


def test_invalid_spec_exits_2_with_location_and_writes_nothing(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    spec = schemas / "chat.yaml"
    text = spec.read_text()
    spec.write_text(text.replace("operationId: chatComplete", "operationId: chatStream"))
    (schemas / "common" / "chat.yaml").write_text(
        (schemas / "common" / "chat.yaml").read_text().replace("type: string", "type: str", 1)
    )
    out = tmp_path / "generated"
    result = run_gen(schemas, "-o", out)
    assert result.returncode == 2
    line = text.splitlines().index("      operationId: chatComplete") + 1
    assert (
        f"chat.yaml:{line}: /paths/~1chat~1complete/post/operationId: duplicate operationId "
        "'chatStream'"
    ) in result.stderr
    assert ("common/chat.yaml:4: /$defs/Role/type: unknown schema type 'str'") in result.stderr
    assert not out.exists()


def test_syntax_errors_and_missing_refs_are_located(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.yaml").write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x: [\n")
    result = run_gen(bad, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr.startswith("a.yaml:5: #: invalid YAML")
    (bad / "a.yaml").write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n"
        "  schemas:\n    A: {$ref: 'missing.json'}\n    B: {$ref: '#/components/schemas/C'}\n"
    )
    result = run_gen(bad, "-o", tmp_path / "out")
    assert result.returncode == 2
    assert (
        "a.yaml:6: /components/schemas/A/$ref: $ref file not found: missing.json" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_stubs_are_written_once_and_report_missing_methods(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    stubs = tmp_path / "worker"
    out = tmp_path / "generated"
    first = run_gen(schemas, "-o", out, "--stubs", stubs)
    assert first.returncode == 0, first.stderr
    stub = stubs / "chat_impl.py"
    assert "class NativeChatServiceImpl(NativeChatService):" in stub.read_text()
    stub.write_text(
        stub.read_text().replace(
            'raise NotImplementedError("chat_complete")', 'return ChatReply(message="mine")'
        )
    )
    mine = stub.read_text()
    spec = schemas / "chat.yaml"
    spec.write_text(
        spec.read_text().replace(
            "  /chat/ws:",
            "  /chat/reset:\n    post:\n      operationId: resetChat\n      responses:\n"
            "        '204': {description: done}\n  /chat/ws:",
        )
    )
    second = run_gen(schemas, "-o", out, "--stubs", stubs)
    assert second.returncode == 0, second.stderr
    assert stub.read_text() == mine, "a stub was overwritten"
    assert f"{stub}: NativeChatService gained operations; add: reset_chat (POST /chat/reset)" in (
        second.stderr
    )
    # the generated server refuses the old implementation, naming the method
    probe = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import chat_impl\n"
        "try:\n    chat_impl.NativeChatServiceImpl()\n"
        "except TypeError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path), str(stubs)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert "reset_chat" in result.stdout, result.stdout + result.stderr


def test_config_from_pyproject(tmp_path: Path) -> None:
    _copy_schemas(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ieops-gen]\nschemas = "schemas"\nout = "gen_out"\n'
    )
    result = run_gen(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gen_out" / "chat" / "routes.py").is_file()
    assert "from gen_out.chat" not in (tmp_path / "gen_out" / "chat" / "routes.py").read_text()


def test_help_explains_usage() -> None:
    result = run_gen("--help")
    assert result.returncode == 0
    for words in ("SCHEMAS_DIR", "--out", "--stubs", "--check", "[tool.ieops-gen]", "exit codes"):
        assert words in result.stdout


def test_missing_generator_dependencies_name_the_extra() -> None:
    probe = (
        "import sys; sys.modules['jinja2'] = None\n"
        "from ieops_gen.cli import main\nsys.exit(main(['schemas']))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 1
    assert "pip install 'gmi-ieops[gen]'" in result.stderr
    assert "jinja2" in result.stderr


def test_stubs_in_a_src_layout_import_from_the_package_root(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    package = tmp_path / "src" / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    out, stubs = package / "generated", package / "worker"
    result = run_gen(schemas, "-o", out, "--stubs", stubs, "-q")
    assert result.returncode == 0, result.stderr
    stub = (stubs / "chat_impl.py").read_text()
    assert "from app.generated.chat.routes import serve" in stub
    assert "from generated." not in stub
    probe = "import app.worker.chat_impl as m; print(m.NativeChatServiceImpl.__mro__[1].__module__)"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path / "src"
    )
    assert found.stdout.strip() == "app.generated.chat.service", found.stderr


def test_quiet_prints_only_errors(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    out, stubs = tmp_path / "generated", tmp_path / "worker"
    loud = run_gen(schemas, "-o", out, "--stubs", stubs)
    assert "wrote" in loud.stdout
    quiet = run_gen(schemas, "-o", out, "--stubs", stubs, "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    (schemas / "chat.yaml").write_text(
        (schemas / "chat.yaml")
        .read_text()
        .replace(
            "  /chat/ws:",
            "  /chat/reset:\n    post:\n      operationId: resetChat\n      responses:\n"
            "        '204': {description: done}\n  /chat/ws:",
        )
    )
    problem = run_gen(schemas, "-o", out, "--stubs", stubs, "-q")
    assert problem.stdout == ""
    assert "add: reset_chat" in problem.stderr  # a stub that lacks a method is a problem
    (schemas / "chat.yaml").write_text("openapi: 3.1.0\npaths: {}\ninfo: [")
    broken = run_gen(schemas, "-o", out, "-q")
    assert broken.returncode == 2 and "chat.yaml" in broken.stderr and broken.stdout == ""


def test_help_lists_every_output_file() -> None:
    text = run_gen("--help").stdout
    for name in (
        "__init__.py",
        ".ieops-gen-manifest",
        "models.py",
        "service.py",
        "routes.py",
        "client.py",
        "openapi.json",
        "_impl.py",
        "router(service)",
    ):
        assert name in text, name


def test_error_format_is_declared_at_the_root_and_checked(tmp_path: Path) -> None:
    schemas = _copy_schemas(tmp_path)
    spec = schemas / "chat.yaml"
    text = spec.read_text()
    assert "x-ieops-error-format" not in text  # chat.yaml keeps the default
    spec.write_text(text.replace("paths:", "x-ieops-error-format: openai\npaths:", 1))
    out = tmp_path / "generated"
    assert run_gen(schemas, "-o", out, "-q").returncode == 0
    routes = (out / "chat" / "routes.py").read_text()
    client = (out / "chat" / "client.py").read_text()
    assert routes.count('error_format="openai"') == routes.count("RouterDef(\n")
    assert client.count('error_format = "openai"') == 2  # Client and AsyncClient
    default = (out / "images" / "routes.py").read_text()
    assert "error_format" not in default  # the default format prints nothing
    spec.write_text(text.replace("paths:", "x-ieops-error-format: vllm\npaths:", 1))
    result = run_gen(schemas, "-o", tmp_path / "other")
    assert result.returncode == 2
    line = text.splitlines().index("paths:") + 1
    assert (
        f"chat.yaml:{line}: /x-ieops-error-format: x-ieops-error-format must be one of "
        "ieops, openai, got 'vllm'"
    ) in result.stderr
