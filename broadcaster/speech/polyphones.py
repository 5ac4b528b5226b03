"""Context rules for polyphones (data/polyphones.yaml): 还要 hai2, 为准 wei2, 打的去 di1 ...

Kept apart from the readings (pronounce.py) and the voices' front end (pinyin.py), which both
build on them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import yaml

from broadcaster.resources import data_path

DATA = data_path("speech")


@dataclass(frozen=True)
class Rule:
    """Read `char` as `reading` when its neighbours match (see data/polyphones.yaml)."""

    char: str
    reading: str
    prev: tuple[str, ...] = ()
    next: tuple[str, ...] = ()
    not_prev: tuple[str, ...] = ()
    not_next: tuple[str, ...] = ()
    espeak: bool = False  # eSpeak NG's own dictionary misreads it: eSpeak gets the reading as pinyin
    say: str = ""         # a homophone for engines that take only plain text (edge)

    def matches(self, text: str, i: int) -> bool:
        before, after = text[:i], text[i + 1:]
        if self.prev and not before.endswith(self.prev):
            return False
        if self.next and not after.startswith(self.next):
            return False
        if self.not_prev and before.endswith(self.not_prev):
            return False
        return not (self.not_next and after.startswith(self.not_next))


@lru_cache(maxsize=1)
def context_rules() -> dict[str, tuple[Rule, ...]]:
    """data/polyphones.yaml by character, in the file's order (the first match wins)."""
    items = yaml.safe_load((DATA / "polyphones.yaml").read_text(encoding="utf-8")) or []
    table: dict[str, list[Rule]] = {}
    for item in items:
        rule = Rule(char=item["char"], reading=item["reading"], espeak=bool(item.get("espeak", False)),
                    say=str(item.get("say") or ""),
                    **{k: tuple(str(v) for v in item.get(k) or ()) for k in ("prev", "next", "not_prev", "not_next")})
        table.setdefault(rule.char, []).append(rule)
    return {c: tuple(rules) for c, rules in table.items()}


def rule_hits(text: str) -> list[tuple[int, Rule]]:
    """(position, rule) for every character of `text` a context rule decides (the first match wins)."""
    rules = context_rules()
    out = []
    for i, char in enumerate(text):
        for rule in rules.get(char, ()):
            if rule.matches(text, i):
                out.append((i, rule))
                break
    return out


def apply_context_rules(text: str, syllables: list[str]) -> list[str]:
    """`syllables` (one per character of `text`) with the context rules applied."""
    out = list(syllables)
    for i, rule in rule_hits(text):
        out[i] = rule.reading
    return out
