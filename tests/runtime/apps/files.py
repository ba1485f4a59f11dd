"""Upload and binary-response routes written by hand, as generated code writes them."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

from gmi_ieops.handler import (
    Handler,
    HTTPMethod,
    RequestContext,
    RouterDef,
    Server,
    StoredFile,
    UploadFile,
)
from gmi_ieops.typed import BinarySpec, FilePart, FormSpec
from pydantic import BaseModel, Field


class UploadForm(BaseModel):
    purpose: str = Field(min_length=1)
    count: int = 1
    tags: list[str] = []


class UploadResult(BaseModel):
    purpose: str
    count: int
    tags: list[str]
    files: list[dict[str, object]]


def _describe(upload: UploadFile, digest: str) -> dict[str, object]:
    return {
        "name": upload.name,
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": digest,
    }


async def _digest(upload: UploadFile) -> str:
    h = hashlib.sha256()
    async for chunk in upload:
        h.update(chunk)
    return h.hexdigest()


async def upload(
    body: UploadForm,
    file: UploadFile,
    extra: list[UploadFile],
    context: RequestContext,
) -> UploadResult:
    files = [_describe(file, await _digest(file))]
    files += [_describe(e, await _digest(e)) for e in extra]
    return UploadResult(purpose=body.purpose, count=body.count, tags=body.tags, files=files)


async def save(body: UploadForm, file: UploadFile) -> UploadResult:
    """Saves under gmifs://uploads/<purpose>; a cut upload never gets here."""
    await file.save_to(f"gmifs://uploads/{body.purpose}")
    return UploadResult(purpose=body.purpose, count=1, tags=[], files=[])


async def image_only(file: UploadFile) -> UploadResult:
    return UploadResult(purpose="image", count=1, tags=[], files=[_describe(file, "")])


async def raw(body: UploadFile) -> bytes:
    """Echo of a binary body (the sha256 and the size, as text)."""
    return f"{await _digest(body)} {body.size} {body.content_type}".encode()


async def speech(text: str = "hello") -> bytes:
    return text.encode() * 3


async def chunks(n: int = 3, size: int = 1024) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(n):
            yield bytes([65 + i % 26]) * size

    return gen()


def stored(name: str) -> StoredFile:
    return StoredFile(f"gmifs://uploads/{name}", filename=name)


def local(name: str) -> StoredFile:
    return StoredFile(os.path.join(os.environ["FILES_DIR"], name), media_type="image/png")


class TextParams(BaseModel):
    text: str = "hello"


class ChunkParams(BaseModel):
    n: int = 3
    size: int = 1024


class NameParams(BaseModel):
    name: str


form = FormSpec(
    UploadForm,
    (
        FilePart("file", "file"),
        FilePart("extra", "extra", repeated=True, required=False),
    ),
)
server = Server(
    routers={
        "": [
            RouterDef("/upload", upload, upload=form, response_model=UploadResult),
            RouterDef(
                "/save",
                save,
                upload=FormSpec(UploadForm, (FilePart("file", "file"),)),
                response_model=UploadResult,
            ),
            RouterDef(
                "/image",
                image_only,
                upload=FormSpec(None, (FilePart("file", "file", content_types=("image/*",)),)),
                response_model=UploadResult,
            ),
            RouterDef(
                "/raw",
                raw,
                upload=BinarySpec(("application/octet-stream", "audio/*")),
                response_media="text/plain",
            ),
            RouterDef(
                "/speech",
                speech,
                method=HTTPMethod.GET,
                params_model=TextParams,
                param_in={"text": "query"},
                response_media="audio/mpeg",
            ),
            RouterDef(
                "/chunks",
                chunks,
                method=HTTPMethod.GET,
                params_model=ChunkParams,
                param_in={"n": "query", "size": "query"},
                response_media="application/octet-stream",
            ),
            RouterDef(
                "/stored/{name}",
                stored,
                method=HTTPMethod.GET,
                params_model=NameParams,
                param_in={"name": "path"},
                response_media="application/octet-stream",
            ),
            RouterDef(
                "/local/{name}",
                local,
                method=HTTPMethod.GET,
                params_model=NameParams,
                param_in={"name": "path"},
                response_media="application/octet-stream",
            ),
        ]
    }
)

if __name__ == "__main__":
    Handler(server=server).serve()
