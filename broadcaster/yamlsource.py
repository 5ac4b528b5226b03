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

Key = tuple  # path of keys/indexes from the document root
# libyaml when present: the pure-Python parser needs ~30 s for a 1 MB file, libyaml about 1 s.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.AliasEvent):
                raise BadInput(_("copying a value with *name (YAML aliases) is not allowed"),
                               _("write the value out in full"), path, event.start_mark.line + 1)
        node = yaml.compose(text, Loader=_LOADER)
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
_FLOW_OPEN, _FLOW_CLOSE = "[{", "]}"


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
            depth, flow = _flow_depth(stripped, flow)
        if len(indents) + depth > MAX_NESTING:
            raise BadInput(_("the file nests more than {n} levels deep").format(n=MAX_NESTING),
                           _("a notice needs only a few levels: check the brackets and indentation"),
                           path, n)
        if flow == 0 and re.search(r"(^|[:\-]\s)[|>][-+0-9]*\s*(#.*)?$", stripped):
            block_indent = indent


def _flow_depth(line: str, flow: int) -> tuple[int, int]:
    """(deepest bracket level reached on the line, level at its end), from `flow` at its start."""
    deepest = flow
    quote = ""
    prev = " "
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'" and (prev in " \t[{,:-" or i == 0):
            quote = ch  # quotes open only where a value starts, not inside `村民's`
        elif ch == "#" and prev in " \t":
            break
        elif ch in _FLOW_OPEN:
            flow += 1
            deepest = max(deepest, flow)
        elif ch in _FLOW_CLOSE:
            flow = max(0, flow - 1)
        prev = ch
        i += 1
    return deepest, flow


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


# ---------------------------------------------------------------- syntax errors in plain words
# PyYAML notices a mistake where it stops making sense, often a line or more later (an unclosed
# quote on line 6 is noticed at line 7; a line without a colon at the end of the file), and in
# its own words ("could not find expected ':'"). Each diagnosis below finds a likely culprit
# line at or before that point, and is kept only when repairing that line lets the parser get
# further: so a guess that does not explain the error is never shown.
_KEY_RE = re.compile(r"^(- +)?([^\s:#'\"{}\[\],&*!|>%@`-][^:#]*?|'[^']*'|\"[^\"]*\"):(\s|$)")
_PLAIN_WORD_RE = re.compile(r"^([A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff-]*)(\s+)(\S.*)$")
_BLOCK_RE = re.compile(r"(^|[:\-]\s)[|>][-+0-9]*\s*(#.*)?$")
_MAX_REPAIRS = 8  # each check is one more parse of the file


@dataclass(frozen=True)
class _Culprit:
    line: int       # 1-based
    what: str
    fix: str
    repaired: str   # the whole line as it should be


def syntax_error(text: str, mark_line: int | None, path: Path) -> BadInput:
    """A BadInput for text PyYAML refused: the culprit line and the fix in plain words."""
    lines = text.splitlines()
    limit = min(mark_line or len(lines), len(lines))
    base = _parse_reach(text)
    tried = 0
    for culprit in _culprits(lines, limit):
        tried += 1
        if tried > _MAX_REPAIRS:
            break
        fixed = lines[:culprit.line - 1] + [culprit.repaired] + lines[culprit.line:]
        reach = _parse_reach("\n".join(fixed) + "\n")
        if reach is None or (base is not None and reach > base):
            return BadInput(culprit.what, culprit.fix, path, culprit.line)
    return BadInput(_("this line is not valid YAML"),
                    _("write each field as `name: value` with an ordinary colon and a space, indented "
                      "like the fields around it; put text that holds ': ' or ' #' in quotes"),
                    path, limit or None)


def _parse_reach(text: str) -> int | None:
    """The line where the parser stops, or None when the text parses."""
    try:
        yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return mark.line + 1 if mark else 0
    except (yaml.YAMLError, RecursionError):
        return 0
    return None


