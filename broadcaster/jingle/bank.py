"""The jingle bank: our own lines by topic (data/jingle/bank/*.yaml), with slots like {place}."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.resources import data_path
from broadcaster.yamlsource import did_you_mean

DATA = data_path("jingle")
BANK_DIR = DATA / "bank"
KINDS = ("openings", "lines", "half")
_SLOT_RE = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Entry:
    """One bank entry: a 三三七 opening (3、3), a full line, or a 三句半 half line."""

    topic: str
    kind: str        # openings | lines | half
    text: str        # may hold slots: {place}, {who}
    source: str      # file name and position, for messages

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(_SLOT_RE.findall(self.text))

    def filled(self, values: dict[str, str]) -> str | None:
        """The text with its slots filled, or None when a slot has no value."""
        try:
            return _SLOT_RE.sub(lambda m: values[m.group(1)], self.text)
        except KeyError:
            return None


@dataclass(frozen=True)
class Topic:
    name: str
    aliases: tuple[str, ...]
    openings: tuple[Entry, ...]
    lines: tuple[Entry, ...]
    half: tuple[Entry, ...]
    path: Path

    def entries(self) -> tuple[Entry, ...]:
        return self.openings + self.lines + self.half


@dataclass(frozen=True)
class Slot:
    name: str
    typical: str
    chars: int
    meaning: str


@lru_cache(maxsize=1)
def slots() -> dict[str, Slot]:
    data = yaml.safe_load((DATA / "slots.yaml").read_text(encoding="utf-8")) or {}
    return {k: Slot(k, str(v["typical"]), int(v["chars"]), str(v.get("meaning", ""))) for k, v in data.items()}


def typical_values() -> dict[str, str]:
    return {name: s.typical for name, s in slots().items()}


@lru_cache(maxsize=1)
def topics() -> tuple[Topic, ...]:
    """Every topic in the bank, in file-name order."""
    out = []
    for path in sorted(BANK_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        name = str(data["topic"])
        kinds = {kind: tuple(Entry(name, kind, str(text).strip(), f"{path.name} {kind}[{i}]")
                             for i, text in enumerate(data.get(kind) or ()))
                 for kind in KINDS}
        out.append(Topic(name=name, aliases=tuple(str(a) for a in data.get("aliases") or ()),
                         path=path, **kinds))
    return tuple(out)


def topic_names() -> list[str]:
    return [t.name for t in topics()]


def find_topics(names: list[str] | tuple[str, ...]) -> list[Topic]:
    """Topics by name or alias, in the order given; BadInput with the choices for unknown ones."""
    by_name: dict[str, Topic] = {}
    for t in topics():
        for key in (t.name, *t.aliases):
            by_name.setdefault(key, t)
    out: list[Topic] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if name not in by_name:
            hint = did_you_mean(name, list(by_name))
            choices = _("choose from: {topics}").format(topics="、".join(topic_names()))
            raise BadInput(_("unknown jingle topic '{name}'").format(name=name),
                           (hint + " " if hint else "") + choices)
        if by_name[name] not in out:
            out.append(by_name[name])
    if not out:
        raise BadInput(_("no topics given"), _("name some, e.g. --topics 口罩,洗手,聚集"))
    return out
