"""Safe YAML loading that remembers the line of every value, for `path:line:` errors."""
from __future__ import annotations

import difflib
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from broadcaster.errors import BadInput, InputWarning, raise_all
from broadcaster.i18n import N_, _
from broadcaster.yamlsyntax import LOADER, flow_depth, syntax_error

Key = tuple  # path of keys/indexes from the document root


@dataclass(frozen=True)
class YamlDoc:
    """A loaded YAML document: plain data plus the line of every key path."""

    path: Path
    data: Any
    lines: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)  # key path -> scalar text as written
    comments: dict = field(default_factory=dict)  # key path -> Comment cutting that value short
    source: str = field(default="", repr=False, compare=False)  # the file's text, to find a line by its words

    def line(self, *keys: Any) -> int | None:
        """The line of the deepest known key path prefix."""
        keys = tuple(keys)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.lines.get(())

    def error(self, what: str, fix: str = "", *keys: Any) -> BadInput:
        """A BadInput at the line of `keys`, which it keeps (the desk places it at that field)."""
        return BadInput(what, fix, self.path, self.line(*keys), keys)


# A notice is a page of text; a county's schedule a few hundred lines. Anything bigger is a
# mistake (or an attack): PyYAML needed 113 s and 1.7 GB for 50 MB, so refuse before reading.
MAX_YAML_BYTES = 1_000_000
# Real files nest 3-6 levels (schedule > programs > item > rules); deep nesting only serves to
# make the parser recurse (RecursionError) or go quadratic (100k `[`).
MAX_NESTING = 20


def read_text(path: Path, max_bytes: int | None = None) -> str:
    """File text as UTF-8 (BOM allowed); GBK/GB18030 from Windows editors is read too.

    Only regular files are read: a FIFO or a device would block or never end. With `max_bytes`,
    a bigger file is refused before it is read.
    """
    return read_file(path, max_bytes).text


@dataclass(frozen=True)
class SourceFile:
    """A file as read: its text, the encoding that gives its bytes back, and the bytes themselves."""

    text: str
    encoding: str  # utf-8, utf-8-sig (with a BOM), utf-16 (with a BOM) or gb18030 (GBK)
    data: bytes


