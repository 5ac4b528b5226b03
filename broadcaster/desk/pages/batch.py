"""The Batch page: one notice rendered for every village of an uploaded CSV, in a background job."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster.batch import read_villages, render_batch
from broadcaster.desk.common import (MAX_BODY, choice, engine_choices, existing_file, files_of_kind,
                                     output_profiles, page, require_csrf, settings_of)
from broadcaster.desk.jobs import Jobs, Progress
from broadcaster.errors import RequestError
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import _
from broadcaster.notice import ENGINES


async def batch_page(request: Request) -> Response:
    return page(request, "batch.html", files=files_of_kind(request, "notice"), engines=engine_choices(),
                 profiles=output_profiles(), engine=settings_of(request).engine)


def _batch_work(notice: Path, csv_name: str, engine: str, profile: str):
    def work(folder: Path, progress: Progress) -> dict:
        csv_path = folder / csv_name
        total = len(read_villages(csv_path))
        progress.update(0, total, _("rendering"))
        count = {"n": 0}

        def on_row(_row) -> None:
            count["n"] += 1
            progress.update(count["n"], total)

        results = render_batch(notice, csv_path, folder / "out", jobs=1, engine=engine, profile=profile,
                               on_row=on_row)
        rows = []
        for r in results:
            entry = r.entry or {}
            file = f"out/{entry['file']}" if entry.get("file") else ""  # the entry's file names the village folder
            rows.append({"village": r.village, "status": r.status, "message": r.message, "file": file})
        return {"rows": rows}
    return work


async def api_batch(request: Request) -> Response:
    async with request.form(max_files=1, max_fields=10, max_part_size=MAX_BODY) as form:
        require_csrf(request, str(form.get("csrf_token", "")))
        notice = existing_file(request, str(form.get("notice") or ""))
        engine = choice(form.get("engine") or settings_of(request).engine, ENGINES, "engine")
        profile = choice(form.get("profile") or "loudspeaker", [p["name"] for p in output_profiles()], "profile")
        upload = form.get("villages")
        if upload is None or isinstance(upload, str):
            raise RequestError(400, _("choose a villages CSV file"))
        data = await upload.read(MAX_BODY + 1)
        if len(data) > MAX_BODY:
            raise RequestError(413, _("the upload is larger than {mb} MB — send a smaller file").format(
                mb=MAX_BODY >> 20))
    jobs: Jobs = request.app.state.jobs

    def work(folder: Path, progress: Progress) -> dict:
        write_bytes(folder / "villages.csv", data)  # the upload is kept with the job's output
        return _batch_work(notice, "villages.csv", engine, profile)(folder, progress)

    job = jobs.submit("batch", work)
    return JSONResponse(job.to_dict())
