"""``gmi_ieops.config``: seed names and defaults, strict parsing, masking, no side effects."""

from __future__ import annotations

import subprocess
import sys

import pytest
from gmi_ieops.config import ConfigError, Env, EnvGroup, EnvVar


def test_defaults_match_the_seed() -> None:
    e = Env({})
    assert e.app.name == "ieops"
    assert (e.server.host, e.server.port, e.server.socket) == ("127.0.0.1", 8001, None)
    assert e.server.graceful_shutdown_time == 3
    assert (e.model.path, e.model.name, e.model.timeout, e.model.concurrency) == (
        "",
        "model",
        600,
        8,
    )
    assert (e.device.cuda_visible, e.device.device, e.device.torch_dtype) == (
        "0",
        "auto",
        "float16",
    )
    assert e.storage.nfs_server == "" and e.storage.pid == "u-00000000"
    assert (e.storage.fs_name, e.storage.oid, e.storage.uid) == (
        "jfs-dev",
        "gmicloud.ieops",
        "gmicloud.ieops",
    )
    assert e.storage.write_chunk_size == e.storage.read_chunk_size == 524288
    assert e.storage.timeout == 30000
    assert (e.register.enabled, e.register.interval) == (True, 10)
    assert e.register.proxy_socket == "/var/run/ieops/proxy.sock" and e.register.proxy_url == ""
    assert (e.log.level, e.log.path, e.log.file_enabled) == ("INFO", "/var/log/ieops", False)
    assert e.api.max_body_size == 64 * 1024 * 1024  # API_MAX_BODY_SIZE


def test_socket_unset_empty_or_path() -> None:
    assert Env({}).server.socket is None
    assert Env({"MODEL_SERVER_SOCKET": ""}).server.socket == ""
    assert Env({"MODEL_SERVER_SOCKET": "/run/x.sock"}).server.socket == "/run/x.sock"


def test_every_bad_value_is_named_at_once() -> None:
    e = Env({"MODEL_SERVER_PORT": "abc", "REGISTER_ENABLED": "ture", "MODEL_TIMEOUT": "-1"})
    with pytest.raises(ConfigError) as info:
        e.validate()
    names = {issue.name for issue in info.value.issues}
    assert names == {"MODEL_SERVER_PORT", "REGISTER_ENABLED", "MODEL_TIMEOUT"}
    assert "MODEL_SERVER_PORT='abc'" in str(info.value)


def test_reading_a_bad_value_names_it() -> None:
    with pytest.raises(ConfigError, match="MODEL_SERVER_PORT='99999'"):
        _ = Env({"MODEL_SERVER_PORT": "99999"}).server.port


def test_chunk_sizes_are_capped_at_one_mib() -> None:
    assert Env({"IEOPS_NFS_WRITE_CHUNK_SIZE": str(8 << 20)}).storage.write_chunk_size == 1 << 20


@pytest.mark.parametrize(
    ("raw", "value"), [("1", True), ("TRUE", True), ("off", False), ("no", False)]
)
def test_booleans(raw: str, value: bool) -> None:
    assert Env({"REGISTER_ENABLED": raw}).register.enabled is value


def test_helpers() -> None:
    e = Env({"A": "5", "B": "yes", "C": "0.25", "D": "x,,y ", "BAD": "five"})
    assert e.get("A") == "5" and e.get("MISSING") is None and e.get("MISSING", "d") == "d"
    assert e.get_int("A", 1) == 5 and e.get_int("MISSING", 1) == 1
    assert e.get_bool("B") is True and e.get_float("C") == 0.25
    assert e.get_list("D") == ["x", "y"] and e.get_list("MISSING", ["a"]) == ["a"]
    with pytest.raises(ConfigError, match="BAD='five'"):
        e.get_int("BAD", 0)


def test_dump_masks_secrets() -> None:
    e = Env({"IEOPS_PROXY_URL": "http://user:hunter2@proxy:80"})
    dumped = e.dump()
    assert "hunter2" not in dumped["IEOPS_PROXY_URL"]
    assert dumped["APP_NAME"] == "ieops"

    class Secrets(EnvGroup):
        token = EnvVar("MY_API_TOKEN", "")

    assert Secrets.variables()["token"].secret
    assert Secrets.variables()["token"].masked("abc") == "***"


def test_import_has_no_side_effects(tmp_path) -> None:
    code = (
        "import os, sys; before = set(os.listdir('.'));"
        "import gmi_ieops, gmi_ieops.config, gmi_ieops.handler, gmi_ieops.utils;"
        "assert set(os.listdir('.')) == before, os.listdir('.');"
        "assert 'torch' not in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"LOG_FILE_ENABLED": "true", "LOG_FILE_PATH": str(tmp_path / "logs"), "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "logs").exists()
