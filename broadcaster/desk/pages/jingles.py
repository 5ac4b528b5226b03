"""The Jingles page: a jingle's rhyme check line by line, and composing one from the bank."""
from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster.desk import editing
from broadcaster.desk.common import (choice, existing_file, files_of_kind, folder_path, json_form, new_files_dir,
                                     new_name, page, relative_name, require_csrf, settings_of, voices)
from broadcaster.errors import BadInput, EditConflict
from broadcaster.i18n import _
from broadcaster.jingle.bank import topics
from broadcaster.jingle.check import check_jingle
from broadcaster.jingle.compose import compose
from broadcaster.jingle.rhyme import STRICTNESS, VERDICT_LABELS
from broadcaster.notice import ID_RE, load_jingle
from broadcaster.speech.romanize import ascii_name
from broadcaster.speech.voices import get_profile
from broadcaster.vocabulary import JINGLE_FORMS


async def jingles_page(request: Request) -> Response:
    rel = request.query_params.get("file", "")
    strictness = request.query_params.get("rhyme", "group")
    report, error = None, ""
    if rel:
        strictness = choice(strictness, STRICTNESS, "rhyme")
        try:
            notice = load_jingle(existing_file(request, rel))
            checked = check_jingle(notice, strictness)
            report = {**checked.to_dict(), "summary": checked.summary()}
            for line in report["lines"]:  # verdicts in words, as `jingle check` prints them
                line["pairs"] = [{**p, "verdict_text": _(VERDICT_LABELS[p["verdict"]])} for p in line["pairs"]]
        except BadInput as exc:
            error = exc.message()
    return page(request, "jingles.html", files=files_of_kind(request, "jingle"), file=rel, report=report, error=error,
                 strictness=strictness, all_strictness=STRICTNESS, forms=JINGLE_FORMS, voices=voices(),
                 topics=[t.name for t in topics()], new_dir=new_files_dir(settings_of(request).folder, "jingles"))


def _compose(data: dict):
    form = choice(data.get("form"), JINGLE_FORMS, "form")
    names = [t for t in re.split(r"[,，、\s]+", str(data.get("topics") or "")) if t]
    seed = str(data.get("seed") or "0").strip()
    if not seed.lstrip("-").isdigit():
        raise BadInput(_("'{value}' is not a whole number").format(value=seed), _("write e.g. 0, 1 or 2"))
    profile = get_profile(str(data.get("voice") or "") or None)
    return compose(form, names, place=str(data.get("place") or ""), voice=profile, seed=int(seed))


async def api_compose(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    result = _compose(data)
    return JSONResponse({"lines": list(result.lines), "report": result.report.to_dict(),
                         "yaml": result.to_yaml(None, None)})


async def api_jingle_save(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    name = new_name(str(data.get("name") or "").strip())
    path = folder_path(request, new_files_dir(settings_of(request).folder, "jingles") + name + ".yaml")
    jingle_id = name if ID_RE.fullmatch(name) else ascii_name(name)  # 防疫顺口溜 -> fangyi-shunkouliu
    text = _compose(data).to_yaml(jingle_id, str(data.get("title") or "") or None)
    checked = editing.check_notice(path, text, [])
    if not checked.ok:
        return JSONResponse({"error": checked.errors[0].message}, status_code=422)
    try:
        editing.save_text(path, text, "")
    except EditConflict:
        return JSONResponse({"error": _("'{name}' already exists — choose another file name").format(
            name=relative_name(request, path))}, status_code=409)
    return JSONResponse({"file": relative_name(request, path)})
