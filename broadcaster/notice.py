"""YAML files -> Notice values (notices and jingles), every error with file and line."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broadcaster import yamlsource, yamlsyntax
from broadcaster.engine_specs import ENGINE_CHOICES
from broadcaster.errors import BadInput, InputWarning, raise_all
from broadcaster.i18n import N_, _
from broadcaster.speech.romanize import ascii_name
from broadcaster.vocabulary import CLOCK_FIX, CLOCKS, HAN, JINGLE_FORMS, PRIORITIES
from broadcaster.yamlsource import YamlDoc

ID_RE = re.compile(r"\A[a-z0-9_-]+\Z")  # \Z, not $: "$" also matches before a final newline


def id_like(text: str, fallback: str) -> str:
    """`text` made into an id (lower case, runs of other characters a dash): what an error suggests."""
    return re.sub(r"[^a-z0-9_-]+", "-", text.lower()).strip("-") or fallback
ENGINES = ENGINE_CHOICES  # "auto" and every engine of the registry (engine_specs.py)
# Files that live beside notices but are not notices (render/check skip them by name).
FOLDER_FILES = ("lexicon.yaml", "defaults.yaml")

# field -> (python types accepted, what to write); shared by notices and jingles. The hints are
# shown as "write {hint}", translated where shown; {choices} is filled in then.
COMMON_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "id": ((str,), N_("letters a-z, digits, - and _, e.g. hesuan-round8")),
    "kind": ((str,), N_("notice or jingle")),
    "title": ((str,), N_("a short title, e.g. 第八轮全员核酸检测通知")),
    "voice": ((str,), N_("a voice profile name from `broadcaster voices`")),
    "repeat": ((int,), N_("a whole number from 1 to 10")),
    "vars": ((dict,), N_("one variable a line below it, e.g. `vars:` then `  village: 宏福苑社区`")),
    "engine": ((str,), N_("one of {choices}")),
    "priority": ((str,), N_("one of {choices}")),
    "emphasis": ((list, str), N_("the sentences to read again, one a line, each after `- `")),
    "lead": ((bool, str), N_("true, false, or the opening line to use")),
    "chime": ((bool,), N_("true or false")),
    "closing_chime": ((bool,), N_("true or false")),
    "music": ((str,), N_("the name of a music file in this notice's folder")),
    "gap": ((int, float), N_("seconds between readings, e.g. 1.5")),
    "alternate": ((list,), N_("the voice profiles the readings take turns in, e.g. [mandarin, sichuan_chongqing]")),
    "accent": ((str, bool), N_("an accent's name, e.g. chuanyu, or false for none")),
    "clock": ((int,), N_("12 (下午五点, the default) or 24 (十七点)")),
}
NOTICE_FIELDS = {**COMMON_FIELDS,
                 "template": ((str,), N_("a built-in template name or the name of a .j2 file")),
                 "text": ((str,), N_("the text to read, e.g. text: 各位村民请注意……")),
                 "recording": ((str,), N_("the name of an audio file in this notice's folder, e.g. 录音/停水.m4a")),
                 "parts": ((list,), N_("the parts in order, one a line, each `- recording: 喊话.m4a` or "
                                       "`- say: 各位村民请注意……`"))}
PART_FIELDS = ("recording", "say", "text")
JINGLE_FIELDS = {**COMMON_FIELDS,
                 "form": ((str,), N_("one of {choices}")),
                 "lines": ((list,), N_("the lines, one a line, each after `- `"))}
FIELD_CHOICES = {"engine": ENGINES, "priority": PRIORITIES, "form": JINGLE_FORMS}
# Field names an official may write in Chinese -> the field meant ("标题: …" -> did you mean 'title'?)
CHINESE_KEYS = {"标题": "title", "题目": "title", "正文": "text", "内容": "text", "文字": "text", "通知": "text",
                "模板": "template", "变量": "vars", "声音": "voice", "语音": "voice", "口音": "accent",
                "方言": "voice", "重复": "repeat", "遍数": "repeat", "次数": "repeat", "优先级": "priority",
                "引擎": "engine", "编号": "id", "类型": "kind", "格式": "form", "句子": "lines", "音乐": "music",
                "重点": "emphasis", "强调": "emphasis", "间隔": "gap", "停顿": "gap", "录音": "recording",
                "分段": "parts", "段落": "parts", "部分": "parts", "轮流": "alternate", "交替": "alternate"}


@dataclass(frozen=True)
class Part:
    """One item of a notice's `parts:`: a recording (with what is said in it, when written) or text to say."""

    recording: str | None = None
    say: str | None = None
    text: str | None = None  # what the recording says, as the official writes it


