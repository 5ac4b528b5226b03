"""What every page with a background job polls: the job's state (/api/jobs/ID) and its files (/jobs/ID/NAME)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from broadcaster.desk import security
from broadcaster.desk.common import settings_of, without_server_paths
from broadcaster.desk.jobs import Jobs
from broadcaster.errors import BadInput, OutsideFolder, RequestError
from broadcaster.i18n import _


async def api_job(request: Request) -> Response:
    job = request.app.state.jobs.get(request.path_params["job"])
    if job is None:
        return JSONResponse({"error": _("no such job (the desk may have been restarted)")}, status_code=404)
    jobs: Jobs = request.app.state.jobs
    # the job's own files are named as /jobs/<id>/ serves them, the desk's as the pages name them
    folders = [jobs.folder(job.id), jobs.folder(job.id).resolve(), settings_of(request).folder]
    return JSONResponse(without_server_paths(job.to_dict(), folders))


async def job_file(request: Request) -> Response:
    jobs: Jobs = request.app.state.jobs
    job = jobs.get(request.path_params["job"])
    if job is None:
        raise RequestError(404, _("no such job (the desk may have been restarted)"))
    folder = jobs.folder(job.id)
    try:
        path = security.inside(folder, request.path_params["name"], ())
    except (OutsideFolder, BadInput):
        raise RequestError(403, _("'{name}' is outside the desk's folder").format(
            name=request.path_params["name"])) from None
    if not path.is_file() or path.name.startswith("."):
        raise RequestError(404, _("no such file"))
    return FileResponse(path)
