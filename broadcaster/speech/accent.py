"""Accents on the Mandarin voices: a region's tones and sounds, said by a Mandarin voice (data/speech/accents/).

An accent is data (one YAML file each): its tone categories with their Chao values and the Mandarin
tone a voice is told to say for each (`say_as`), consonant and final rewrites by family, its own
sandhi, and the checked-tone (入声) characters that join another category. A voice profile chooses
one (`accent: chuanyu`, or `{name, tones, rewrites, contours}`); the shared Mandarin front end
applies it (`apply_accent`, called by speech/pinyin.py) to the citation readings after the
polyphone rules and the pronunciation fixes, in place of Mandarin's sandhi:

1. each character's category: its Mandarin citation tone's, or the category a listed checked-tone
   character joins; neutral-tone syllables (5) have none and stay neutral;
2. the accent's own sandhi on those categories (Mandarin's 3-3 and 一/不 sandhi do not apply);
3. the Mandarin tone the voice says for the category, then the chosen rewrites on the toneless
   syllable. A category the profile leaves out keeps Mandarin's surface tone (with its sandhi).

A syllable the user fixed (lexicon.yaml `pronounce:`) is said exactly as written. The result is
always an accent on a Mandarin voice, and is labelled so; it is never a dialect voice.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from broadcaster import yamlsource
from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.resources import data_path
from broadcaster.vocabulary import HAN

ACCENTS = data_path("speech", "accents")
CATEGORIES = ("阴平", "阳平", "上声", "去声")
SHAPES = ("high level", "low falling", "high falling", "low dipping", "rising")
CONTOURS = ("nearest", "exact")  # the nearest Mandarin tone, or each syllable reshaped to the Chao contour
STATUSES = ("default", "experimental")
_FILE_KEYS = {"name", "label", "status", "region", "tones", "sandhi", "rewrites", "defaults", "checked_tone",
              "exact_contours", "sources"}
_TONE_KEYS = {"from_mandarin", "chao", "variants", "shape", "say_as"}
CHOICE_KEYS = {"name", "tones", "rewrites", "contours"}


@dataclass(frozen=True)
class Tone:
    """One tone category of an accent."""

    category: str        # 阴平 | 阳平 | 上声 | 去声
    mandarin: str        # the Mandarin citation tone whose characters belong to it: "1".."4"
    chao: str            # its value in Chao numbers, e.g. "213"
    shape: str           # one of SHAPES
    say_as: str          # the Mandarin tone a voice is told to say for it


@dataclass(frozen=True)
class Rewrite:
    """One pattern of a rewrite family, applied to the toneless syllable."""

    family: str
    pattern: re.Pattern
    to: str


@dataclass(frozen=True)
class Sandhi:
    """Two categories side by side inside one word: the first is said in another category."""

    first: str
    second: str
    first_becomes: str


@dataclass(frozen=True)
class Accent:
    """An accent as a voice profile says it: the data file's facts and the profile's choices."""

    name: str
    label: str                          # 川渝口音: shown to users, always as an accent
    status: str                         # default | experimental
    tones: tuple[Tone, ...]
    rewrites: tuple[Rewrite, ...]       # every pattern of the file, in order
    sandhi: tuple[Sandhi, ...]
    checked: tuple[tuple[str, str], ...]  # (category, characters that join it)
    families: tuple[str, ...]           # the rewrite families this profile applies
    mapped: frozenset[str]              # the categories said the accent's way (the rest: Mandarin)
    contours: str = "nearest"           # nearest | exact (reshape each syllable's pitch after synthesis)
    region: str = ""
    sources: tuple[str, ...] = ()
    data_digest: str = ""               # of the data file: part of the clip cache key
    # `contours: exact` (engines/contours.py): how far each syllable's pitch moves toward its Chao
    # contour (0..1), and how many semitones the targets fall over a phrase
    exact_strength: float = 0.7
    exact_declination_st: float = 1.5

    @property
    def all_families(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.family for r in self.rewrites))

    def tone(self, category: str) -> Tone:
        return next(t for t in self.tones if t.category == category)

    def key(self) -> str:
        """Changes whenever this accent could make a voice say the same text otherwise (clip keys)."""
        return "|".join((self.name, self.data_digest, ",".join(sorted(self.mapped)), ",".join(self.families),
                         self.contours))

    def choice(self) -> dict:
        """The profile's choices, as `voices --json` and `normalize --json` show them."""
        return {"name": self.name, "label": self.label, "status": self.status, "region": self.region,
                "tones": [c for c in CATEGORIES if c in self.mapped], "rewrites": list(self.families),
                "contours": self.contours, "sources": list(self.sources)}