@dataclass(frozen=True)
class Alternate:
    """One item of `alternate:`, the voices a notice's readings take turns in: a voice profile (with an
    accent for it, if given: None the profile's own, "" none), or an official's own recording (with what
    is said in it, when written)."""

    voice: str | None = None
    accent: str | None = None
    recording: str | None = None
    text: str | None = None

    @property
    def key(self) -> str:
        """Names this voice among a notice's voices (the same profile may come with another accent)."""
        if self.recording is not None:
            return f"recording:{self.recording}"
        return self.voice if self.accent is None else f"{self.voice}+{self.accent or 'none'}"


@dataclass(frozen=True)
class Notice:
    """One notice or jingle as written by the user, validated."""

    path: Path
    id: str
    title: str
    kind: str = "notice"            # notice | jingle
    template: str | None = None     # built-in name or path to a .j2 file
    text: str | None = None         # a recording notice: what is said in the recording (optional)
    recording: str | None = None    # an audio file beside the notice, said as it is
    parts: tuple[Part, ...] = ()    # recordings and texts in order (instead of text/template/recording)
    lines: tuple[str, ...] = ()     # jingle lines
    form: str | None = None         # jingle form
    voice: str | None = None        # None: folder default, then mandarin
    repeat: int = 2
    vars: dict = field(default_factory=dict)
    engine: str | None = None
    priority: str = "normal"
    options: dict = field(default_factory=dict)  # program options (lead, chime, gap, ...)
    alternate: tuple[Alternate, ...] = ()  # the readings' voices in turn (empty: every reading in `voice`)
    accent: str | None = None       # the accent of the notice's voice: None the profile's, "" none
    doc: YamlDoc | None = field(default=None, compare=False, repr=False)
    warnings: tuple[InputWarning, ...] = field(default=(), compare=False, repr=False)  # said, never stopping
    id_from: str = "id"             # where the id came from: id (written), file (its name), title

    def error(self, what: str, fix: str = "", *keys: Any) -> BadInput:
        """A BadInput placed at a key of this notice's file."""
        if self.doc is None:
            return BadInput(what, fix, self.path)
        return self.doc.error(what, fix, *keys)

    def id_clash(self, other: Path) -> BadInput:
        """This notice's id is another file's too: two programs would be one audio file (and one slot).

        Said where the id comes from, so that an official who never wrote an id knows what to add."""
        if self.id_from == "id":
            return self.error(_("id '{id}' is also used by {other}").format(id=self.id, other=other),
                              _("give each notice its own id"), "id")
        what = (_("the id '{id}', made from the title, is also used by {other}") if self.id_from == "title"
                else _("the id '{id}', made from the file name, is also used by {other}"))
        return self.error(what.format(id=self.id, other=other),
                          _("give this notice an id of its own: add a line `id: {suggestion}`").format(
                              suggestion=f"{self.id}-2"), "title" if self.id_from == "title" else ())


def load_notice(path: str | Path) -> Notice:
    """Load and validate one notice or jingle file."""
    doc = yamlsource.load(path)
    return notice_from_doc(doc)


def load_jingle(path: str | Path) -> Notice:
    """Load a file that must be a jingle (`jingle check`, the desk's jingle page)."""
    notice = load_notice(path)
    if notice.kind != "jingle":
        raise notice.error(_("this file is a notice, not a jingle"), _("add `kind: jingle`, `form:` and `lines:`"),
                           "kind")
    return notice


