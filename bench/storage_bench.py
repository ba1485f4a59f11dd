"""Write and read MB/s of ``gmi_ieops.storage.FileSystem`` against libnfs's own ``nfs-cp``.

Both copy the same local file to and from the same nfs-ganesha export, side by side in one
run; the ratio FileSystem / nfs-cp is printed (target >= 0.8 both ways). Needs root and the
packages of ``scripts/nfs-test-server.sh install``. Run by hand:

    .venv/bin/python bench/storage_bench.py [--size-mib 256] [--rounds 3]
    .venv/bin/python bench/storage_bench.py --smoke     # seconds: does it still run?

It starts its own server (free ports, a temp dir) unless ``--url`` names a running one.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypeVar, cast

import _record
from gmi_ieops.storage import FileSystem

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "nfs-test-server.sh"
BLOCK = 1024 * 1024
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def with_file(url: str, path: str) -> str:
    base, query = url.split("?", 1)
    return f"{base.rstrip('/')}/{path}?{query}"


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def _rotated(items: list[T], by: int) -> list[T]:
    by %= len(items)
    return items[by:] + items[:by]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--url", help="a running server's libnfs URL (default: start one)")
    ap.add_argument("--chunk", type=int, default=BLOCK, help="FileSystem chunk size (bytes)")
    ap.add_argument("--smoke", action="store_true", help="2 MiB, one round: seconds")
    _record.add_option(ap)
    args = ap.parse_args()
    if args.smoke:
        args.size_mib, args.rounds = 2, 1
    if shutil.which("nfs-cp") is None:
        sys.exit("nfs-cp not found: scripts/nfs-test-server.sh install (libnfs-utils)")

    # In memory (tmpfs) when possible: disk writeback would add noise to both sides.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    work = Path(tempfile.mkdtemp(prefix="gmifs-bench-", dir=shm))
    env = dict(os.environ)
    started = False
    if args.url:
        url = args.url
    else:
        env.update(
            NFS_TEST_STATE_DIR=str(work / "server"),
            NFS_TEST_NFS_PORT=str(free_port()),
            NFS_TEST_MOUNT_PORT=str(free_port()),
        )
        out = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=env, check=True, capture_output=True, text=True
        )
        url = out.stdout.strip().splitlines()[-1]
        started = True
    try:
        size = args.size_mib * BLOCK
        src = work / "src.bin"
        with open(src, "wb") as f:
            for _ in range(args.size_mib):
                f.write(os.urandom(BLOCK))
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        fs = FileSystem(
            url,
            pid="bench",
            fs_name="fs",
            oid="o",
            uid="u",
            read_chunk_size=args.chunk,
            write_chunk_size=args.chunk,
        )
        fs.mkdir("", exist_ok=True)
        rel = "bench/fs/o/u"

        # Like nfs-cp, stream through one reused buffer (readinto), the zero-copy path.
        buf = bytearray(args.chunk)
        view = memoryview(buf)

        def fs_write() -> None:
            with open(src, "rb", buffering=0) as fin, fs.open("f.bin", "wb") as fout:
                while n := fin.readinto(buf):
                    fout.write(view[:n])

        def fs_read() -> None:
            with fs.open("f.bin", "rb") as fin, open(work / "back.bin", "wb") as fout:
                while n := cast(io.BufferedReader, fin).readinto(buf):
                    fout.write(view[:n])

        def fs_read_alloc() -> None:  # read(n): a new bytes object per chunk
            with fs.open("f.bin", "rb") as fin, open(work / "back-alloc.bin", "wb") as fout:
                while block := fin.read(args.chunk):
                    fout.write(block)

        def cp_write() -> None:
            subprocess.run(
                ["nfs-cp", str(src), with_file(url, f"{rel}/c.bin")],
                check=True,
                stdout=subprocess.DEVNULL,
            )

        def cp_read() -> None:
            subprocess.run(
                ["nfs-cp", with_file(url, f"{rel}/c.bin"), str(work / "back-cp.bin")],
                check=True,
                stdout=subprocess.DEVNULL,
            )

        keys = ("fs_w", "cp_w", "fs_r", "cp_r", "fs_r_alloc")
        times: dict[str, list[float]] = {k: [] for k in keys}
        writers = [("cp_w", cp_write), ("fs_w", fs_write)]
        readers = [("cp_r", cp_read), ("fs_r_alloc", fs_read_alloc), ("fs_r", fs_read)]
        for round_no in range(args.rounds):  # interleaved, so drift hits both alike
            for name in ("c.bin", "f.bin"):
                if fs.exists(name):
                    fs.remove(name)
            for name in ("back.bin", "back-cp.bin", "back-alloc.bin"):
                (work / name).unlink(missing_ok=True)
            # Rotate the order every round: whoever runs right after another 256 MiB copy
            # pays for the memory the previous one dirtied, so a fixed order biases.
            for key, step in _rotated(writers, round_no) + _rotated(readers, round_no):
                times[key].append(timed(step))
        for name in ("back.bin", "back-cp.bin", "back-alloc.bin"):
            if hashlib.sha256((work / name).read_bytes()).hexdigest() != digest:
                sys.exit(f"checksum mismatch in {name}")
        mbs = {k: size / 1e6 / statistics.median(v) for k, v in times.items()}
        best = {k: size / 1e6 / min(v) for k, v in times.items()}
        print(
            f"storage bench: {args.size_mib} MiB, {args.rounds} rounds (median), chunk "
            f"{args.chunk} B, server {url}"
        )
        print(
            f"  write  FileSystem {mbs['fs_w']:8.1f} MB/s   nfs-cp {mbs['cp_w']:8.1f} MB/s"
            f"   ratio {mbs['fs_w'] / mbs['cp_w']:.2f}x"
        )
        print(
            f"  read   FileSystem {mbs['fs_r']:8.1f} MB/s   nfs-cp {mbs['cp_r']:8.1f} MB/s"
            f"   ratio {mbs['fs_r'] / mbs['cp_r']:.2f}x"
        )
        print(
            f"  best of {args.rounds}: write ratio {best['fs_w'] / best['cp_w']:.2f}x,"
            f" read ratio {best['fs_r'] / best['cp_r']:.2f}x"
        )
        print(
            f"  read with read(n) (new bytes per chunk) {mbs['fs_r_alloc']:8.1f} MB/s"
            f"   ratio {mbs['fs_r_alloc'] / mbs['cp_r']:.2f}x"
        )
        fs.close()
        _record.write(
            args.json,
            "storage_bench",
            [
                _record.ratio(
                    f"FileSystem / nfs-cp, {what} {args.size_mib} MiB (MB/s)",
                    [size / t for t in times[ours]],
                    [size / t for t in times[theirs]],
                    baseline="libnfs nfs-cp",
                    target=_record.at_least(0.8),
                )
                for what, ours, theirs in (("write", "fs_w", "cp_w"), ("read", "fs_r", "cp_r"))
            ],
        )
    finally:
        if started:
            subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
