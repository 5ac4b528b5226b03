"""YAML syntax errors in plain words: which line, what is wrong on it, how to write it (for officials)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.vocabulary import HAN

# libyaml when present: the pure-Python parser needs ~30 s for a 1 MB file, libyaml about 1 s.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FLOW_OPEN, _FLOW_CLOSE = "[{", "]}"

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
        yaml.compose(text, Loader=LOADER)
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
            flow = flow_depth(stripped, flow)[1]
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
                     if value and value[0] not in "\"'[{#&*!" and (HAN.search(value) or _BLOCK_RE.search(stripped))
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
                flow = flow_depth(value, 0)[1]
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
                HAN.search(stripped.split(":", 1)[0])):
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


def flow_depth(line: str, flow: int) -> tuple[int, int]:
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