# Caps on what a person writes: a notice read slowly runs about 4 characters a second, so 10,000
# characters is some forty minutes of speech; anything longer is a pasted file, not a notice.
MAX_TEXT = 10_000
MAX_TITLE = 200
MAX_VAR = 500
MAX_LINE = 500       # a jingle line or an emphasized sentence
MAX_ITEMS = 200      # jingle lines, emphasis items, variables


def notice_from_doc(doc: YamlDoc, defaults: dict | None = None) -> Notice:
    """Validate a loaded file; independent mistakes are reported together (BadInputs)."""
    notice, problems = read_notice(doc, defaults)
    raise_all(problems)
    return notice


def read_notice(doc: YamlDoc, defaults: dict | None = None) -> tuple[Notice, list[BadInput]]:
    """The notice as far as its mistakes allow, and the mistakes (all of them, not the first).

    With mistakes the Notice is a stand-in for looking further (the template filled, the times and
    dates read), never for rendering: a field in error takes its default, a variable in error is
    empty, and with neither or both of template and text there is nothing to fill. A file that is not
    a set of fields, or of an unknown kind, raises at once: there is nothing to look further into.
    """
    data = doc.data
    if isinstance(data, list):
        raise doc.error(_("the file is a list of items, but a notice is one set of fields"),
                        _("remove the leading '- ' so the fields start at the line's beginning"))
    if not isinstance(data, dict):
        raise doc.error(_("the file holds only one value, not the fields of a notice"),
                        _("write fields like `title: ...` and `text: ...`, one a line"))
    kind = data.get("kind", "notice")
    if not isinstance(kind, str):
        raise doc.error(_("'{name}' has the wrong kind of value ({kind})").format(name="kind", kind=_kind_name(kind)),
                        _("use kind: notice or kind: jingle"), "kind")
    if kind not in ("notice", "jingle"):
        raise doc.error(_("unknown kind '{kind}'").format(kind=kind), _("use kind: notice or kind: jingle"), "kind")
    fields = JINGLE_FIELDS if kind == "jingle" else NOTICE_FIELDS
    problems, warnings = yamlsource.comment_problems(doc, _comment_kind)
    problems += [_text_goes_on(doc, e) for e in yamlsource.unknown_keys(doc, data, fields, what="field",
                                                                       synonyms=CHINESE_KEYS)]
    cut = {e.key for e in problems}  # a field a comment cut short: its other complaints follow from that
    data = {k: v for k, v in data.items() if k in fields}
    if isinstance(data.get("id"), int) and not isinstance(data["id"], bool):
        data["id"] = doc.raw.get(("id",), str(data["id"]))  # id: 2022 is a fine id
    for name, value in list(data.items()):
        types, hint = fields[name]
        ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
        if not ok and str in types and isinstance(value, (int, float)) and name in ("title", "text"):
            ok = True  # a title like 2022 is still text
        if not ok:
            hint = _("write {hint}").format(hint=_(hint).format(choices=", ".join(FIELD_CHOICES.get(name, ()))))
            what = (_("'{name}' has no value").format(name=name) if value is None else
                    _("'{name}' has the wrong kind of value ({kind})").format(name=name, kind=_kind_name(value)))
            if (name,) not in cut:
                problems.append(doc.error(what, hint, name))
            del data[name]  # checked no further; the other fields still are
    defaults = defaults if defaults is not None else folder_defaults(doc.path)

    def attempt(check, *args):
        """Run one independent check, keeping its error for the report instead of stopping."""
        try:
            return check(*args)
        except BadInput as exc:
            problems.append(exc)
            return None

    title = attempt(_title, doc, data)
    nid, id_from = attempt(_id, doc, data, title or "") or (_stand_in_id(doc), "id")
    # no title: the id stands in, or a Chinese file name (停水通知.yaml) rather than its pinyin
    default_title = doc.path.stem if id_from == "file" and nid != doc.path.stem.lower() else nid
    alternate = attempt(_alternate, doc, data) or ()
    accent = attempt(_accent, doc, data.get("accent"), ("accent",))
    repeat = attempt(_repeat, doc, data, defaults, len(alternate)) or 2
    engine = attempt(_one_of, doc, data, "engine", ENGINES, defaults.get("engine"), N_("unknown engine '{value}'"))
    priority = attempt(_one_of, doc, data, "priority", PRIORITIES, "normal", N_("unknown priority '{value}'")) or "normal"
    attempt(_gap, doc, data)
    attempt(_clock, doc, data)
    variables = _vars(doc, data.get("vars", {}), problems, cut)
    options = {k: data[k] for k in ("emphasis", "lead", "chime", "closing_chime", "music", "gap", "clock")
               if k in data}
    if isinstance(options.get("emphasis"), str):
        options["emphasis"] = [options["emphasis"]]
    attempt(_sizes, doc, options.get("emphasis") or [], "emphasis", N_("emphasized sentence"))

    if kind == "jingle":
        lines = attempt(_jingle_lines, doc, data) or []
        form = data.get("form")
        if form is not None and form not in JINGLE_FORMS:
            problems.append(doc.error(_("unknown jingle form '{form}'").format(form=form),
                                      _choices(form, JINGLE_FORMS), "form"))
        return Notice(path=doc.path, id=nid, title=title or default_title, kind="jingle",
                      lines=tuple(line.strip() for line in lines if isinstance(line, str)), form=form,
                      voice=data.get("voice", defaults.get("voice")), repeat=repeat,
                      vars=variables, engine=engine, priority=priority, options=options, alternate=alternate,
                      accent=accent, doc=doc, id_from=id_from, warnings=tuple(warnings)), problems

    has_template, has_text = "template" in doc.data, "text" in doc.data
    text = data.get("text")
    recording, parts = data.get("recording"), ()

    def text_ok() -> bool:
        """`text:` checked; False when it is empty or far too long: nothing to look further into."""
        before = len(problems)
        attempt(_text, doc, text)
        return len(problems) == before

    if "parts" in doc.data:
        for other in ("template", "text", "recording"):
            if other in doc.data:
                problems.append(doc.error(_("both 'parts' and '{other}' are given").format(other=other),
                                          _("a notice with parts says everything in its parts: move it into a "
                                            "part (`- say: ...` or `- recording: ...`)"), other))
        parts = attempt(_parts, doc, data) if "parts" in data else ()
    elif "recording" in doc.data:
        if has_template:
            problems.append(doc.error(_("both 'recording' and 'template' are given"),
                                      _("a recording needs no template: write what is said in it under `text:`, "
                                        "or leave that out"), "template"))
        if "recording" in data:
            attempt(_file_name, doc, data["recording"], ("recording",))
        if has_text and "text" in data and not text_ok():
            text = None
    elif has_template == has_text:
        what = (_("both 'template' and 'text' are given") if has_text
                else _("neither 'template' nor 'text' is given"))
        problems.append(doc.error(what, _("give exactly one: a template name (see `broadcaster templates`) or "
                                          "the text itself"), "template" if has_template else "text"))
    elif has_text and "text" in data and not text_ok():
        text = None
    # with mistakes, what is left to fill in: with both or neither of template and text, nothing
    nothing = has_template == has_text and "parts" not in doc.data and "recording" not in doc.data
    template = None if nothing or "parts" in doc.data or "recording" in doc.data else data.get("template")
    text = None if text is None or nothing or "parts" in doc.data else str(text)
    return Notice(path=doc.path, id=nid, title=title or default_title, template=template, text=text,
                  recording=recording, parts=parts or (), voice=data.get("voice", defaults.get("voice")),
                  repeat=repeat, vars=variables, engine=engine, priority=priority, options=options,
                  alternate=alternate, accent=accent, doc=doc, id_from=id_from, warnings=tuple(warnings)), problems