def read_file(path: Path, max_bytes: int | None = None) -> SourceFile:
    """read_text, keeping the encoding and bytes: an editor that writes a GBK file back writes GBK."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise BadInput(_("file not found"), _("check the path and the file name"), path) from None
    except IsADirectoryError:
        raise BadInput(_("is a folder, not a file"), _("name a .yaml file inside it"), path) from None
    except OSError as exc:
        raise _unreadable(exc, path) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if stat.S_ISDIR(info.st_mode):
            raise BadInput(_("is a folder, not a file"), _("name a .yaml file inside it"), path)
        if not stat.S_ISREG(info.st_mode):
            raise BadInput(_("is not an ordinary file (a pipe or a device)"),
                           _("name a file saved on disk"), path)
        if max_bytes is not None and info.st_size > max_bytes:
            raise BadInput(_("file is too big ({size} bytes; at most {limit})").format(
                size=f"{info.st_size:,}", limit=f"{max_bytes:,}"),
                _("a notice is a page of text: check that this is the right file"), path)
        try:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
        except OSError as exc:
            raise _unreadable(exc, path) from None
    if max_bytes is not None and len(data) > max_bytes:  # grew after the stat
        raise BadInput(_("file is too big ({size} bytes; at most {limit})").format(
            size=f"{len(data):,}+", limit=f"{max_bytes:,}"),
            _("a notice is a page of text: check that this is the right file"), path)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:  # Notepad's "Unicode" is UTF-16 with a byte order mark: fine to read as it is
            return SourceFile(data.decode("utf-16"), "utf-16", data)
        except UnicodeDecodeError:
            pass
    bom = data.startswith(b"\xef\xbb\xbf")  # Notepad's "UTF-8 with BOM": utf-8-sig writes it back
    body = data[3:] if bom else data
    try:
        return SourceFile(body.decode("utf-8"), "utf-8-sig" if bom else "utf-8", data)
    except UnicodeDecodeError:
        pass
    try:
        # Windows village PCs save "ANSI" = GBK; GB18030 is its superset.
        return SourceFile(body.decode("gb18030"), "gb18030", data)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise BadInput(_("file is neither UTF-8 nor GBK text"),
                       _("save it as UTF-8 in your editor (另存为 → 编码 UTF-8)"), path, line) from None


def _unreadable(exc: OSError, path: Path) -> BadInput:
    if isinstance(exc, PermissionError):
        return BadInput(_("no permission to read the file"), _("check who may read it (its permissions)"), path)
    return BadInput(_("cannot read the file ({reason})").format(reason=exc.strerror or exc.__class__.__name__),
                    _("check the disk and the file's permissions"), path)


def load(path: str | Path, text: str | None = None) -> YamlDoc:
    """Parse one YAML document safely; every problem is a BadInput with file and line."""
    path = Path(path)
    if text is None:
        text = read_text(path, MAX_YAML_BYTES)
    elif len(text) > MAX_YAML_BYTES:
        raise BadInput(_("file is too big ({size} characters; at most {limit})").format(
            size=f"{len(text):,}", limit=f"{MAX_YAML_BYTES:,}"),
            _("a notice is a page of text: check that this is the right file"), path)
    if not text.strip():
        raise BadInput(_("file is empty"), _("write the notice fields (see `broadcaster templates`)"), path, 1)
    _refuse_unreadable_characters(text, path)
    _refuse_deep_nesting(text, path)
    try:
        # Aliases are refused before anything is built, so alias bombs cannot expand.
        for event in yaml.parse(text, Loader=LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise BadInput(_("copying a value with *name (YAML aliases) is not allowed"),
                               _("write the value out in full"), path, event.start_mark.line + 1)
        node = yaml.compose(text, Loader=LOADER)
    except yaml.MarkedYAMLError as exc:
        escape = _SURROGATE_ESCAPE_RE.search(text)
        if escape:  # libyaml refuses "\ud800" itself (the Python parser lets it through to _build)
            raise BadInput(_("the value holds {what}").format(what=describe_character(chr(int(escape.group(1), 16)))),
                           _("delete it (check for escapes like \\0 or \\u in quotes)"), path,
                           text.count("\n", 0, escape.start()) + 1) from None
        mark = exc.problem_mark or exc.context_mark
        raise syntax_error(text, mark.line + 1 if mark else None, path) from None
    except yaml.YAMLError:
        raise syntax_error(text, None, path) from None
    except RecursionError:  # the nesting scan should have caught it; never a traceback
        raise BadInput(_("the file nests too deeply"), _("write at most {n} levels").format(n=MAX_NESTING),
                       path) from None
    if node is None:
        raise BadInput(_("file is empty"), _("write the notice fields (see `broadcaster templates`)"), path, 1)
    lines: dict = {}
    raw: dict = {}
    comments: dict = {}
    data = _build(node, (), lines, raw, path, _Source(text, comments))
    return YamlDoc(path=path, data=data, lines=lines, raw=raw, comments=comments, source=text)


# ---------------------------------------------------------------- characters and nesting
# What PyYAML's reader refuses in a file (it would say "unacceptable character #x0000").
_UNREADABLE_RE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def describe_character(ch: str) -> str:
    """'an invisible control character (U+0000)' and the like, for messages."""
    code = f"U+{ord(ch):04X}"
    if 0xD800 <= ord(ch) <= 0xDFFF:
        return _("a broken character (half of a surrogate pair, {code})").format(code=code)
    return _("an invisible control character ({code})").format(code=code)


# Control characters (category Cc) but line break and tab, lone surrogates (Cs), and the
# bidirectional overrides that make a title or id display other than it reads ("Trojan Source").
_BAD_CHARACTER_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def bad_character(value: str) -> tuple[int, str] | None:
    """(index, char) of the first character a speech engine cannot be given, or None.

    Control characters (a NUL cut the speech at that point, silently) and lone surrogates;
    line breaks and tabs are ordinary text.
    """
    match = _BAD_CHARACTER_RE.search(value)
    return (match.start(), match.group()) if match else None


def _refuse_unreadable_characters(text: str, path: Path) -> None:
    match = _UNREADABLE_RE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise BadInput(_("line holds {what}").format(what=describe_character(match.group())),
                       _("delete it (retype the line if you cannot see it)"), path, line)


_SURROGATE_ESCAPE_RE = re.compile(r"\\u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _refuse_deep_nesting(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_NESTING before PyYAML sees it.

    A cheap line scan: block levels by indentation and `- ` items, flow levels by brackets
    outside quotes and comments. It may over-count odd but valid files a little; it never
    under-counts the brackets a parser would see.
    """
    indents: list[int] = []
    block_indent: int | None = None  # inside a `|` / `>` block: its key's indentation
    flow = 0
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if not stripped.strip() or indent > block_indent:
                continue
            block_indent = None
        if not stripped or stripped.startswith("#"):
            continue
        if flow == 0:
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            rest = stripped
            while rest.startswith("- ") or rest == "-":  # `- - - x` nests on one line
                indents.append(indent)
                rest = rest[2:].lstrip(" ")
        depth = 0
        if flow or "[" in stripped or "{" in stripped:
            depth, flow = flow_depth(stripped, flow)
        if len(indents) + depth > MAX_NESTING:
            raise BadInput(_("the file nests more than {n} levels deep").format(n=MAX_NESTING),
                           _("a notice needs only a few levels: check the brackets and indentation"),
                           path, n)
        if flow == 0 and re.search(r"(^|[:\-]\s)[|>][-+0-9]*\s*(#.*)?$", stripped):
            block_indent = indent


