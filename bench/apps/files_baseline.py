"""The bench's baseline: a hand-written Starlette Files route with python-multipart.

``POST /v1/files`` parses the form with ``request.form()`` (Starlette spools file parts past
1 MiB), copies the file under ``FILES_DIR`` (temp name + rename) and answers JSON;
``GET /v1/files/{id}/content`` is a ``FileResponse``. What a developer writes by hand.
"""

from __future__ import annotations

import os
import secrets
import shutil

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

ROOT = os.environ.get("FILES_DIR", "/tmp/files-baseline")


def _copy(upload: UploadFile, path: str) -> int:
    temp = path + ".part"
    upload.file.seek(0)
    with open(temp, "wb") as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    os.replace(temp, path)
    return os.path.getsize(path)


async def create(request: Request) -> Response:
    async with request.form(max_part_size=1024 * 1024) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            return JSONResponse({"message": "file is required"}, status_code=422)
        file_id = "file-" + secrets.token_hex(12)
        size = await run_in_threadpool(_copy, upload, os.path.join(ROOT, file_id))
        return JSONResponse(
            {"id": file_id, "object": "file", "bytes": size, "filename": upload.filename,
             "purpose": form.get("purpose")}
        )  # fmt: skip


async def content(request: Request) -> Response:
    file_id = request.path_params["file_id"]
    return FileResponse(os.path.join(ROOT, file_id), media_type="application/octet-stream")


os.makedirs(ROOT, exist_ok=True)
app = Starlette(
    routes=[
        Route("/v1/files", create, methods=["POST"]),
        Route("/v1/files/{file_id}/content", content, methods=["GET"]),
    ]
)