# Fields whose values are words (read out, or shown as the title): a comment after one is lost text.
PROSE_FIELDS = ("text", "title", "lead", "emphasis", "lines")


# a variable that is a number, a time or a date (8, "8:00", 10月27日): a note after it is a note
_NUMBER_RE = re.compile(r"(?=.*\d)[\d\s:：.,/+\-年月日号点时分秒半整]+")


def _comment_kind(key: tuple, value: str) -> str | None:
    """How a ` #` comment after the value at `key` is taken (yamlsource.comment_problems)."""
    if key[:1] == ("parts",):  # `- say: …` and what a recording says are words; a file name is not
        return yamlsource.FREE_TEXT if key[-1] in ("say", "text") else None
    if not key or key[0] not in (*PROSE_FIELDS, "vars") or value in ("true", "false"):
        return None  # id, repeat, voice, priority, recording, lead: false...: `repeat: 2  # 念两遍` is a note
    if key[0] == "vars" and _NUMBER_RE.fullmatch(value):
        return yamlsource.NAME_OR_NUMBER
    return yamlsource.FREE_TEXT


def _text_goes_on(doc: YamlDoc, error: BadInput) -> BadInput:
    """An unknown field with Chinese words right after a line of text (`text: 明天停水` then
    `后天来电: 八点` at the start of the next line) is the text going on, not indented."""
    name = error.key[-1] if error.key else None
    if not isinstance(name, str) or name in CHINESE_KEYS or not HAN.search(name):
        return error
    line = doc.line(name)
    before = [(doc.line(k), k) for k in doc.data if isinstance(k, str) and (doc.line(k) or 0) < (line or 0)]
    if not before:
        return error
    first, prose = max(before)
    value = doc.data.get(prose)
    if prose not in ("text", "title", "lead") or not isinstance(value, str):
        return error
    source = doc.source.splitlines()
    words = [w.strip() for w in value.splitlines()] + [source[line - 1].strip()] if line else []
    what, fix = yamlsyntax.unindented_text(prose, first, words)
    return BadInput(what, fix, doc.path, line, (prose,))