# ---------------------------------------------------------------- the stage (pure)
def category(accent: Accent, char: str, syllable: str) -> str | None:
    """The accent's tone category of one character read `syllable` (None: neutral tone or not Han)."""
    tone = syllable[-1:]
    if tone not in ("1", "2", "3", "4") or not HAN.match(char):
        return None
    for joins, chars in accent.checked:
        if char in chars:
            return joins
    return next((t.category for t in accent.tones if t.mandarin == tone), None)


def categories(text: str, citation: list[str], accent: Accent, words: list[str] | tuple[str, ...] = ()
               ) -> list[str | None]:
    """Each character's category after the accent's own sandhi (None where it has none); `words` is
    `text` cut into words (the sandhi looks inside words; without them it does not apply)."""
    out = [category(accent, char, syllable) for char, syllable in zip(text, citation)]
    if not accent.sandhi:
        return out
    start = 0
    for word in words:
        for i in range(start, start + len(word) - 1):
            for rule in accent.sandhi:
                if out[i] == rule.first and out[i + 1] == rule.second:
                    out[i] = rule.first_becomes
        start += len(word)
    return out


def rewrite(accent: Accent, bare: str) -> str:
    """The toneless syllable with the profile's rewrite families applied, in the file's order."""
    for r in accent.rewrites:
        if r.family in accent.families:
            bare = r.pattern.sub(r.to, bare)
    return bare