_constructor = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class _Source:
    """The text being built and where the comments found in it go."""

    text: str
    comments: dict


def _build(node: yaml.Node, key: Key, lines: dict, raw: dict, path: Path, source: _Source) -> Any:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise BadInput(_("a name before ':' must be plain text, not a list or brackets"),
                               _("write `name: value`"), path, knode.start_mark.line + 1)
            _refuse_bad_characters(knode, path)
            k = "<<" if knode.tag == "tag:yaml.org,2002:merge" else _constructor.construct_object(knode)
            _refuse_non_finite(k, knode, key, path)
            if k == "<<":
                raise BadInput(_("copying fields with '<<' (YAML merge keys) is not allowed"),
                               _("write the fields out in full"), path, knode.start_mark.line + 1)
            if k in out:
                raise BadInput(_("duplicate key '{key}'").format(key=k),
                               _("keep one '{key}:' line and delete the other (first on line {line})").format(
                                   key=k, line=lines[key + (k,)]), path, knode.start_mark.line + 1)
            lines[key + (k,)] = knode.start_mark.line + 1
            out[k] = _build(vnode, key + (k,), lines, raw, path, source)
            lines[key + (k,)] = knode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, key + (i,), lines, raw, path, source) for i, item in enumerate(node.value)]
    _refuse_bad_characters(node, path)
    raw[key] = node.value
    if not node.style:  # a plain value: a ` #` after it on its line is a comment that cut it short
        comment = _comment_after(source.text, node)
        if comment is not None:
            source.comments[key] = comment
    try:
        return _refuse_non_finite(_constructor.construct_object(node), node, key, path)
    except yaml.constructor.ConstructorError:
        # e.g. `!!python/object` or `!!binary` with bad content: a tag a notice has no use for
        tag = str(node.tag or "").replace("tag:yaml.org,2002:", "!!")
        raise BadInput(_("the value has a mark '{tag}' that is not allowed").format(tag=tag),
                       _("remove the mark, or put the whole value in quotes"), path,
                       node.start_mark.line + 1) from None
    except (ValueError, OverflowError):  # 2021-02-30 looks like a date to YAML but is none
        name = next((k for k in reversed(key) if isinstance(k, str)), "value")
        raise BadInput(_("'{name}' is not a real date ({value})").format(name=name, value=node.value),
                       _("check the day and the month"), path, node.start_mark.line + 1) from None