def _stand_in_id(doc: YamlDoc) -> str:
    """An id to look further into a notice whose own id is in error (never rendered)."""
    return id_like(doc.path.stem, "notice")


def _file_name(doc: YamlDoc, name: str, key: tuple) -> None:
    if not name.strip():
        raise doc.error(_("'{name}' is empty").format(name=key[-1]),
                        _("write the name of the audio file, e.g. 录音/停水.m4a"), *key)


def _parts(doc: YamlDoc, data: dict) -> tuple[Part, ...]:
    """`parts:`: each a mapping with `recording:` (and `text:`, what is said in it) or `say:`."""
    items = data["parts"]
    if not items:
        raise doc.error(_("'parts' is empty"), _("list the parts in order, one a line, each `- recording: 喊话.m4a` "
                                                 "or `- say: ...`"), "parts")
    if len(items) > MAX_ITEMS:
        raise doc.error(_("too many items under '{key}' ({n}; at most {limit})").format(
            key="parts", n=len(items), limit=MAX_ITEMS), _("keep the ones that matter"), "parts")
    out, problems = [], []
    for i, item in enumerate(items):
        try:
            out.append(_part(doc, item, i))
        except BadInput as exc:
            problems.append(exc)
    raise_all(problems)
    return tuple(out)


def _part(doc: YamlDoc, item: Any, i: int) -> Part:
    fix = _("write `- recording: 喊话.m4a` (an audio file in this folder) or `- say: ...` (text to read)")
    if not isinstance(item, dict):
        raise doc.error(_("part {n} is neither a recording nor text to say").format(n=i + 1), fix, "parts", i)
    raise_all(yamlsource.unknown_keys(doc, item, PART_FIELDS, ("parts", i), what="field"))
    kinds = [k for k in ("recording", "say") if k in item]
    if len(kinds) != 1:
        what = (_("part {n} has both 'recording' and 'say'") if kinds
                else _("part {n} is neither a recording nor text to say")).format(n=i + 1)
        raise doc.error(what, fix, "parts", i)
    for key in ("recording", "say", "text"):
        if key in item and (not isinstance(item[key], (str, int, float)) or isinstance(item[key], bool)
                            or not str(item[key]).strip()):
            raise doc.error(_("'{name}' of part {n} is not text").format(name=key, n=i + 1), fix, "parts", i, key)
    if "say" in item and "text" in item:
        raise doc.error(_("part {n} has 'text' beside 'say'").format(n=i + 1),
                        _("`text:` tells what a recording says; a `say:` part is its own text: remove `text:`"),
                        "parts", i, "text")
    for key in ("say", "text"):
        if key in item and len(str(item[key])) > MAX_TEXT:
            raise doc.error(_("the text is too long ({n} characters; at most {limit})").format(
                n=len(str(item[key])), limit=MAX_TEXT), _("split it into several notices"), "parts", i, key)
    as_text = {k: None if item.get(k) is None else str(item[k]) for k in PART_FIELDS}
    return Part(**as_text)


