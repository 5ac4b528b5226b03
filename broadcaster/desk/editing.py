"""The desk's edits as YAML text: forms -> the file they would write, checked by the same loaders as
`broadcaster check`, with each mistake placed at the form field it came from.

Edits go through ruamel.yaml's round trip, so the comments and order of a file written by hand
stay as they were. Nothing here decides what is valid: the notice and schedule loaders do.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml as pyyaml

from broadcaster import yamlsource
from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.notice import FOLDER_FILES

SKIP_DIRS = ("out", "node_modules")  # render output, not sources


@dataclass(frozen=True)
class FileEntry:
    path: str      # relative to the desk's folder, with /
    kind: str      # notice | jingle | schedule | broken
    title: str
    id: str = ""


@dataclass(frozen=True)
class FieldError:
    field: str     # the form field ("title", "vars.place", "times", ...) or "" for the whole file
    message: str   # the same one line `broadcaster check` prints


@dataclass(frozen=True)
class Checked:
    text: str                       # the YAML that would be written
    spoken: str = ""                # what the engine would be given (the transcript)
    errors: tuple[FieldError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, '' when it does not exist (a new file)."""
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return ""


def relative(folder: Path, path: Path) -> str:
    return path.resolve().relative_to(folder.resolve()).as_posix()


def list_files(folder: Path) -> list[FileEntry]:
    """Every notice, jingle and schedule under `folder` (folder files and output folders skipped)."""
    from broadcaster.schedule.load import is_schedule_data

    root = folder.resolve()
    out = []
    for path in sorted(root.rglob("*.yaml")):
        parts = path.relative_to(root).parts
        if path.name in FOLDER_FILES or any(p.startswith(".") or p in SKIP_DIRS or p.endswith("-audio")
                                            for p in parts[:-1]):
            continue
        if path.is_symlink() and root not in path.resolve().parents:
            continue  # a link out of the folder is not the desk's to show
        try:
            data = yamlsource.load(path).data
        except BadInput:
            out.append(FileEntry(relative(root, path), "broken", path.stem))
            continue
        if is_schedule_data(data):
            out.append(FileEntry(relative(root, path), "schedule", path.stem))
        elif isinstance(data, dict):
            kind = "jingle" if data.get("kind") == "jingle" else "notice"
            out.append(FileEntry(relative(root, path), kind, str(data.get("title") or path.stem),
                                 str(data.get("id") or path.stem)))
        else:
            out.append(FileEntry(relative(root, path), "broken", path.stem))
    return out


# ---------------------------------------------------------------- ruamel round trip
def _yaml():
    from ruamel.yaml import YAML

    y = YAML()  # round trip: comments, order and quoting of untouched values stay
    y.preserve_quotes = True
    y.allow_unicode = True
    y.width = 4096  # a long Chinese sentence stays on one line
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _scalar(value: str):
    """A string as it must be written so that the project's YAML 1.1 reader reads it back the same.

    ruamel writes YAML 1.2, where 8:00 and 2021-10-27 are plain text; PyYAML (1.1) would read
    them as 480 and a date, so such values are quoted.
    """
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if "\n" in value:
        return LiteralScalarString(value if value.endswith("\n") else value + "\n")
    try:
        same = pyyaml.safe_load(value) == value
    except (pyyaml.YAMLError, ValueError, OverflowError):  # 2021-13-30: a date PyYAML cannot build
        same = False
    return value if same and value.strip() == value and value else DoubleQuotedScalarString(value)


def _load_map(text: str | None):
    from ruamel.yaml.comments import CommentedMap

    if not text or not text.strip():
        return CommentedMap()
    try:
        data = _yaml().load(text)
    except Exception:  # ruamel's errors for a broken file: start afresh rather than lose the form
        return CommentedMap()
    return data if isinstance(data, CommentedMap) else CommentedMap()


def _dump(data) -> str:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def notice_yaml(existing: str | None, form: dict) -> str:
    """The notice file the form describes, as an edit of `existing` (its comments kept).

    form: title, voice, repeat, and either template + vars or text (the id stays the file's). An
    empty field is left out, so the loader reports it (e.g. a missing variable) just as it would for a hand-written file.
    """
    from ruamel.yaml.comments import CommentedMap

    data = _load_map(existing)

    def put(key: str, value) -> None:
        if value in (None, ""):
            data.pop(key, None)
        else:
            data[key] = value

    put("title", _scalar(str(form.get("title") or "").strip()) if str(form.get("title") or "").strip() else None)
    if form.get("template"):
        data.pop("text", None)
        put("template", str(form["template"]))
        vars_ = data.get("vars") if isinstance(data.get("vars"), CommentedMap) else CommentedMap()
        given = {str(k): str(v) for k, v in (form.get("vars") or {}).items()}
        for name in list(vars_):
            if name in given and not given[name].strip():
                del vars_[name]
        for name, value in given.items():
            if value.strip():
                vars_[name] = _scalar(value.strip())
        if vars_:
            data["vars"] = vars_
        else:
            data.pop("vars", None)
    else:
        data.pop("template", None)
        text = str(form.get("text") or "")
        put("text", _scalar(text.strip()) if text.strip() else None)
    if "voice" in form:  # a field the form does not show stays as the file has it
        put("voice", str(form.get("voice") or "").strip() or None)
    if "repeat" in form:
        repeat = str(form.get("repeat") or "").strip()
        put("repeat", int(repeat) if repeat.isdigit() else (_scalar(repeat) if repeat else None))
    return _dump(data)


