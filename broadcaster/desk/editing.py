"""The desk's edits as YAML text: forms -> the file they would write, checked by the same loaders as
`broadcaster check`, with each mistake placed at the form field it came from.

Edits go through ruamel.yaml's round trip, so the comments and order of a file written by hand
stay as they were. Nothing here decides what is valid: the notice and schedule loaders do.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml as pyyaml

from broadcaster import yamlsource
from broadcaster.errors import BadInput, EditConflict
from broadcaster.fsutil import write_bytes
from broadcaster.i18n import _
from broadcaster.notice import FOLDER_FILES, notice_from_doc
from broadcaster.player import check as player_check
from broadcaster.examine import prepare
from broadcaster.schedule.load import is_schedule_data
from broadcaster.script import builtin_templates
from broadcaster.vocabulary import DEFAULT_QUIET_HOURS, TIMEZONE

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
    cause: BadInput | None = field(default=None, compare=False)  # the loader's error (desk/formwords.py words it)


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


@dataclass(frozen=True)
class Source:
    """A YAML file the desk is about to edit, as it is on disk."""

    text: str | None = None   # None: the file does not exist yet
    encoding: str = "utf-8"   # written back in the encoding it has (a GBK file stays GBK)
    digest: str = ""          # of its bytes; '' for a new file


def read_source(path: Path) -> Source:
    """The file as the project's loaders read it (GBK, UTF-16, BOM, the size cap); BadInput when unreadable."""
    if not os.path.lexists(path):
        return Source()
    read = yamlsource.read_file(path, yamlsource.MAX_YAML_BYTES)
    return Source(read.text, read.encoding, digest(read.data))


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, '' when it does not exist (a new file)."""
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return ""


def relative(folder: Path, path: Path) -> str:
    return path.resolve().relative_to(folder.resolve()).as_posix()


def unlisted_folder(parts: tuple[str, ...]) -> bool:
    """Whether the folder with these parts (relative to the desk's) is one the desk does not list:
    hidden, or render output."""
    return any(p.startswith(".") or p in SKIP_DIRS or p.endswith("-audio") for p in parts)


def list_files(folder: Path) -> list[FileEntry]:
    """Every notice, jingle and schedule under `folder` (folder files and output folders skipped)."""
    root = folder.resolve()
    out = []
    for path in sorted(root.rglob("*.yaml")):
        parts = path.relative_to(root).parts
        if path.name in FOLDER_FILES or unlisted_folder(parts[:-1]):
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


def _load_map(path: Path, text: str | None):
    """The file's fields, editable with their comments; an empty map for a new file.

    A file the desk cannot read is refused (BadInput), never replaced: writing the form's fields
    over it would silently drop everything else it holds (comments, priority, voice, repeat...).
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    if text is None or not text.strip():  # a new file, or an empty one: nothing to lose
        return CommentedMap()
    doc = yamlsource.load(path, text)  # the loader's own message and line, as `broadcaster check` prints it
    refusal = doc.error(_("the desk cannot edit this file: it is not a set of fields like `title: ...`"),
                        _("open it in a text editor and fix it (`broadcaster check` shows what is wrong)"))
    if not isinstance(doc.data, dict):
        raise refusal
    try:
        data = _yaml().load(text)
    except YAMLError:  # the loader (YAML 1.1) read it but ruamel (1.2) cannot: still not ours to overwrite
        raise refusal from None
    if not isinstance(data, CommentedMap):
        raise refusal
    return data


def _dump(data) -> str:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    return buf.getvalue()


def notice_yaml(path: Path, existing: str | None, form: dict) -> str:
    """The notice file the form describes, as an edit of `existing` (its comments kept).

    BadInput when `existing` (the file at `path`) cannot be read: the form is then not applied.

    form: title, voice, repeat, and either template + vars or text (the id stays the file's). An
    empty field is left out, so the loader reports it (e.g. a missing variable) just as it would for a hand-written file.
    """
    from ruamel.yaml.comments import CommentedMap

    data = _load_map(path, existing)

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


def _field_name(keys: tuple) -> str:
    """The form field of a key path: ("vars", "end") -> vars.end, ("programs", 2, "times", 0) -> times."""
    if not keys:
        return ""
    if keys[0] == "vars":
        return ".".join(str(k) for k in keys[:2])
    if keys[0] == "programs" and len(keys) >= 3:
        return str(keys[2])
    return str(keys[0])


def _field_of(exc: BadInput, doc, fields: list[str]) -> str:
    """The form field a loader error belongs to: the one of the key it carries, else the key on its line."""
    if exc.key:
        name = _field_name(exc.key)
        return name if name in fields else ""
    if doc is None or exc.line is None:
        return ""
    best = ""  # an error without a key (e.g. a value YAML cannot build): the field written on its line
    for keys, line in doc.lines.items():
        name = _field_name(keys)
        if line == exc.line and name in fields and len(name) >= len(best):
            best = name
    return best


def _checked(path: Path, text: str, fields: list[str], check: Callable[[yamlsource.YamlDoc], str]) -> Checked:
    """`check(doc)` on the would-be file; its mistakes placed at their form fields."""
    doc = None
    try:
        doc = yamlsource.load(path, text)
        spoken = check(doc)
    except BadInput as exc:
        return Checked(text, "", tuple(FieldError(_field_of(e, doc, fields), e.message(), e) for e in exc.errors))
    return Checked(text, spoken)


def check_notice(path: Path, text: str, fields: list[str]) -> Checked:
    """Check the would-be notice at `path` exactly as `broadcaster check` would; spoken text when fine."""
    return _checked(path, text, fields, lambda doc: prepare(notice_from_doc(doc)).transcript())


def check_fields(path: Path, text: str) -> Checked:
    """The would-be notice's own fields only (no template filled in, no recording read): what can be
    checked before a file it names is written."""
    return _checked(path, text, [], lambda doc: notice_from_doc(doc) and "")


# ---------------------------------------------------------------- saving
_SAVE_LOCK = threading.Lock()  # one server process: a compare-and-write at a time


def save_text(path: Path, text: str, base_digest: str, encoding: str = "utf-8") -> str:
    """Write `text` atomically unless the file no longer has `base_digest` ('' = must not exist yet).

    `encoding`: the one the file had (Source.encoding), so the editor it came from still reads it.
    The digest of the bytes written is returned: the next save's base.
    """
    data = text.encode(encoding)
    with _SAVE_LOCK:
        if file_digest(path) != base_digest:
            raise EditConflict(str(path))
        write_bytes(path, data)
    return digest(data)


# ---------------------------------------------------------------- schedules
NEW_SCHEDULE = f"""\
# 播出计划 (written by the broadcaster desk; edit it by hand as well)
timezone: {TIMEZONE}
quiet_hours: {json.dumps(list(DEFAULT_QUIET_HOURS))}
channels:
  village: {{name: 大喇叭, kind: loudspeaker, sink: auto}}
programs: []
"""


def schedule_with(existing: str | None, schedule_path: Path, notice_path: Path, form: dict) -> str:
    """The schedule with one more rule (an item of `programs:`) for `notice_path` (path written relative to it).

    BadInput when `existing` cannot be read: it is not replaced by a new schedule.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    data = _load_map(schedule_path, existing if existing and existing.strip() else NEW_SCHEDULE)
    rules = data.get("programs")
    if not isinstance(rules, CommentedSeq):
        rules = CommentedSeq()
        data["programs"] = rules
    rule = CommentedMap()
    rule["notice"] = os.path.relpath(notice_path, schedule_path.parent).replace(os.sep, "/")
    channel = str(form.get("channel") or "").strip()
    if channel:
        rule["channel"] = channel
    dates = form.get("dates")
    if isinstance(dates, list):  # several single days
        days = CommentedSeq(_scalar(str(d)) for d in dates)
        days.fa.set_flow_style()
        rule["dates"] = days
    elif str(dates or "").strip():
        rule["dates"] = _scalar(str(dates).strip())
    given = form.get("times")
    times = [str(t).strip() for t in (given if isinstance(given, list) else re.split(r"[,，、\s]+", str(given or "")))
             if str(t).strip()]
    if times:
        seq = CommentedSeq(_scalar(t) for t in times)
        seq.fa.set_flow_style()
        rule["times"] = seq
    priority = str(form.get("priority") or "").strip()
    if priority and priority != "normal":
        rule["priority"] = priority
    rules.append(rule)
    if len(rules) == 1:
        rules.fa.set_block_style()
    return _dump(data)


def check_schedule(path: Path, text: str, fields: list[str]) -> Checked:
    """Check a would-be schedule as `broadcaster check` does (its sinks, and its notices load and fill in)."""
    def whole(doc) -> str:
        player_check.check_schedule(path, text)
        return ""
    return _checked(path, text, fields, whole)


@dataclass(frozen=True)
class TemplateForm:
    name: str
    title: str
    description: str
    fields: tuple = field(default_factory=tuple)  # (name, label, example, required)


def template_forms() -> list[TemplateForm]:
    """The built-in templates' variables as form fields, with their Chinese meanings and examples."""
    forms = []
    for t in builtin_templates():
        rows = []
        for required, items in ((True, t.required), (False, t.optional)):
            for name, meaning in items.items():
                label, _sep, example = str(meaning).partition("，如 ")
                rows.append((name, label or name, example, required))
        forms.append(TemplateForm(t.name, t.title, t.description, tuple(rows)))
    return forms