def _id(doc: YamlDoc, data: dict, title: str) -> tuple[str, str]:
    """The id and where it came from: `id:` as written; else the file name when it is one (hesuan.yaml);
    else the title's pinyin, else the file name's (停水通知.yaml -> tingshui-tongzhi)."""
    nid = data.get("id")
    if nid is None:
        stem = doc.path.stem
        if ID_RE.match(stem.lower()):
            return stem.lower(), "file"
        for text, source in ((title, "title"), (stem, "file")):
            derived = ascii_name(text)
            if derived:
                return derived, source
        raise doc.error(_("the file name '{name}' cannot be used as an id").format(name=stem),
                        _("add a line `id: ...` using a-z, 0-9, - and _ (e.g. id: hesuan-round8)"))
    elif not ID_RE.match(nid):
        suggestion = id_like(nid, "notice-1")
        raise doc.error(_("id '{id}' may use only a-z, 0-9, - and _").format(id=nid),
                        _("for example `id: {suggestion}`").format(suggestion=suggestion), "id")
    return nid, "id"


def _repeat(doc: YamlDoc, data: dict, defaults: dict, voices: int = 0) -> int:
    repeat = data.get("repeat", defaults.get("repeat", 2))
    if not 1 <= repeat <= 10:
        raise doc.error(_("repeat {n} is out of range").format(n=repeat), _("use a whole number from 1 to 10"),
                        "repeat")
    if voices > repeat:
        if "repeat" not in data:
            return voices  # every voice of `alternate:` reads once at least
        raise doc.error(_("repeat {n} is fewer readings than the {voices} voices under 'alternate'").format(
            n=repeat, voices=voices), _("write repeat: {voices} or more").format(voices=voices), "repeat")
    return repeat


ALTERNATE_FIX = N_("write the voice profiles one a line, e.g. `- mandarin` then `- sichuan_chongqing`, "
                   "or `- {voice: shaanxi, accent: guanzhong}`, or your own recording `- {recording: 川渝话.m4a}`")


def _alternate(doc: YamlDoc, data: dict) -> tuple[Alternate, ...]:
    """`alternate:` — the voices the readings take turns in. Each item is a voice profile's name, a
    mapping with `voice` (and `accent`), or an official's own recording `{recording: …, text: …}`, which
    is that reading's audio. Only a notice written as text (or a template) or a jingle alternates."""
    items = data.get("alternate")
    if items is None:
        return ()
    for other in ("recording", "parts"):
        if other in doc.data:
            raise doc.error(_("both 'alternate' and '{other}' are given").format(other=other),
                            _("a notice that alternates is written as text or a template: put a recording "
                              "among the voices instead, `- {recording: 喊话.m4a}`"), "alternate")
    if len(items) < 2:
        raise doc.error(_("'alternate' needs two voices or more"), _(ALTERNATE_FIX), "alternate")
    if len(items) > 10:
        raise doc.error(_("too many items under '{key}' ({n}; at most {limit})").format(key="alternate",
                        n=len(items), limit=10), _("keep the ones that matter"), "alternate")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, str) and item.strip():
            out.append(Alternate(item.strip()))
        elif isinstance(item, dict) and isinstance(item.get("voice"), str) and set(item) <= {"voice", "accent"}:
            out.append(Alternate(item["voice"], _accent(doc, item.get("accent"), ("alternate", i, "accent"))))
        elif (isinstance(item, dict) and isinstance(item.get("recording"), str) and set(item) <= {"recording", "text"}
              and isinstance(item.get("text", ""), (str, int, float))):
            if data.get("kind") == "jingle":  # a jingle's readings keep its beat grid: voices only
                raise doc.error(_("a jingle's readings are voices, not recordings"),
                                _("record the whole jingle as a notice (`recording:`), or write a voice here, "
                                  "e.g. `- sichuan_chongqing`"), "alternate", i)
            _file_name(doc, item["recording"], ("alternate", i, "recording"))
            text = item.get("text")
            out.append(Alternate(recording=item["recording"], text=None if text is None else str(text)))
        else:
            raise doc.error(_("item {n} under 'alternate' is not a voice").format(n=i + 1), _(ALTERNATE_FIX),
                            "alternate", i)
    return tuple(out)


