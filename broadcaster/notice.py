"""YAML files -> Notice values (notices and jingles), every error with file and line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broadcaster import yamlsource
from broadcaster.errors import BadInput
from broadcaster.yamlsource import YamlDoc

ID_RE = re.compile(r"^[a-z0-9_-]+$")
PRIORITIES = ("background", "normal", "urgent", "emergency")
JINGLE_FORMS = ("三三七", "三句半", "七言", "快板")
ENGINES = ("auto", "espeak", "neural", "kokoro", "edge")
# Files that live beside notices but are not notices (render/check skip them by name).
FOLDER_FILES = ("lexicon.yaml", "defaults.yaml")

# field -> (python types accepted, what to write); shared by notices and jingles
COMMON_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "id": ((str,), "letters a-z, digits, - and _, e.g. hesuan-round8"),
    "kind": ((str,), "notice or jingle"),
    "title": ((str,), "a short title, e.g. 第八轮全员核酸检测通知"),
    "voice": ((str,), "a voice profile name from `broadcaster voices`"),
    "repeat": ((int,), "a whole number from 1 to 10"),
    "vars": ((dict,), "a mapping, e.g. vars: {village: 宏福苑社区}"),
    "engine": ((str,), "one of " + ", ".join(ENGINES)),
    "priority": ((str,), "one of " + ", ".join(PRIORITIES)),
    "emphasis": ((list, str), "sentences to read again, as a list"),
    "lead": ((bool, str), "true, false, or the opening line to use"),
    "chime": ((bool,), "true or false"),
    "closing_chime": ((bool,), "true or false"),
    "music": ((str,), "a path to a music file, relative to this file"),
    "gap": ((int, float), "seconds between readings, e.g. 1.5"),
}
NOTICE_FIELDS = {**COMMON_FIELDS,
                 "template": ((str,), "a built-in template name or a path to a .j2 file"),
                 "text": ((str,), "the text to read, e.g. text: 各位村民请注意……")}
JINGLE_FIELDS = {**COMMON_FIELDS,
                 "form": ((str,), "one of " + ", ".join(JINGLE_FORMS)),
                 "lines": ((list,), "a list of lines, one string each")}


@dataclass(frozen=True)
class Notice:
    """One notice or jingle as written by the user, validated."""

    path: Path
    id: str
    title: str
    kind: str = "notice"            # notice | jingle
    template: str | None = None     # built-in name or path to a .j2 file
    text: str | None = None
    lines: tuple[str, ...] = ()     # jingle lines
    form: str | None = None         # jingle form
    voice: str | None = None        # None: folder default, then mandarin
    repeat: int = 2
    vars: dict = field(default_factory=dict)
    engine: str | None = None
    priority: str = "normal"
    options: dict = field(default_factory=dict)  # program options (lead, chime, gap, ...)
    doc: YamlDoc | None = field(default=None, compare=False, repr=False)

    def error(self, what: str, fix: str = "", *keys: Any) -> BadInput:
        """A BadInput placed at a key of this notice's file."""
        if self.doc is None:
            return BadInput(what, fix, self.path)
        return self.doc.error(what, fix, *keys)


def load_notice(path: str | Path) -> Notice:
    """Load and validate one notice or jingle file."""
    doc = yamlsource.load(path)
    return notice_from_doc(doc)