def _refuse_non_finite(value: Any, node: yaml.ScalarNode, key: Key, path: Path) -> Any:
    """`value`, unless YAML read it as infinity or NaN (`.inf`, `.nan`, `1.0e+999`): BadInput at its line.

    No number in any of our files may be one: a radius of `.nan` passed every range check
    (comparisons with NaN are all false) and `.inf` crashed the route map. Refusing them here,
    where every value of every file passes, covers each number field there is or will be.
    """
    if not isinstance(value, float) or math.isfinite(value):
        return value
    name = next((k for k in reversed(key) if isinstance(k, str)), "value")
    what = (_("'{name}: {value}' is read as “not a number” (NaN), which no setting can use") if math.isnan(value)
            else _("'{name}: {value}' is read as infinity, which no setting can use"))
    raise BadInput(what.format(name=name, value=node.value),
                   _("write an ordinary number, e.g. 80 or 1.5 (text that looks like this goes in quotes)"),
                   path, node.start_mark.line + 1, key)


def _refuse_bad_characters(node: yaml.ScalarNode, path: Path) -> None:
    """Escapes like "\\0" or "\\ud800" make characters the file itself cannot hold: a NUL cut the
    speech there, silently (105 s became 82 s), and a lone surrogate cannot be encoded at all."""
    found = bad_character(node.value)
    if found is None:
        return
    index, ch = found
    line = node.start_mark.line + 1
    if node.style in ("|", ">", None):  # the value's lines are the file's lines
        line += node.value.count("\n", 0, index) + (1 if node.style in ("|", ">") else 0)
    raise BadInput(_("the value holds {what}").format(what=describe_character(ch)),
                   _("delete it (check for escapes like \\0 or \\u in quotes)"), path, line)


# ---------------------------------------------------------------- a ` #` that cuts a value short
# YAML ends a plain (unquoted) value at ` #`: `text: 物资车已经到 #3号楼 门口` is read as 物资车已经到 and
# the rest is a comment, so the loudspeaker stops mid-sentence and nothing says so. The composer's
# marks say exactly where each plain value ends; whatever follows on its line from ` #` is such a
# comment. Whether that is a mistake depends on the field (the caller says): after free text it is
# almost always lost words; after a number or a name (`repeat: 2  # 念两遍`) it is a note.
_COMMENT_AFTER_RE = re.compile(r"[ \t]+#[^\n\r]*")


@dataclass(frozen=True)
class Comment:
    """The ` #…` after a plain value on its line, which YAML dropped as a comment."""

    line: int       # 1-based, the line of the '#'
    value: str      # the value as YAML read it (what is left)
    note: str       # from '#' to the end of the line (what was dropped)
    spaces: int     # spaces before the '#'
    written: str    # the line up to where the value starts (`text: `, `  - `), to show the quoted fix

    @property
    def note_like(self) -> bool:
        """Written the way notes are (`value  # note`: two spaces or more before '#', one after it)."""
        return self.spaces >= 2 and self.note[1:2] in (" ", "\t", "")


def _comment_after(text: str, node: yaml.ScalarNode) -> Comment | None:
    end = node.end_mark.index
    found = _COMMENT_AFTER_RE.match(text, end)
    if found is None or not text:
        return None
    start = node.start_mark.index
    line_start = text.rfind("\n", 0, start) + 1
    gap = found.group()
    note = gap.lstrip(" \t")
    return Comment(line=node.end_mark.line + 1, value=node.value, note=note.rstrip(),
                   spaces=len(gap) - len(note), written=text[line_start:start])