def _accent(doc: YamlDoc, value: Any, key: tuple) -> str | None:
    """An accent's name, "" for none (false, none), None when not given (the voice profile's own)."""
    if value is None:
        return None
    if value is False or value == "none":
        return ""
    if value is True or not isinstance(value, str) or not value.strip():
        raise doc.error(_("'{name}' has the wrong kind of value ({kind})").format(name="accent", kind=_kind_name(value)),
                        _("write {hint}").format(hint=_(COMMON_FIELDS["accent"][1])), *key)
    return value.strip()


def _one_of(doc: YamlDoc, data: dict, name: str, choices: tuple[str, ...], default: str | None,
            what: str) -> str | None:
    value = data.get(name, default)
    if value is not None and value not in choices:
        raise doc.error(_(what).format(value=value), _choices(value, choices), name)
    return value


def _gap(doc: YamlDoc, data: dict) -> None:
    gap = data.get("gap")
    if gap is not None and not 0 <= gap <= 30:
        raise doc.error(_("gap {n} is out of range").format(n=gap), _("use seconds from 0 to 30"), "gap")


def _clock(doc: YamlDoc, data: dict) -> None:
    """`clock: 24` reads times as 十七点 instead of 下午五点 (speech/voices.clock_setting)."""
    value = data.get("clock", 12)
    if isinstance(value, bool) or value not in CLOCKS:
        raise doc.error(_("clock {value} is not 12 or 24").format(value=value), _(CLOCK_FIX), "clock")


def _title(doc: YamlDoc, data: dict) -> str:
    title = str(data.get("title", "")).strip()
    if len(title) > MAX_TITLE:
        raise doc.error(_("the title is too long ({n} characters; at most {limit})").format(
            n=len(title), limit=MAX_TITLE), _("keep it to one short line"), "title")
    return title


def _text(doc: YamlDoc, text: Any) -> None:
    if not str(text).strip():
        raise doc.error(_("'text' is empty"), _("write what should be read out"), "text")
    if len(str(text)) > MAX_TEXT:
        raise doc.error(_("the text is too long ({n} characters; at most {limit})").format(
            n=len(str(text)), limit=MAX_TEXT), _("split it into several notices"), "text")


def _jingle_lines(doc: YamlDoc, data: dict) -> list:
    lines = data.get("lines")
    if not lines:
        raise doc.error(_("a jingle needs its lines"), _("add `lines:` and below it one line of the jingle "
                                                         "a line, each after `- `"),
                        "lines" if "lines" in data else ("form" if "form" in data else ()))
    for i, line in enumerate(lines):
        if not isinstance(line, str) or not line.strip():
            raise doc.error(_("line {n} of the jingle is not text").format(n=i + 1),
                            _("write each line as text after `- `"), "lines", i)
    _sizes(doc, lines, "lines", N_("jingle line"))
    return lines


def _sizes(doc: YamlDoc, items: list, key: str, what: str) -> None:
    """Refuse too many items, or an item too long to be one sentence."""
    if len(items) > MAX_ITEMS:
        raise doc.error(_("too many items under '{key}' ({n}; at most {limit})").format(
            key=key, n=len(items), limit=MAX_ITEMS), _("keep the ones that matter"), key)
    for i, item in enumerate(items):
        if isinstance(item, str) and len(item) > MAX_LINE:
            raise doc.error(_("{what} {i} is too long ({n} characters; at most {limit})").format(
                what=_(what), i=i + 1, n=len(item), limit=MAX_LINE), _("split it into shorter sentences"),
                key, i)


