"""Held-out real jingles with hand-labelled rhyme pairs: the checker must agree on >= 90% of pairs."""
from __future__ import annotations

from pathlib import Path

import yaml

from broadcaster.jingle.bank import topics, typical_values
from broadcaster.jingle.check import check_lines
from broadcaster.speech.voices import VoiceProfile

HELDOUT = Path(__file__).parent / "data" / "jingles_heldout.yaml"


def _jingles() -> list[dict]:
    return yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))


def test_checker_agrees_with_hand_labels():
    agree, total, misses = 0, 0, []
    for jingle in _jingles():
        system = jingle["rhyme_system"]
        voice = VoiceProfile(name=system, display=system, rhyme=system)
        report = check_lines(jingle["lines"], jingle["form"], "group", voice)
        got = [(p.a.text[0], p.b.text[0], p.verdict.verdict) for p in report.pairs]
        labels = [tuple(x) for x in jingle["pairs"]]
        # a pair the checker does not find, or finds at other characters, counts as a disagreement
        total += max(len(got), len(labels))
        for g, want in zip(got, labels):
            if g == want:
                agree += 1
            else:
                misses.append((jingle["name"], g, want))
    assert total >= 60, "the held-out set should stay large enough to mean something"
    assert agree / total >= 0.9, f"{agree}/{total} agree; misses: {misses}"


def test_every_verdict_kind_is_represented():
    labels = [p[2] for j in _jingles() for p in j["pairs"]]
    assert {"perfect", "group", "dialect", "none"} <= set(labels)
    assert labels.count("none") >= 8 and labels.count("group") >= 4


def test_heldout_lines_are_not_in_the_bank():
    """Held out means held out: no labelled line is one of our bank lines."""
    values = typical_values()
    bank = {e.filled(values) for t in topics() for e in t.entries()}
    held = {line for j in _jingles() for line in j["lines"]}
    bank_parts = bank | {p for line in bank for p in line.split("、")}
    assert not held & bank_parts, held & bank_parts
