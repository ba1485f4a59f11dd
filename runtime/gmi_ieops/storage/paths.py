"""User paths → backend paths under ``/{pid}/{fs_name}/{oid}/{uid}``, and the checks that keep
every path inside that root. Shared by both backends; everything here that refuses a path
does so before any I/O.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
import unicodedata
from collections.abc import Sequence
from urllib.parse import unquote

from .backend import Backend
from .protocol import GMIFS_PROTOCOL as GMIFS_PROTOCOL

MAX_SYMLINK_HOPS = 40


def _refuse(what: str, value: object, why: str) -> PermissionError:
    return PermissionError(errno.EACCES, f"gmifs: refused {what} {value!r}: {why}")


def _decoded_forms(text: str) -> list[str]:
    """``text`` and what it becomes after repeated percent-decoding and NFKC folding: a name
    is refused when any form would traverse, since some layer (a URL library, a proxy, a
    filesystem that normalises) may decode it later."""
    forms = [text]
    current = text
    for _ in range(4):
        decoded = unquote(current)
        if decoded == current:
            break
        forms.append(decoded)
        current = decoded
    forms.extend([unicodedata.normalize("NFKC", f) for f in list(forms)])
    return forms


def _check_segment(what: str, original: object, segment: str) -> None:
    for form in _decoded_forms(segment):
        if "\x00" in form:
            raise _refuse(what, original, "contains a NUL byte")
        if "\\" in form:
            raise _refuse(what, original, "contains a backslash")
        if form != segment and ("/" in form or form in (".", "..")):
            raise _refuse(what, original, "an encoded '/', '.' or '..'")
        if ".." in form.split("/"):
            raise _refuse(what, original, "'..' may not leave the user root")


def check_env_id(name: str, value: str) -> str:
    """An id of the root mapping (pid, fs_name, oid, uid) is one plain path segment."""
    if not value:
        raise _refuse(name, value, "is empty")
    if "/" in value or value in (".", ".."):
        raise _refuse(name, value, "must be a single path segment (no '/', '.' or '..')")
    _check_segment(name, value, value)
    return value


def user_parts(path: str | os.PathLike[str]) -> list[str]:
    """The segments of a user path (``a/b.png`` or ``gmifs://a/b.png``), checked.

    Refused (``PermissionError``): absolute paths, ``..`` anywhere, NUL bytes, backslashes,
    and percent- or Unicode-encoded forms of ``/``, ``.``, ``..``. Empty and ``.`` segments
    are dropped; ``""`` is the user root itself.
    """
    if isinstance(path, bytes):
        raise TypeError("gmifs paths are str, not bytes")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"gmifs paths are str, not {type(text).__name__}")
    if text.startswith(GMIFS_PROTOCOL):
        text = text[len(GMIFS_PROTOCOL) :]
    if "\x00" in text:
        raise _refuse("path", path, "contains a NUL byte")
    if text.startswith("/") or any(f.startswith("/") for f in _decoded_forms(text)):
        raise _refuse(
            "path", path, "absolute paths are not allowed; paths are relative to the user root"
        )
    parts = []
    for segment in text.split("/"):
        _check_segment("path", path, segment)
        if segment in ("", "."):
            continue
        parts.append(segment)
    return parts


def join(root: str, parts: Sequence[str]) -> str:
    return root.rstrip("/") + "".join("/" + p for p in parts) if parts else root


def resolve(
    backend: Backend, root: str, parts: Sequence[str], *, follow_last: bool
) -> tuple[str, bool]:
    """Walk ``parts`` under ``root`` on the backend, following symlinks (only the last one when
    ``follow_last``), refusing any link that leaves the root.

    Returns (backend path without symlinks to follow, whether it exists). One lstat per segment;
    a missing segment ends the walk, the rest is joined unchecked (nothing exists there yet).
    """
    done: list[str] = []
    todo = list(parts)
    hops = 0
    while todo:
        name = todo.pop(0)
        current = join(root, [*done, name])
        try:
            st = backend.lstat(current)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ESTALE):  # stale: it vanished as we looked
                raise
            return join(root, [*done, name, *todo]), False
        if not stat_mod.S_ISLNK(st.st_mode) or (not todo and not follow_last):
            done.append(name)
            continue
        hops += 1
        if hops > MAX_SYMLINK_HOPS:
            raise OSError(errno.ELOOP, "too many levels of symbolic links", current)
        target = backend.readlink(current)
        if target.startswith("/"):
            inside = backend.absolute_link(target)
            prefix = root.rstrip("/") + "/"
            if inside is None or not (inside == root or inside.startswith(prefix)):
                raise _refuse("symlink", current, f"points outside the user root ({target})")
            base: list[str] = []
            rel = inside[len(root) :]
        else:
            base, rel = list(done), target
        for seg in rel.split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if not base:
                    raise _refuse("symlink", current, f"points outside the user root ({target})")
                base.pop()
            else:
                base.append(seg)
        done = []
        todo = base + todo
    return join(root, done), True
