"""Uploads (multipart, binary bodies) and binary responses over a Unix socket and TCP."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.worker import WorkerProcess, running_worker

from .conftest import APPS

MiB = 1024 * 1024


@pytest.fixture(scope="module", params=["unix", "tcp"])
def files_worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    directory = tmp_path_factory.mktemp("files")
    (directory / "pic.png").write_bytes(b"\x89PNG" + b"x" * 5000)
    settings = {
        "IEOPS_STORAGE_LOCAL_ROOT": str(directory / "store"),
        "FILES_DIR": str(directory),
        "TMPDIR": str(directory),
        "API_MAX_UPLOAD_FILE_SIZE": str(300 * MiB),
        "API_MAX_UPLOAD_SIZE": str(320 * MiB),
    }
    if request.param == "tcp":
        settings.update(MODEL_SERVER_SOCKET="", MODEL_SERVER_PORT="0")
    else:
        settings.update(MODEL_SERVER_SOCKET_DIR=str(directory))
    with running_worker(APPS / "files.py", directory, **settings) as worker:
        worker.directory = directory  # type: ignore[attr-defined]
        yield worker


@pytest.fixture(scope="module")
def limited_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerProcess]:
    directory = tmp_path_factory.mktemp("limited")
    with running_worker(
        APPS / "files.py",
        directory,
        MODEL_SERVER_SOCKET_DIR=str(directory),
        IEOPS_STORAGE_LOCAL_ROOT=str(directory / "store"),
        FILES_DIR=str(directory),
        API_MAX_UPLOAD_FILE_SIZE=str(64 * 1024),
        API_MAX_UPLOAD_SIZE=str(256 * 1024),
    ) as worker:
        yield worker


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _envelope(r: httpx.Response, status: int, error_type: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"message", "type", "trace_id"}
    if error_type is not None:
        assert body["type"] == error_type
    return dict(body)


def test_fields_file_and_repeated_files(files_worker: WorkerProcess) -> None:
    data = os.urandom(3 * MiB)  # past the 1 MiB spool: on disk
    with files_worker.client() as client:
        r = client.post(
            "/upload",
            data={"purpose": "fine-tune", "count": "3", "tags": ["a", "b"]},
            files=[
                ("file", ("data.bin", data, "application/octet-stream")),
                ("extra", ("a.txt", b"alpha", "text/plain")),
                ("extra", ("b.txt", b"beta", "text/plain")),
            ],
        )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["purpose"], body["count"], body["tags"]) == ("fine-tune", 3, ["a", "b"])
    assert body["files"] == [
        {"name": "file", "filename": "data.bin", "content_type": "application/octet-stream",
         "size": len(data), "sha256": _sha(data)},
        {"name": "extra", "filename": "a.txt", "content_type": "text/plain", "size": 5,
         "sha256": _sha(b"alpha")},
        {"name": "extra", "filename": "b.txt", "content_type": "text/plain", "size": 4,
         "sha256": _sha(b"beta")},
    ]  # fmt: skip


def test_bad_field_is_422(files_worker: WorkerProcess) -> None:
    with files_worker.client() as client:
        r = client.post(
            "/upload", data={"purpose": "x", "count": "many"}, files={"file": ("f", b"1")}
        )
        _envelope(r, 422, "validation_error")
        r = client.post("/upload", data={"purpose": "x"}, files={"other": ("f", b"1")})
        _envelope(r, 422, "validation_error")


def test_wrong_part_type_is_415(files_worker: WorkerProcess) -> None:
    with files_worker.client() as client:
        r = client.post("/image", files={"file": ("a.txt", b"text", "text/plain")})
        _envelope(r, 415, "unsupported_media_type")
        r = client.post("/image", files={"file": ("a.png", b"\x89PNG", "image/png")})
        assert r.status_code == 200 and r.json()["files"][0]["content_type"] == "image/png"


def test_bad_multipart_is_4xx(files_worker: WorkerProcess) -> None:
    with files_worker.client() as client:
        r = client.post("/upload", content=b"x", headers={"content-type": "multipart/form-data"})
        _envelope(r, 400)
        r = client.post("/upload", json={"purpose": "x"})
        _envelope(r, 415, "unsupported_media_type")
        cut = (
            b'--XyZ\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nx\r\n'
            b'--XyZ\r\ncontent-disposition: form-data; name="file"; filename="a"\r\n\r\nabc'
        )
        r = client.post(
            "/upload", content=cut, headers={"content-type": "multipart/form-data; boundary=XyZ"}
        )
        _envelope(r, 400)
        r = client.post(
            "/upload",
            content=b"garbage without any boundary",
            headers={"content-type": "multipart/form-data; boundary=XyZ"},
        )
        assert 400 <= r.status_code < 500


def test_binary_body(files_worker: WorkerProcess) -> None:
    data = os.urandom(2 * MiB)
    with files_worker.client() as client:
        r = client.post("/raw", content=data, headers={"content-type": "audio/wav"})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert r.text == f"{_sha(data)} {len(data)} audio/wav"
        r = client.post("/raw", content=data, headers={"content-type": "image/png"})
        _envelope(r, 415, "unsupported_media_type")


def test_binary_responses(files_worker: WorkerProcess) -> None:
    with files_worker.client() as client:
        r = client.get("/speech", params={"text": "ab"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "audio/mpeg"
        assert r.headers["content-length"] == "6" and r.content == b"ababab"
        with client.stream("GET", "/chunks", params={"n": 4, "size": 100000}) as s:
            assert "content-length" not in s.headers
            got = b"".join(s.iter_bytes())
        assert got == b"".join(bytes([65 + i]) * 100000 for i in range(4))
        r = client.get("/local/pic.png")
        assert r.headers["content-type"] == "image/png"
        assert r.content == (files_worker.directory / "pic.png").read_bytes()  # type: ignore[attr-defined]
        _envelope(client.get("/stored/nothing-here"), 404)


def test_save_to_gmifs_then_download(files_worker: WorkerProcess) -> None:
    data = os.urandom(MiB + 17)
    with files_worker.client() as client:
        r = client.post("/save", data={"purpose": "kept.bin"}, files={"file": ("k", data)})
        assert r.status_code == 200, r.text
        r = client.get("/stored/kept.bin")
    assert r.status_code == 200
    assert r.headers["content-length"] == str(len(data)) and r.content == data
    assert r.headers["content-disposition"] == 'attachment; filename="kept.bin"'


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _form_stream(size: int, boundary: bytes) -> Iterator[bytes]:
    yield b"--" + boundary + b'\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbig\r\n'
    yield b"--" + boundary + b'\r\ncontent-disposition: form-data; name="file"; filename="big"\r\n'
    yield b"content-type: application/octet-stream\r\n\r\n"
    block = bytes(range(256)) * 4096  # 1 MiB
    for _ in range(size // len(block)):
        yield block
    yield b"\r\n--" + boundary + b"--\r\n"


def test_256_mib_upload_keeps_rss_bounded(files_worker: WorkerProcess) -> None:
    size = 256 * MiB
    with files_worker.client(timeout=120) as client:
        client.post("/upload", data={"purpose": "warm"}, files={"file": ("w", b"w" * MiB)})
        before = _rss_peak_kib(files_worker.proc.pid)
        r = client.post(
            "/upload",
            content=_form_stream(size, b"BoUnDaRy"),
            headers={"content-type": "multipart/form-data; boundary=BoUnDaRy"},
        )
    assert r.status_code == 200, r.text
    (info,) = r.json()["files"]
    assert info["size"] == size
    assert info["sha256"] == _sha(bytes(range(256)) * 4096 * 256)
    grown = (_rss_peak_kib(files_worker.proc.pid) - before) / 1024
    assert grown <= 64, f"peak RSS grew by {grown:.1f} MiB"


def _raw_request(worker: WorkerProcess, payload: bytes) -> socket.socket:
    if worker.socket_path:
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(worker.socket_path)
    else:
        url = httpx.URL(worker.url or "")
        sock = socket.create_connection((url.host, url.port or 80))
    sock.sendall(payload)
    return sock


def test_cut_upload_leaves_no_file(files_worker: WorkerProcess) -> None:
    body = b"".join(_form_stream(8 * MiB, b"B0"))
    head = (
        b"POST /save HTTP/1.1\r\nhost: w\r\n"
        b"content-type: multipart/form-data; boundary=B0\r\n"
        + f"content-length: {len(body)}\r\n\r\n".encode()
    )
    body = body.replace(b'name="purpose"\r\n\r\nbig', b'name="purpose"\r\n\r\ncut.bin')
    sock = _raw_request(files_worker, head + body[: len(body) // 2])
    time.sleep(0.3)
    sock.close()
    time.sleep(0.5)
    store = files_worker.directory / "store"  # type: ignore[attr-defined]
    names = [p.name for p in store.rglob("*")] if store.exists() else []
    assert "cut.bin" not in names and not any("cut.bin" in n for n in names)
    spools = [p for p in files_worker.directory.iterdir() if "ieops-upload" in p.name]  # type: ignore[attr-defined]
    assert spools == []
    with files_worker.client() as client:
        assert client.get("/stored/cut.bin").status_code == 404
        assert client.get("/health").status_code == 200


def test_over_limit_is_413(limited_worker: WorkerProcess) -> None:
    with limited_worker.client() as client:
        r = client.post("/upload", data={"purpose": "x"}, files={"file": ("f", b"z" * 65537)})
        _envelope(r, 413, "payload_too_large")
        r = client.post("/upload", data={"purpose": "x"}, files={"file": ("f", b"z" * 65536)})
        assert r.status_code == 200
        r = client.post("/raw", content=b"z" * 70000)
        _envelope(r, 413, "payload_too_large")
        files = [("file", ("f", b"z" * 60000))] + [("extra", ("e", b"z" * 60000))] * 4
        r = client.post("/upload", data={"purpose": "x"}, files=files)
        _envelope(r, 413, "payload_too_large")