def apply_accent(text: str, citation: list[str], surface: list[str], keep: frozenset[int],
                 accent: Accent, words: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(syllables the voice says, each one's accent category or "") for `text`.

    citation: the readings in context (pronounce.readings); surface: Mandarin's reading of them with
    its sandhi, used for the categories the profile leaves out; keep: positions the user fixed;
    words: `text` cut into words, for the accent's sandhi. Characters that are not Han come back unchanged, so both lists line up with `text`.
    """
    cats = categories(text, citation, accent, words)
    said, kinds = [], []
    for i, (syllable, cat) in enumerate(zip(citation, cats)):
        if i in keep or not syllable[-1:].isdigit() or not HAN.match(text[i]):
            said.append(surface[i] if i not in keep else syllable)
            kinds.append("")
            continue
        if cat is None or cat not in accent.mapped:
            tone = surface[i][-1]  # Mandarin's, sandhi included (a neutral tone stays neutral)
            kinds.append("")
        else:
            tone = accent.tone(cat).say_as
            kinds.append(cat)
        said.append(rewrite(accent, syllable[:-1]) + tone)
    return said, kinds


# ---------------------------------------------------------------- the data files
def accent_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in ACCENTS.glob("*.yaml")))


def load_accent(name: str, choice: dict | None = None) -> Accent:
    """The accent called `name` with a profile's choices (tones, rewrites, contours; None: its defaults).

    BadInput naming the choices for an unknown accent, category or family (the caller places it).
    """
    if name not in accent_names():
        raise BadInput(_("unknown accent '{name}'").format(name=name),
                       yamlsource.choices_fix(name, accent_names()))
    accent = _load_file(ACCENTS / f"{name}.yaml")
    choice = choice or {}
    tones = choice.get("tones", accent.mapped)
    families = choice.get("rewrites", accent.families)
    contours = choice.get("contours", accent.contours)
    for value in tones:
        if value not in CATEGORIES:
            raise BadInput(_("unknown tone category '{value}' for the accent").format(value=value),
                           yamlsource.choices_fix(str(value), CATEGORIES))
    for value in families:
        if value not in accent.all_families:
            raise BadInput(_("unknown rewrite family '{value}' for the accent {name}").format(value=value, name=name),
                           yamlsource.choices_fix(str(value), accent.all_families))
    if contours not in CONTOURS:
        raise BadInput(_("unknown contours '{value}' for the accent").format(value=contours),
                       yamlsource.choices_fix(str(contours), CONTOURS))
    return replace(accent, mapped=frozenset(tones), families=tuple(f for f in accent.all_families if f in families),
                   contours=contours)


@lru_cache(maxsize=None)
def _load_file(path: Path) -> Accent:
    """One accent file, checked; BadInput at its line when something in it is wrong."""
    doc = yamlsource.load(path)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error(_("an accent file must list its settings as `key: value` lines"),
                        _("see broadcaster/data/speech/accents/chuanyu.yaml"))
    yamlsource.check_keys(doc, data, _FILE_KEYS)
    for key in ("name", "label", "tones"):
        if key not in data:
            raise doc.error(_("the accent file has no '{key}'").format(key=key),
                            _("see broadcaster/data/speech/accents/chuanyu.yaml"))
    tones = _tones(doc, data["tones"])
    rewrites = _rewrites(doc, data.get("rewrites") or {})
    families = tuple(dict.fromkeys(r.family for r in rewrites))
    defaults = data.get("defaults") or {}
    yamlsource.check_keys(doc, defaults, {"tones", "rewrites", "contours"}, ("defaults",))
    status = str(data.get("status", "experimental"))
    if status not in STATUSES:
        raise doc.error(_("unknown status '{value}'").format(value=status), yamlsource.choices_fix(status, STATUSES),
                        "status")
    checked = []
    for joins, lines in (data.get("checked_tone") or {}).items():
        if joins not in CATEGORIES:
            raise doc.error(_("unknown tone category '{value}' for the accent").format(value=joins),
                            yamlsource.choices_fix(str(joins), CATEGORIES), "checked_tone", joins)
        checked.append((joins, "".join(lines if isinstance(lines, list) else [str(lines)])))
    exact = data.get("exact_contours") or {}
    yamlsource.check_keys(doc, exact, {"strength", "declination_st"}, ("exact_contours",))
    strength, declination = exact.get("strength", 0.7), exact.get("declination_st", 1.5)
    if not (isinstance(strength, (int, float)) and 0 < strength <= 1 and isinstance(declination, (int, float))
            and 0 <= declination <= 6):
        raise doc.error(_("exact_contours: strength goes from 0 to 1 and declination_st from 0 to 6"),
                        _("e.g. {example}").format(example="exact_contours: {strength: 0.7, declination_st: 1.5}"),
                        "exact_contours")
    accent = Accent(name=str(data["name"]), label=str(data["label"]), status=status, tones=tones,
                    rewrites=rewrites, sandhi=_sandhi(doc, data.get("sandhi") or []), checked=tuple(checked),
                    families=tuple(defaults.get("rewrites", families)),
                    mapped=frozenset(defaults.get("tones", CATEGORIES)),
                    contours=str(defaults.get("contours", "nearest")), region=str(data.get("region", "")),
                    sources=tuple(str(s) for s in data.get("sources") or ()),
                    data_digest=hashlib.sha256(path.read_bytes()).hexdigest()[:12],
                    exact_strength=float(strength), exact_declination_st=float(declination))
    if accent.name != path.stem:
        raise doc.error(_("the accent's name '{name}' is not its file's name").format(name=accent.name),
                        _("write name: {stem}").format(stem=path.stem), "name")
    return accent


def _tones(doc: yamlsource.YamlDoc, tones) -> tuple[Tone, ...]:
    if not isinstance(tones, dict) or set(tones) != set(CATEGORIES):
        raise doc.error(_("the accent must give its four tone categories"),
                        _("write tones: with 阴平, 阳平, 上声 and 去声 below it"), "tones")
    out, seen = [], set()
    for cat in CATEGORIES:
        spec = tones[cat]
        if not isinstance(spec, dict):
            raise doc.error(_("{category}: from_mandarin and say_as must be Mandarin tones 1 to 4 (say_as may be 5)"
                              ).format(category=cat), _("e.g. {example}").format(
                                  example="阳平: {from_mandarin: 2, chao: \"21\", shape: low falling, say_as: 3}"),
                            "tones", cat)
        yamlsource.check_keys(doc, spec, _TONE_KEYS, ("tones", cat))
        mandarin, say_as = str(spec.get("from_mandarin", "")), str(spec.get("say_as", ""))
        chao, shape = str(spec.get("chao", "")), str(spec.get("shape", ""))
        if mandarin not in ("1", "2", "3", "4") or mandarin in seen or say_as not in ("1", "2", "3", "4", "5"):
            raise doc.error(_("{category}: from_mandarin and say_as must be Mandarin tones 1 to 4 (say_as may be 5)"
                              ).format(category=cat), _("e.g. {example}").format(
                                  example="阳平: {from_mandarin: 2, chao: \"21\", shape: low falling, say_as: 3}"),
                            "tones", cat)
        if not re.fullmatch(r"[1-5]{1,3}", chao) or shape not in SHAPES:
            raise doc.error(_("{category}: chao must be Chao numbers such as 213, and shape one of {shapes}").format(
                category=cat, shapes=", ".join(SHAPES)), _("e.g. {example}").format(
                    example="chao: \"213\", shape: low dipping"), "tones", cat)
        seen.add(mandarin)
        out.append(Tone(cat, mandarin, chao, shape, say_as))
    return tuple(out)


def _rewrites(doc: yamlsource.YamlDoc, families) -> tuple[Rewrite, ...]:
    out = []
    if not isinstance(families, dict):
        raise doc.error(_("rewrites must be named families, each a list of match/to pairs"),
                        _("e.g. {example}").format(example="retroflex: [{match: '^zh', to: z}]"), "rewrites")
    for family, items in families.items():
        for i, item in enumerate(items or []):
            if not isinstance(item, dict) or set(item) != {"match", "to"}:
                raise doc.error(_("rewrites must be named families, each a list of match/to pairs"),
                                _("e.g. {example}").format(example="retroflex: [{match: '^zh', to: z}]"),
                                "rewrites", family, i)
            try:
                out.append(Rewrite(str(family), re.compile(str(item["match"])), str(item["to"])))
            except re.error as exc:
                raise doc.error(_("the pattern '{pattern}' is not a regular expression ({error})").format(
                    pattern=item["match"], error=exc), _("write it as the other patterns in the file are, "
                                                         "e.g. '^zh' for a syllable that starts with zh"),
                    "rewrites", family, i) from None
    return tuple(out)


def _sandhi(doc: yamlsource.YamlDoc, rules) -> tuple[Sandhi, ...]:
    out = []
    for i, rule in enumerate(rules):
        pair = rule.get("in_a_word") if isinstance(rule, dict) else None
        becomes = rule.get("first_becomes") if isinstance(rule, dict) else None
        if not (isinstance(pair, list) and len(pair) == 2 and set(pair) <= set(CATEGORIES) and becomes in CATEGORIES):
            raise doc.error(_("a sandhi rule names two categories in a word and what the first becomes"),
                            _("e.g. {example}").format(example="{in_a_word: [阴平, 阴平], first_becomes: 阳平}"),
                            "sandhi", i)
        out.append(Sandhi(pair[0], pair[1], becomes))
    return tuple(out)