def _vars(doc: YamlDoc, raw_vars: dict, problems: list[BadInput], cut: set = frozenset()) -> dict:
    """Template variables as text exactly as written (YAML would turn 8:00 into 480).

    Mistakes go to `problems`; a variable in error is empty (so it is not also reported missing)."""
    out: dict = {}
    if len(raw_vars) > MAX_ITEMS:
        problems.append(doc.error(_("too many items under '{key}' ({n}; at most {limit})").format(
            key="vars", n=len(raw_vars), limit=MAX_ITEMS), _("keep the ones that matter"), "vars"))
        return out
    for name, value in raw_vars.items():
        if not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
            problems.append(doc.error(_("variable name '{name}' is not usable in a template").format(name=name),
                                      _("use English letters, digits and _ (e.g. start_time)"), "vars", name))
            continue
        try:
            out[name] = _text_value(doc, ("vars", name), value)
        except BadInput as exc:
            if exc.key not in cut:  # `place: #3号楼`: the comment's message says it
                problems.append(exc)
            out[name] = ""
    return out


def _text_value(doc: YamlDoc, key: tuple, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _text_value(doc, key + (k,), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_value(doc, key + (i,), v) for i, v in enumerate(value)]
    if value is None:
        name = next(k for k in reversed(key) if isinstance(k, str))  # an item of a list: the list's name
        raise doc.error(_("variable '{name}' has no value").format(name=name),
                        _("write its value after the colon"), *key)
    text = doc.raw.get(key, str(value))
    if len(text) > MAX_VAR:
        name = next(k for k in reversed(key) if isinstance(k, str))
        raise doc.error(_("variable '{name}' is too long ({n} characters; at most {limit})").format(
            name=name, n=len(text), limit=MAX_VAR), _("shorten it, or write the long part in the text"), *key)
    return text


def folder_defaults(notice_path: Path) -> dict:
    """`defaults.yaml` beside a notice sets the folder's voice, engine and repeat."""
    path = notice_path.parent / "defaults.yaml"
    if not path.is_file() or path.resolve() == notice_path.resolve():
        return {}
    doc = yamlsource.load(path)
    if not isinstance(doc.data, dict):
        raise doc.error(_("defaults.yaml holds no settings"),
                        _("write one setting a line, e.g. `voice: sichuan_chongqing`"))
    yamlsource.check_keys(doc, doc.data, {"voice", "engine", "repeat"}, what="default")
    repeat = doc.data.get("repeat", 2)  # checked here, at its own line (a notice checks its own `repeat:`)
    if isinstance(repeat, bool) or not isinstance(repeat, int):
        raise doc.error(_("'{name}' has the wrong kind of value ({kind})").format(name="repeat",
                                                                                 kind=_kind_name(repeat)),
                        _("write {hint}").format(hint=_(COMMON_FIELDS["repeat"][1])), "repeat")
    if not 1 <= repeat <= 10:
        raise doc.error(_("repeat {n} is out of range").format(n=repeat), _("use a whole number from 1 to 10"),
                        "repeat")
    return dict(doc.data)


_KIND_NAMES = {dict: N_("several fields"), list: N_("a list"), str: N_("text"), int: N_("a number"),
               float: N_("a decimal number"), bool: N_("true/false")}
_A_DATE = N_("a date")
_NOTHING = N_("nothing")


def _kind_name(value: Any) -> str:
    """What a YAML value is, in plain words: "a list", "text", "several fields"."""
    name = _KIND_NAMES.get(type(value))
    if name is None:
        name = _A_DATE if hasattr(value, "year") else _NOTHING
    return _(name)


def _choices(word: str, choices: tuple[str, ...]) -> str:
    return yamlsource.choices_fix(word, choices)