def notice_from_doc(doc: YamlDoc, defaults: dict | None = None) -> Notice:
    data = doc.data
    if isinstance(data, list):
        raise doc.error("file holds a list, but a notice is one mapping",
                        "remove the leading '- ' so the fields start at the line's beginning")
    if not isinstance(data, dict):
        raise doc.error("file holds a single value, but a notice is a mapping of fields",
                        "write fields like `title: ...` and `text: ...`")
    kind = data.get("kind", "notice")
    if kind not in ("notice", "jingle"):
        raise doc.error(f"unknown kind '{kind}'", "use kind: notice or kind: jingle", "kind")
    fields = JINGLE_FIELDS if kind == "jingle" else NOTICE_FIELDS
    yamlsource.check_keys(doc, data, fields, what="field")
    for name, value in data.items():
        types, hint = fields[name]
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok and str in types and isinstance(value, (int, float)) and name in ("title", "text"):
            ok = True  # a title like 2022 is still text
        if not ok:
            raise doc.error(f"'{name}' has the wrong type ({_type_name(value)})", f"write {hint}", name)
    defaults = defaults if defaults is not None else folder_defaults(doc.path)

    nid = data.get("id")
    if nid is None:
        nid = doc.path.stem.lower()
        if not ID_RE.match(nid):
            raise doc.error(f"the file name '{doc.path.stem}' cannot be used as an id",
                            "add a line `id: ...` using a-z, 0-9, - and _ (e.g. id: hesuan-round8)")
    elif not ID_RE.match(nid):
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", nid.lower()).strip("-") or "notice-1"
        raise doc.error(f"id '{nid}' may use only a-z, 0-9, - and _", f"e.g. id: {suggestion}", "id")

    repeat = data.get("repeat", defaults.get("repeat", 2))
    if not 1 <= repeat <= 10:
        raise doc.error(f"repeat {repeat} is out of range", "use a whole number from 1 to 10", "repeat")
    engine = data.get("engine", defaults.get("engine"))
    if engine is not None and engine not in ENGINES:
        raise doc.error(f"unknown engine '{engine}'", _choices(engine, ENGINES), "engine")
    priority = data.get("priority", "normal")
    if priority not in PRIORITIES:
        raise doc.error(f"unknown priority '{priority}'", _choices(priority, PRIORITIES), "priority")
    gap = data.get("gap")
    if gap is not None and not 0 <= gap <= 30:
        raise doc.error(f"gap {gap} is out of range", "use seconds from 0 to 30", "gap")
    variables = _vars(doc, data.get("vars", {}))
    title = str(data.get("title", "")).strip()
    options = {k: data[k] for k in ("emphasis", "lead", "chime", "closing_chime", "music", "gap")
               if k in data}
    if isinstance(options.get("emphasis"), str):
        options["emphasis"] = [options["emphasis"]]

    if kind == "jingle":
        lines = data.get("lines")
        if not lines:
            raise doc.error("a jingle needs its lines", "add `lines:` with one line per item", "lines"
                            if "lines" in data else ())
        for i, line in enumerate(lines):
            if not isinstance(line, str) or not line.strip():
                raise doc.error(f"line {i + 1} of the jingle is not text", "write each line as text",
                                "lines", i)
        form = data.get("form")
        if form is not None and form not in JINGLE_FORMS:
            raise doc.error(f"unknown jingle form '{form}'", _choices(form, JINGLE_FORMS), "form")
        return Notice(path=doc.path, id=nid, title=title or nid, kind="jingle",
                      lines=tuple(line.strip() for line in lines), form=form,
                      voice=data.get("voice", defaults.get("voice")), repeat=repeat,
                      vars=variables, engine=engine, priority=priority, options=options, doc=doc)

    has_template, has_text = "template" in data, "text" in data
    if has_template == has_text:
        what = "both 'template' and 'text' are given" if has_text else "neither 'template' nor 'text' is given"
        raise doc.error(what, "give exactly one: a template name (see `broadcaster templates`) or the text itself",
                        "template" if has_template else ())
    text = data.get("text")
    if has_text and not str(text).strip():
        raise doc.error("'text' is empty", "write what should be read out", "text")
    return Notice(path=doc.path, id=nid, title=title or nid, template=data.get("template"),
                  text=None if text is None else str(text), voice=data.get("voice", defaults.get("voice")),
                  repeat=repeat, vars=variables, engine=engine, priority=priority,
                  options=options, doc=doc)


def _vars(doc: YamlDoc, raw_vars: dict) -> dict:
    """Template variables as text exactly as written (YAML would turn 8:00 into 480)."""
    out: dict = {}
    for name, value in raw_vars.items():
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            raise doc.error(f"variable name '{name}' is not usable in a template",
                            "use letters, digits and _ (e.g. start_time)", "vars", name)
        out[name] = _text_value(doc, ("vars", name), value)
    return out


def _text_value(doc: YamlDoc, key: tuple, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _text_value(doc, key + (k,), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_value(doc, key + (i,), v) for i, v in enumerate(value)]
    if value is None:
        raise doc.error(f"variable '{key[-1]}' has no value", "write its value after the colon", *key)
    return doc.raw.get(key, str(value))


def folder_defaults(notice_path: Path) -> dict:
    """`defaults.yaml` beside a notice sets the folder's voice, engine and repeat."""
    path = notice_path.parent / "defaults.yaml"
    if not path.is_file() or path.resolve() == notice_path.resolve():
        return {}
    doc = yamlsource.load(path)
    if not isinstance(doc.data, dict):
        raise doc.error("defaults.yaml must be a mapping", "write e.g. `voice: sichuan_chongqing`")
    yamlsource.check_keys(doc, doc.data, {"voice", "engine", "repeat"}, what="default")
    return dict(doc.data)


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false"}.get(type(value), type(value).__name__)


def _choices(word: str, choices: tuple[str, ...]) -> str:
    hint = yamlsource.did_you_mean(word, choices)
    listed = "use one of " + ", ".join(choices)
    return f"{hint} {listed}" if hint else listed
