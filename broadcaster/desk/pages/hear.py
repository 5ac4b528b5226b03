"""The Hear page: render a notice in a background job with the engine, voice, speaker and profile chosen."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster.audio.profiles import output_profile
from broadcaster.desk.common import (choice, engine_choices, existing_file, files_of_kind, json_form, output_profiles,
                                     page, require_csrf, settings_of, speaker_choices, voices)
from broadcaster.desk.jobs import Progress
from broadcaster.engines.base import auto_order
from broadcaster.fsutil import check_folder
from broadcaster.i18n import _
from broadcaster.notice import ENGINES, load_notice
from broadcaster.examine import prepare
from broadcaster.render import RenderOptions, render_prepared


def _render_work(path: Path, voice: str | None, engine: str, profile: str, speaker: str | None = None):
    def work(folder: Path, progress: Progress) -> dict:
        progress.update(0, 2, _("checking"))
        chosen = output_profile(profile, None)
        prepared = prepare(load_notice(path), voice_override=voice or None, program=chosen.program,
                           speaker=speaker or None)
        check_folder(folder)
        progress.update(1, 2, _("speaking"))
        rendered = render_prepared(prepared, RenderOptions(out_dir=folder, engine=engine, profile=profile))
        progress.update(2, 2)
        return {**asdict(rendered), "transcript_text": prepared.transcript(), "source": str(path),
                "speaker": speaker or ""}
    return work


async def hear_page(request: Request) -> Response:
    engines = engine_choices()
    several = [e["name"] for e in engines if e["speakers"]]
    if any(n in auto_order() for n in several):
        several.append("auto")  # auto may end up with one of them
    return page(request, "hear.html", files=files_of_kind(request, "notice") + files_of_kind(request, "jingle"),
                 file=request.query_params.get("file", ""), voices=voices(), engines=engines,
                 profiles=output_profiles(), engine=settings_of(request).engine, speakers=speaker_choices(engines),
                 speaker_engines=" ".join(several))


async def api_render(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    path = existing_file(request, str(data.get("file") or ""))
    engine = choice(data.get("engine") or settings_of(request).engine, ENGINES, "engine")
    voice = str(data.get("voice") or "")
    if voice:
        choice(voice, [v["name"] for v in voices()], "voice")
    speaker = str(data.get("speaker") or "")
    if speaker:
        choice(speaker, [s["name"] for s in speaker_choices(engine_choices())], "speaker")
    profile = choice(data.get("profile") or "loudspeaker", [p["name"] for p in output_profiles()], "profile")
    job = request.app.state.jobs.submit("render", _render_work(path, voice, engine, profile, speaker))
    return JSONResponse(job.to_dict())