def _field_of(exc: BadInput, doc, fields: list[str]) -> str:
    """The form field a loader error belongs to: the variable it names, else the key on its line."""
    for name in re.findall(r"'([^']+)'", exc.what):
        if f"vars.{name}" in fields:
            return f"vars.{name}"
    if doc is None or exc.line is None:
        return ""
    best = ""
    for keys, line in doc.lines.items():
        if line != exc.line or not keys:
            continue
        name = ".".join(str(k) for k in keys[:2]) if keys[0] == "vars" else str(keys[0])
        if keys[0] == "programs" and len(keys) >= 3:
            name = str(keys[2])
        if name in fields and len(name) >= len(best):
            best = name
    return best


def check_notice(path: Path, text: str, fields: list[str]) -> Checked:
    """Check the would-be notice at `path` exactly as `broadcaster check` would; spoken text when fine."""
    from broadcaster.notice import notice_from_doc
    from broadcaster.render import prepare

    doc = None
    try:
        doc = yamlsource.load(path, text)
        notice = notice_from_doc(doc)
        prepared = prepare(notice)
    except BadInput as exc:
        return Checked(text, "", tuple(FieldError(_field_of(e, doc, fields), e.message())
                                       for e in getattr(exc, "errors", [exc])))
    return Checked(text, prepared.transcript())


# ---------------------------------------------------------------- saving
_SAVE_LOCK = threading.Lock()  # one server process: a compare-and-write at a time


class Conflict(Exception):
    """The file changed since the form was opened (another browser saved it)."""


def save_text(path: Path, text: str, base_digest: str) -> str:
    """Write `text` atomically unless the file no longer has `base_digest` ('' = must not exist yet)."""
    from broadcaster.fsutil import write_text

    with _SAVE_LOCK:
        if file_digest(path) != base_digest:
            raise Conflict(str(path))
        write_text(path, text)
    return digest(text.encode("utf-8"))


# ---------------------------------------------------------------- schedules
NEW_SCHEDULE = """\
# 播出计划 (written by the broadcaster desk; edit it by hand as well)
timezone: Asia/Shanghai
quiet_hours: ["22:00-06:00"]
channels:
  village: {name: 大喇叭, kind: loudspeaker, sink: auto}
programs: []
"""


def schedule_with(existing: str | None, schedule_path: Path, notice_path: Path, form: dict) -> str:
    """The schedule with one more program for `notice_path` (path written relative to the schedule)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    data = _load_map(existing or NEW_SCHEDULE)
    programs = data.get("programs")
    if not isinstance(programs, CommentedSeq):
        programs = CommentedSeq()
        data["programs"] = programs
    program = CommentedMap()
    program["notice"] = os.path.relpath(notice_path, schedule_path.parent).replace(os.sep, "/")
    channel = str(form.get("channel") or "").strip()
    if channel:
        program["channel"] = channel
    dates = str(form.get("dates") or "").strip()
    if dates:
        program["dates"] = _scalar(dates)
    times = [t.strip() for t in re.split(r"[,，、\s]+", str(form.get("times") or "")) if t.strip()]
    if times:
        seq = CommentedSeq(_scalar(t) for t in times)
        seq.fa.set_flow_style()
        program["times"] = seq
    priority = str(form.get("priority") or "").strip()
    if priority and priority != "normal":
        program["priority"] = priority
    programs.append(program)
    if len(programs) == 1:
        programs.fa.set_block_style()
    return _dump(data)


def check_schedule(path: Path, text: str, fields: list[str]) -> Checked:
    """Check a would-be schedule as `broadcaster check` does (its notices must load and fill in)."""
    from broadcaster.schedule.load import schedule_from_doc
    from broadcaster.schedule.media import check_notices

    doc = None
    try:
        doc = yamlsource.load(path, text)
        check_notices(schedule_from_doc(doc))
    except BadInput as exc:
        return Checked(text, "", tuple(FieldError(_field_of(e, doc, fields), e.message())
                                       for e in getattr(exc, "errors", [exc])))
    return Checked(text)


@dataclass(frozen=True)
class TemplateForm:
    name: str
    title: str
    description: str
    fields: tuple = field(default_factory=tuple)  # (name, label, example, required)


def template_forms() -> list[TemplateForm]:
    """The built-in templates' variables as form fields, with their Chinese meanings and examples."""
    from broadcaster.script import builtin_templates

    forms = []
    for t in builtin_templates():
        rows = []
        for required, items in ((True, t.required), (False, t.optional)):
            for name, meaning in items.items():
                label, _sep, example = str(meaning).partition("，如 ")
                rows.append((name, label or name, example, required))
        forms.append(TemplateForm(t.name, t.title, t.description, tuple(rows)))
    return forms
