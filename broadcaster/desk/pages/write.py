"""The Write page: a notice as a form, checked as you type (what `broadcaster check` says), saved as YAML."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from broadcaster import yamlsource
from broadcaster.desk import editing
from broadcaster.desk.common import (existing_file, files_of_kind, folder_path, folder_prefix, json_form,
                                     new_files_dir, new_name, page, relative_name, require_csrf, settings_of, voices,
                                     writable)
from broadcaster.desk.formwords import form_errors
from broadcaster.desk.texts import page_texts
from broadcaster.errors import BadInput, EditConflict, RequestError
from broadcaster.i18n import _


def _form_for(request: Request, path: Path | None, template: str | None) -> dict:
    """What the write page's form starts with: a file's fields, or a new notice's."""
    forms = {f.name: f for f in editing.template_forms()}
    data: dict = {}
    raw: dict = {}
    if path is not None:
        try:
            doc = yamlsource.load(path)
            data = doc.data if isinstance(doc.data, dict) else {}
            raw = doc.raw
        except BadInput:
            data = {}
        template = data.get("template") if "template" in data else None
    form = forms.get(template) if template else None
    fields = []
    values = {k: str(raw.get(("vars", k), v)) for k, v in (data.get("vars") or {}).items()} \
        if isinstance(data.get("vars"), dict) else {}
    if form is not None:
        for name, label, example, required in form.fields:
            fields.append({"name": name, "label": label, "example": example, "required": required,
                           "value": values.get(name, "")})
    return {"template": template or "", "template_title": form.title if form else "",
            "description": form.description if form else "",
            "fields": fields, "title": str(data.get("title", "")), "text": str(data.get("text", "") or ""),
            "voice": str(data.get("voice", "") or ""), "repeat": str(raw.get(("repeat",), data.get("repeat", ""))),
            "free": not template}


async def write_page(request: Request) -> Response:
    folder = settings_of(request).folder
    rel = request.query_params.get("file")
    path = existing_file(request, rel) if rel else None
    template = request.query_params.get("template")
    free = request.query_params.get("free") == "1"
    known = {f.name for f in editing.template_forms()}
    if template and template not in known:
        raise RequestError(400, _("unknown template '{name}'").format(name=template))
    editing_form = _form_for(request, path, template) if (path or template or free) else None
    return page(request, "write.html", files=files_of_kind(request, "notice"), templates=editing.template_forms(),
                 form=editing_form, file=rel or "", digest=editing.file_digest(path) if path else "",
                 voices=voices(), new_dir=new_files_dir(folder, "notices"))


def _target(request: Request, data: dict) -> tuple[Path, editing.Source]:
    """The notice file a form writes: the file being edited, or notices/<name>.yaml for a new one."""
    if data.get("file"):
        path = writable(request, str(data["file"]))
        return path, editing.read_source(path)
    name = new_name(str(data.get("name") or "").strip())
    rel = new_files_dir(settings_of(request).folder, "notices") + name + ".yaml"
    return folder_path(request, rel), editing.Source()


def _field_names(data: dict) -> list[str]:
    return ["title", "text", "voice", "repeat", "template", "name"] + [f"vars.{k}" for k in (data.get("vars") or {})]


def _values(data: dict) -> dict[str, str]:
    """What each field of the form holds, by field name (vars.place...)."""
    values = {k: str(data.get(k) or "") for k in ("title", "text", "voice", "repeat", "template", "name")}
    values.update({f"vars.{k}": str(v or "") for k, v in (data.get("vars") or {}).items()})
    return values


def _labels(data: dict) -> dict[str, str]:
    """Each field's label as the page shows it: a template's variables by their meaning (检测地点)."""
    texts = page_texts()
    labels = {"title": texts["title"], "text": texts["text"], "voice": texts["voice"], "repeat": texts["repeat"],
              "name": texts["file_name_short"]}
    form = next((f for f in editing.template_forms() if f.name == data.get("template")), None)
    for name, label, _example, _required in (form.fields if form else ()):
        labels[f"vars.{name}"] = label
    return labels


def _errors(request: Request, data: dict, errors) -> list[dict]:
    return form_errors(errors, _values(data), _labels(data), folder_prefix(request))


def _name_problem(data: dict) -> str:
    """Why a new notice's file name cannot be used ('' when it can): asked for in the page's words."""
    if data.get("file"):
        return ""
    name = str(data.get("name") or "").strip()
    if not name:
        return _("Give the file a name, e.g. {example}").format(example="停水通知")
    try:
        new_name(name)
    except RequestError as exc:
        return exc.message
    return ""


async def api_check(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    name = _name_problem(data)
    if name:  # the rest is checked under a draft's name; the page shows the name's mistake once the field was left
        data = {**data, "name": "draft"}
    path, existing = _target(request, data)
    text = editing.notice_yaml(path, existing.text, data)
    checked = editing.check_notice(path, text, _field_names(data))
    errors = ([{"field": "name", "message": name, "detail": name}] if name else []) + _errors(request, data,
                                                                                             checked.errors)
    return JSONResponse({"yaml": checked.text, "spoken": checked.spoken, "errors": errors})


async def api_save(request: Request) -> Response:
    data = await json_form(request)
    require_csrf(request)
    refused = _name_problem(data)
    if refused:
        return JSONResponse({"error": refused, "errors": [{"field": "name", "message": refused, "detail": refused}]},
                            status_code=422)
    path, existing = _target(request, data)
    text = editing.notice_yaml(path, existing.text, data)  # BadInput (422) when the file on disk is unreadable
    checked = editing.check_notice(path, text, _field_names(data))
    if not checked.ok:
        errors = _errors(request, data, checked.errors)
        at_fields = any(e["field"] for e in errors)
        return JSONResponse({"error": page_texts()["not_saved"] if at_fields else errors[0]["message"],
                             "errors": errors}, status_code=422)
    try:
        new_digest = editing.save_text(path, text, str(data.get("digest") or ""), existing.encoding)
    except EditConflict:
        message = (_("'{name}' was changed by someone else since you opened it — your change was not saved")
                   if existing.text is not None else _("'{name}' already exists — choose another file name"))
        return JSONResponse({"error": message.format(name=relative_name(request, path)) + " "
                             + page_texts()["conflict_reload"]}, status_code=409)
    files = [{"path": f.path, "title": f.title} for f in files_of_kind(request, "notice")]
    return JSONResponse({"file": relative_name(request, path), "digest": new_digest, "spoken": checked.spoken,
                         "files": files})