def _culprits(lines: list[str], limit: int):
    """Likely culprit lines among the first `limit`, top first."""
    levels: list[int] = [0]     # indentations of the enclosing keys
    opened: int | None = None   # indentation of a `key:` whose value starts on the next line
    block: int | None = None    # inside a `|`/`>` block: the key's indentation
    skip_to = 0                 # inside a quoted value begun on an earlier line
    block_used = False          # the `|`/`>` block has had a line of its own
    block_mark = "|"
    flow = 0
    prose: _Prose | None = None  # the free text (CJK words) a plain value or `|` block holds so far
    for n, line in enumerate(lines[:limit], 1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if n <= skip_to:
            continue
        if block is not None:
            if not stripped.strip() or indent > block:
                block_used = block_used or bool(stripped.strip())
                if prose is not None and stripped.strip():
                    prose.lines.append(stripped.strip())
                continue
            if not block_used and not _KEY_RE.match(stripped):  # `text: |` and the text not indented
                repaired = " " * (block + 2) + stripped
                yield _Culprit(n, _("the lines of the text after '{mark}' are not indented").format(mark=block_mark),
                               _("put two spaces more before each of its lines: `{fixed}`").format(
                                   fixed=repaired), repaired)
            block = None
        if not stripped.strip() or stripped.startswith("#"):
            continue
        if stripped.startswith("\t"):
            yield _Culprit(n, _("line starts with a tab"),
                           _("replace the tab with two spaces (YAML indents with spaces only)"),
                           re.sub(r"^[ \t]+", lambda m: m.group().replace("\t", "  "), line))
            continue
        if flow:
            flow = _flow_depth(stripped, flow)[1]
            continue
        body = stripped[2:].lstrip(" ") if stripped.startswith("- ") else stripped
        key = _KEY_RE.match(stripped)
        value = stripped[key.end(0):].strip() if key else body
        if (key is None and prose is not None and indent <= prose.indent and not stripped.startswith("- ")
                and not _FIELD_WORD_RE.match(body)):
            # `text: 明天停水` and the next line `后天来电` written at the start of the line: more of the
            # text, not a field without its colon (that advice led to `后天来电:` and the next error)
            what, fix = unindented_text(prose.name, prose.first, prose.lines + _bare_lines(lines, n, prose.indent))
            yield _Culprit(n, what, fix, " " * (prose.indent + 2) + stripped)
        if key is not None:
            prose = (_Prose(key.group(2), indent + len(stripped) - len(body), n, [value])
                     if value and value[0] not in "\"'[{#&*!" and (_HAN_RE.search(value) or _BLOCK_RE.search(stripped))
                     else None)
            if prose is not None and value[0] in "|>":
                prose.lines.clear()  # a block's words are on the lines below
        elif prose is not None and indent > prose.indent:
            prose.lines.append(stripped.strip())  # a plain value going on, indented
        else:
            prose = None
        if "：" in body and not key:
            head, _sep, tail = body.partition("：")
            repaired = line.replace("：", ":" if tail.startswith(" ") else ": ", 1)
            yield _Culprit(n, _("the colon after '{name}' is a full-width '：'").format(name=head.strip()),
                           _("type an ordinary colon and a space: `{fixed}`").format(fixed=repaired.strip()),
                           repaired)
        if key is not None and value and value[0] not in "\"'[{|>#&*!" and (
                ": " in value or value[0] in "@`"):
            # `title: 通知: 今天` or `text: @全体`: the value needs quotes
            name = key.group(2)
            whole = "'" + value.replace("'", "''") + "'"
            repaired = line[:len(line) - len(stripped)] + stripped[:key.end(0)].rstrip() + " " + whole
            what = (_("the value of '{name}' holds ': '").format(name=name) if ": " in value
                    else _("the value of '{name}' starts with '{c}'").format(name=name, c=value[0]))
            yield _Culprit(n, what, _("put the whole value in quotes: `{fixed}`").format(fixed=repaired.strip()),
                           repaired)
        if key is not None and stripped.startswith("- ") and _after_a_field(lines, n, indent):
            repaired = " " * indent + body
            yield _Culprit(n, _("line starts with '- ', but the fields around it do not"),
                           _("remove the '- ' at the start: `{fixed}`").format(fixed=repaired.strip()), repaired)
        if value[:1] in ("\"", "'") and _quote_closed(value):
            after = value[_quote_closed(value):].strip()
            if after and not after.startswith(("#", ",", "]", "}")):
                whole = "'" + value.replace("'", "''") + "'"
                repaired = line[:len(line) - len(line.lstrip(" ")) + len(stripped) - len(value)] + whole
                yield _Culprit(n, _("the value goes on after its closing quote"),
                               _("put the whole value in quotes: `{fixed}`").format(fixed=repaired.strip()),
                               repaired)
        if value[:1] in ("\"", "'") and not _quote_closed(value):
            yield _Culprit(n, _("a quote ({q}) is opened but not closed").format(q=value[0]),
                           _("add the closing {q} at the end of line {n}").format(q=value[0], n=n),
                           line.rstrip() + value[0])
            skip_to = _quote_end(lines, n, value[0], limit) or limit
            continue
        tight = re.match(r"^([A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff-]*):(?![\s/])(\S.*)$", body)
        if key is None and tight and not stripped.startswith("- "):
            repaired = " " * indent + f"{tight.group(1)}: {tight.group(2)}"
            yield _Culprit(n, _("there is no space after the colon after '{name}'").format(name=tight.group(1)),
                           _("type a space after the colon: `{fixed}`").format(fixed=repaired.strip()), repaired)
        if key is None and "：" not in body and not value.startswith(("[", "{", "- ")) and value != "-":
            continuing = opened is None and indent > levels[-1]  # a plain value's next line
            if not continuing and not stripped.startswith("- "):
                words = _PLAIN_WORD_RE.match(body)
                if words:
                    repaired = " " * indent + f"{words.group(1)}: {words.group(3)}"
                else:
                    repaired = line.rstrip() + ":"
                yield _Culprit(n, _("line has no ':' after the name"),
                               _("write it as `{fixed}`").format(fixed=repaired.strip()), repaired)
        if key is not None:
            key_indent = indent + (len(stripped) - len(body))
            if opened is not None and key_indent > opened:
                levels.append(key_indent)
            else:
                above = levels[-1]
                while len(levels) > 1 and levels[-1] > key_indent:
                    levels.pop()
                if levels[-1] != key_indent and not stripped.startswith("- "):
                    target = above  # the fields just above are the ones it was meant to join
                    fix = (_("line it up with the fields above it ({k} spaces)").format(k=target) if target
                           else _("start it at the beginning of the line, like the fields above it"))
                    yield _Culprit(n, _("line is indented differently from the fields around it"), fix,
                                   " " * target + stripped)
                elif stripped.startswith("- ") and levels[-1] != key_indent:
                    levels.append(key_indent)
            opened = key_indent if not value or value.startswith("#") else None
            if _BLOCK_RE.search(stripped):
                block, opened, block_used = indent, None, False
                block_mark = _BLOCK_RE.search(stripped).group().lstrip(":- ")[:1]
            elif value.startswith(("[", "{")):
                flow = _flow_depth(value, 0)[1]
                cut = _flow_comment(value) if flow else None
                if cut is not None:  # `{name: 大喇叭 #1号, sink: auto}`: the ` #` hides the rest of the line
                    a, b = cut
                    piece = value[a:b].rstrip()
                    repaired = line[:len(line) - len(value)] + value[:a] + "'" + piece.replace("'", "''") + "'" + \
                        value[a + len(piece):]
                    yield _Culprit(n, _("the ' #' in '{value}' starts a note that hides the rest of the line").format(
                                       value=piece),
                                   _("put the value in quotes: `{fixed}`").format(fixed=repaired.strip()), repaired)
                if flow:
                    closing = "".join("]" if c == "[" else "}" for c in reversed(
                        [c for c in value if c in "[{"]))[:flow]
                    yield _Culprit(n, _("a bracket ({b}) is opened but not closed").format(b=value[0]),
                                   _("add the closing {c} at the end of line {n}").format(c=closing, n=n),
                                   line.rstrip() + closing)
        else:
            opened = indent if stripped.startswith("- ") and not body else None


def _flow_comment(value: str) -> tuple[int, int] | None:
    """(start, end) of the item inside brackets that a ` #` cuts short, or None."""
    quote, depth, start = "", 0, 0
    for i, ch in enumerate(value):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'" and value[start:i].strip() == "":
            quote = ch
        elif ch in "[{":
            depth, start = depth + 1, i + 1
        elif ch in "]}":
            depth -= 1
        elif ch in ",:" and depth:
            start = i + 1
        elif ch == "#" and depth and i and value[i - 1] in " \t":
            while start < i and value[start] == " ":
                start += 1
            end = i
            while end < len(value) and value[end] not in ",]}":
                end += 1
            return start, end
    return None


_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
# `date 10月27日`, `date：3月5日`: a field name without its colon, or with a full-width one
_FIELD_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\s*(?:[:：]|\s|$)")


@dataclass
class _Prose:
    """A field whose value is words (a plain value with CJK, or a `|` block) while _culprits reads it."""

    name: str
    indent: int   # the field's own indentation
    first: int    # its line
    lines: list   # its words so far, a line each


def _bare_lines(lines: list[str], n: int, indent: int) -> list[str]:
    """Line n and the lines after it that go on at `indent` or less without being fields: the text's rest."""
    out = []
    for line in lines[n - 1:]:
        stripped = line.strip()
        if not stripped or len(line) - len(line.lstrip(" ")) > indent or _KEY_RE.match(stripped) and not (
                _HAN_RE.search(stripped.split(":", 1)[0])):
            break
        out.append(stripped)
    return out


def unindented_text(name: str, first: int, words: list[str]) -> tuple[str, str]:
    """(what, fix) for text that goes on below `name:` on lines not indented: the `name: |` form, with
    the user's own lines two spaces in."""
    shown = " ".join(f"`  {w}`" for w in words if w)
    return (_("this line looks like more of the text of '{name}' (line {line}), but it is not indented").format(
                name=name, line=first),
            _("write `{name}: |` and below it each line of the text, two spaces in: {lines}").format(
                name=name, lines=shown))


def _after_a_field(lines: list[str], n: int, indent: int) -> bool:
    """Line n's nearest line above at its indentation or less is a `name: value` field at the same
    indentation: so a `- ` on line n starts a list where fields were being written."""
    for other in reversed(lines[:n - 1]):
        text = other.lstrip(" ")
        if not text.strip() or text.startswith("#"):
            continue
        if len(other) - len(text) > indent:
            continue
        key = _KEY_RE.match(text)
        return (len(other) - len(text) == indent and key is not None and not text.startswith("- ")
                and bool(text[key.end(0):].strip()) and not text[key.end(0):].strip().startswith(("#", "|", ">")))
    return False


def _quote_closed(value: str) -> int:
    """Where the quote a value starts with closes on the same line (index after it), or 0."""
    q = value[0]
    i = 1
    while i < len(value):
        if q == '"' and value[i] == "\\":
            i += 2
            continue
        if value[i] == q:
            if q == "'" and value[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return 0


def _quote_end(lines: list[str], n: int, q: str, limit: int) -> int | None:
    """The line (after line n, up to `limit`) holding the quote that closes one opened on line n."""
    for m in range(n + 1, limit + 1):
        if q in lines[m - 1]:
            return m
    return None
