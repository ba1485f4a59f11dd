"""The image job service: an example implementation.

Written once by ieops-gen as a stub, then filled in by hand: jobs "render" in a few
steps and their progress streams as typed SSE events.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from gmi_ieops.handler import RequestContext
from starlette.exceptions import HTTPException

from generated.images.models import (
    DoneEvent,
    Image,
    ImageJob,
    ImageJobEvent,
    ImageJobRequest,
    JobStatus,
    ProgressEvent,
)
from generated.images.routes import serve
from generated.images.service import ImageJobsService


class ImageJobsServiceImpl(ImageJobsService):
    """Implements :class:`ImageJobsService`; jobs live in memory."""

    def __init__(self, step_delay: float = 0.0) -> None:
        self.jobs: dict[str, tuple[ImageJobRequest, ImageJob]] = {}
        self.ids = itertools.count(1)
        self.step_delay = step_delay

    async def create_image_job(self, *, body: ImageJobRequest, context: RequestContext) -> ImageJob:
        job = ImageJob(
            id=f"job-{next(self.ids)}", status=JobStatus.queued, created=datetime.now(timezone.utc)
        )
        self.jobs[job.id] = (body, job)
        return job

    async def get_image_job(self, *, job_id: str, context: RequestContext) -> ImageJob:
        return self._job(job_id)[1]

    async def stream_image_job(
        self, *, job_id: str, context: RequestContext
    ) -> AsyncIterator[ImageJobEvent]:
        request, job = self._job(job_id)
        for step in range(request.steps):
            await asyncio.sleep(self.step_delay)
            yield ImageJobEvent(ProgressEvent(type="progress", step=step, total=request.steps))
        size = int(request.size.value.split("x")[0])
        images = [
            Image(url=f"gmifs://images/{job_id}/{i}.png", width=size, height=size)
            for i in range(request.n)
        ]
        self.jobs[job_id] = (request, job.model_copy(update={"status": JobStatus.succeeded}))
        yield ImageJobEvent(DoneEvent(type="done", images=images))

    def _job(self, job_id: str) -> tuple[ImageJobRequest, ImageJob]:
        if job_id not in self.jobs:
            raise HTTPException(404, f"no job {job_id}")
        return self.jobs[job_id]


if __name__ == "__main__":
    serve(ImageJobsServiceImpl(step_delay=0.5))
