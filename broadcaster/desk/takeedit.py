"""A kept take written into its notice's YAML: `recording:` set, or a part replaced or added, as an edit.

Like the desk's other edits (editing.py) it goes through ruamel.yaml's round trip, so the comments,
order and quoting of the rest of a hand-written file stay; the file is written back in its own
encoding by `editing.save_text`. What the notice becomes is decided by `takes.with_take`; this only
writes the same change into the file.
"""
from __future__ import annotations

from pathlib import Path

from broadcaster.desk.editing import _dump, _load_map, _scalar  # the desk's one round trip, shared
from broadcaster.notice import Notice


def notice_with_take(path: Path, existing: str, variant: Notice, name: str, part: int | None = None) -> str:
    """The notice file `existing` (at `path`) with the take `name` where `variant` (takes.with_take) has it.

    part None: `recording: name`; a notice from a template becomes one whose `text:` is the words the
    official read (variant.text), its `template:` removed (a recording has none). part n: item n of
    `parts:` becomes `recording: name` (a `say:` part keeps its words as the recording's `text:`); one
    past the last: a new `- recording: name` at the end. BadInput when the file cannot be read.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    data = _load_map(path, existing)
    if part is None:
        if "template" in data:  # `recording:` where `template:` was, then the words in its place
            _put_before(data, "recording", name, "template")
            _rename(data, "template", "text", _scalar(variant.text) if variant.text else None)
        else:
            _put_before(data, "recording", name, "text")
        return _dump(data)
    parts = data.get("parts")
    if not isinstance(parts, CommentedSeq):  # with_take has checked it is a list of parts
        raise ValueError("notice_with_take: the file has no list of parts")
    if part == len(parts):
        item = CommentedMap()
        item["recording"] = name
        parts.append(item)
        return _dump(data)
    item = parts[part]
    if "say" in item:
        words = item["say"]
        _rename(item, "say", "text", words)
        _put_before(item, "recording", name, "text")
    else:
        item["recording"] = name
    return _dump(data)


def _rename(data, old: str, new: str, value) -> None:
    """`old: ...` becomes `new: value` in its place, keeping the comment at the end of its line
    (a None value: the key goes, its comment with it)."""
    at = list(data).index(old)
    comment = data.ca.items.pop(old, None)
    del data[old]
    if value is None:
        return
    data.insert(at, new, value)
    if comment is None:
        return
    token = comment[2] if len(comment) > 2 else None
    if "\n" in str(value) and token is not None:
        from ruamel.yaml.error import CommentMark
        from ruamel.yaml.tokens import CommentToken

        # a block of lines (`|`) already ends its line: the comment on the old key's line goes above the new
        # key (after the block it would describe the next key), the comment lines after it stay before the next
        first, _newline, rest = token.value.partition("\n")
        slot = data.ca.items.setdefault(new, [None, [], None, None])
        slot[2] = CommentToken(rest, CommentMark(0)) if rest.strip() else None
        if first.strip():
            data.yaml_set_comment_before_after_key(new, before=first.strip().lstrip("#").strip(),
                                                   indent=getattr(data.lc, "col", 0) or 0)
    else:
        data.ca.items[new] = comment


def _put_before(data, key: str, value, before: str) -> None:
    """Set `key` in place if it is there, else insert it just before `before` (else at the end)."""
    if key in data or before not in data:
        data[key] = value
    else:
        data.insert(list(data).index(before), key, value)