# how a field's value is taken when a comment follows it: see comment_problems
FREE_TEXT, NAME_OR_NUMBER = "text", "number"


def comment_problems(doc: YamlDoc, kind_of) -> tuple[list[BadInput], list[InputWarning]]:
    """The comments that cut a value short, as (errors, warnings) at their lines.

    `kind_of(key path, value)` says what the field holds: FREE_TEXT (words to read or show: an error, or a
    warning when it is written like a note, `value  # note`), NAME_OR_NUMBER (a note after it is
    fine; a `#` written against the words, `3 #号楼`, is warned) or None (not looked at).
    """
    errors: list[BadInput] = []
    warnings: list[InputWarning] = []
    for key, comment in doc.comments.items():
        kind = kind_of(key, comment.value)
        if kind is None or (kind == NAME_OR_NUMBER and comment.note_like):
            continue
        name = next((k for k in reversed(key) if isinstance(k, str)), "value")
        whole = comment.value + " " * comment.spaces + comment.note if comment.value else comment.note
        fixed = comment.written.strip() + " " + "'" + whole.replace("'", "''") + "'"
        if kind == FREE_TEXT and not comment.note_like:
            errors.append(BadInput(
                _("the value of '{name}' stops at ' #': YAML takes '{note}' as a note and drops it").format(
                    name=name, note=comment.note),
                _("put the whole value in quotes: `{fixed}`").format(fixed=fixed.strip()),
                doc.path, comment.line, key))
        else:
            warnings.append(InputWarning(
                _("the value of '{name}' stops at ' #': '{note}' is taken as a note and dropped").format(
                    name=name, note=comment.note),
                _("if it belongs to the value, put the whole value in quotes (`{fixed}`); if it is a note, "
                  "put it on a line of its own").format(fixed=fixed.strip()),
                doc.path, comment.line, key))
    return errors, warnings


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """"did you mean 'x'?" (in the user's language) when a close choice exists, else ''."""
    close = closest(word, choices)
    return _("did you mean '{word}'?").format(word=close) if close else ""


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The choice closest to a misspelt word, or None when none is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None


def choices_fix(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """How to fix an unknown choice: "did you mean 'x'? Use one of a, b, c" (or only the list)."""
    close = closest(word, choices)
    listed = ", ".join(str(c) for c in choices)
    if close:
        return _("did you mean '{word}'? Use one of {choices}").format(word=close, choices=listed)
    return _("use one of {choices}").format(choices=listed)


# what unknown_keys calls the mapping's entries ("unknown field 'titel'")
_UNKNOWN = {"key": N_("unknown key '{key}'"), "field": N_("unknown field '{key}'"),
            "default": N_("unknown setting '{key}' in defaults.yaml")}


def check_keys(doc: YamlDoc, mapping: dict, allowed: dict | set | list, where: Key = (),
               what: str = "key", synonyms: dict | None = None) -> None:
    """Refuse unknown keys with a did-you-mean hint (all of them at once)."""
    raise_all(unknown_keys(doc, mapping, allowed, where, what, synonyms))


def unknown_keys(doc: YamlDoc, mapping: dict, allowed: dict | set | list, where: Key = (),
                 what: str = "key", synonyms: dict | None = None) -> list[BadInput]:
    """One error per unknown key, each with a did-you-mean hint (`synonyms`: other words for a key)."""
    errors = []
    for k in mapping:
        if k not in allowed:
            close = (synonyms or {}).get(str(k).strip()) or closest(k, sorted(allowed))
            listed = ", ".join(sorted(allowed))
            fix = (_("did you mean '{word}'? Allowed: {choices}").format(word=close, choices=listed) if close
                   else _("allowed: {choices}").format(choices=listed))
            errors.append(doc.error(_(_UNKNOWN.get(what, _UNKNOWN["key"])).format(key=k), fix, *where, k))
    return errors
