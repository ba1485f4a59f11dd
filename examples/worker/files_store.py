"""The example's Files API store: contents and metadata under ``gmifs://files/``.

``gmifs://files/<id>`` holds the bytes (written atomically by ``UploadFile.save_to``, so a
cut upload never leaves a file under its name) and ``gmifs://files/<id>.json`` the
metadata, written after the content: a file is listed only once both are complete.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

from gmi_ieops.handler import StoredFile, UploadFile
from gmi_ieops.storage import default_filesystem
from starlette.exceptions import HTTPException

ROOT = "gmifs://files"


def _not_found(file_id: str) -> HTTPException:
    return HTTPException(404, f"No such File object: {file_id}")


def _valid_id(file_id: str) -> bool:
    return file_id.startswith("file-") and file_id[5:].isalnum()


class FileStore:
    """What the Files routes do, on the worker's ``gmifs://`` storage."""

    def __init__(self, root: str = ROOT) -> None:
        self.root = root

    async def create(self, upload: UploadFile, purpose: str) -> dict[str, Any]:
        file_id = "file-" + secrets.token_hex(12)
        size = await upload.save_to(f"{self.root}/{file_id}")
        meta = {
            "id": file_id,
            "object": "file",
            "bytes": size,
            "created_at": int(time.time()),
            "filename": upload.filename or "upload",
            "purpose": purpose,
            "status": "processed",
        }
        await asyncio.to_thread(self._write_meta, file_id, meta)
        return meta

    def _write_meta(self, file_id: str, meta: dict[str, Any]) -> None:
        with default_filesystem().open(f"{self.root}/{file_id}.json", "w") as out:
            out.write(json.dumps(meta))

    def _read_meta(self, file_id: str) -> dict[str, Any]:
        if not _valid_id(file_id):
            raise _not_found(file_id)
        try:
            with default_filesystem().open(f"{self.root}/{file_id}.json", "r") as f:
                return dict(json.loads(f.read()))
        except FileNotFoundError:
            raise _not_found(file_id) from None

    async def retrieve(self, file_id: str) -> dict[str, Any]:
        return await asyncio.to_thread(self._read_meta, file_id)

    def _all(self) -> list[dict[str, Any]]:
        fs = default_filesystem()
        if not fs.exists(self.root):
            return []
        found = []
        for name in fs.listdir(self.root):
            if name.endswith(".json") and _valid_id(name[:-5]):
                try:
                    found.append(self._read_meta(name[:-5]))
                except HTTPException:
                    continue  # deleted meanwhile
        return found

    async def list_files(
        self, purpose: str | None, limit: int, order: str, after: str | None
    ) -> dict[str, Any]:
        files = await asyncio.to_thread(self._all)
        if purpose is not None:
            files = [f for f in files if f["purpose"] == purpose]
        files.sort(key=lambda f: (f["created_at"], f["id"]), reverse=order == "desc")
        if after is not None:
            ids = [f["id"] for f in files]
            files = files[ids.index(after) + 1 :] if after in ids else []
        page = files[:limit]
        result: dict[str, Any] = {"object": "list", "data": page, "has_more": len(files) > limit}
        if page:
            result["first_id"], result["last_id"] = page[0]["id"], page[-1]["id"]
        return result

    async def delete(self, file_id: str) -> dict[str, Any]:
        await self.retrieve(file_id)

        def remove() -> None:
            fs = default_filesystem()
            fs.remove(f"{self.root}/{file_id}.json")
            fs.remove(f"{self.root}/{file_id}")

        await asyncio.to_thread(remove)
        return {"id": file_id, "object": "file", "deleted": True}

    async def content(self, file_id: str) -> StoredFile:
        meta = await self.retrieve(file_id)
        return StoredFile(f"{self.root}/{file_id}", filename=meta["filename"])

    async def lines(self, file_id: str) -> list[str]:
        """The non-empty lines of a stored text file (what embeddings embed)."""
        await self.retrieve(file_id)

        def read() -> bytes:
            with default_filesystem().open(f"{self.root}/{file_id}", "rb") as f:
                return bytes(f.read())

        text = (await asyncio.to_thread(read)).decode("utf-8", "replace")
        return [line.strip() for line in text.splitlines() if line.strip()]
