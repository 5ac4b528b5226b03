"""Safe YAML loading that remembers the line of every value, for `path:line:` errors."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from broadcaster.errors import BadInput

Key = tuple  # path of keys/indexes from the document root


@dataclass(frozen=True)
class YamlDoc:
    """A loaded YAML document: plain data plus the line of every key path."""

    path: Path
    data: Any
    lines: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)  # key path -> scalar text as written

    def line(self, *keys: Any) -> int | None:
        """The line of the deepest known key path prefix."""
        keys = tuple(keys)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.lines.get(())

    def error(self, what: str, fix: str = "", *keys: Any) -> BadInput:
        return BadInput(what, fix, self.path, self.line(*keys))


def read_text(path: Path) -> str:
    """File text as UTF-8 (BOM allowed); GBK/GB18030 from Windows editors is read too."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput("file not found", "check the path and the file name", path) from None
    except IsADirectoryError:
        raise BadInput("is a folder, not a file", "name a .yaml file inside it", path) from None
    except OSError as exc:
        raise BadInput(f"cannot read file ({exc.strerror})", "check its permissions", path) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Windows village PCs save "ANSI" = GBK; GB18030 is its superset.
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInput("file is neither UTF-8 nor GBK text",
                       "save it as UTF-8 in your editor (另存为 → 编码 UTF-8)", path, line) from None


def load(path: str | Path, text: str | None = None) -> YamlDoc:
    """Parse one YAML document safely; every problem is a BadInput with file and line."""
    path = Path(path)
    if text is None:
        text = read_text(path)
    if not text.strip():
        raise BadInput("file is empty", "write the notice fields (see `broadcaster templates`)", path, 1)
    try:
        # Aliases are refused before anything is built, so alias bombs cannot expand.
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                raise BadInput("YAML aliases (*name) are not supported",
                               "write the value out in full", path, event.start_mark.line + 1)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        raise BadInput(f"invalid YAML: {problem}",
                       "check indentation and quote values that contain ': ' or '#'",
                       path, line) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"invalid YAML: {exc}", "check the file's syntax", path) from None
    if node is None:
        raise BadInput("file is empty", "write the notice fields", path, 1)
    lines: dict = {}
    raw: dict = {}
    data = _build(node, (), lines, raw, path)
    return YamlDoc(path=path, data=data, lines=lines, raw=raw)


_constructor = yaml.constructor.SafeConstructor()


def _build(node: yaml.Node, key: Key, lines: dict, raw: dict, path: Path) -> Any:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode):
                raise BadInput("a key must be plain text", "write `name: value`", path,
                               knode.start_mark.line + 1)
            k = "<<" if knode.tag == "tag:yaml.org,2002:merge" else _constructor.construct_object(knode)
            if k == "<<":
                raise BadInput("YAML merge keys (<<) are not supported", "write the keys out", path,
                               knode.start_mark.line + 1)
            if k in out:
                raise BadInput(f"duplicate key '{k}'", f"keep one '{k}:' line and delete the other "
                               f"(first on line {lines[key + (k,)]})", path, knode.start_mark.line + 1)
            lines[key + (k,)] = knode.start_mark.line + 1
            out[k] = _build(vnode, key + (k,), lines, raw, path)
            lines[key + (k,)] = knode.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, key + (i,), lines, raw, path) for i, item in enumerate(node.value)]
    raw[key] = node.value
    try:
        return _constructor.construct_object(node)
    except yaml.constructor.ConstructorError as exc:
        raise BadInput(f"invalid value: {exc.problem}", "quote it as text", path,
                       node.start_mark.line + 1) from None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean `x`?)' when a close choice exists, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def check_keys(doc: YamlDoc, mapping: dict, allowed: dict | set | list, where: Key = (),
               what: str = "key") -> None:
    """Refuse unknown keys with a did-you-mean hint."""
    for k in mapping:
        if k not in allowed:
            hint = did_you_mean(k, sorted(allowed))
            listed = "allowed: " + ", ".join(sorted(allowed))
            raise doc.error(f"unknown {what} '{k}'", f"{hint} {listed}" if hint else listed,
                            *where, k)
