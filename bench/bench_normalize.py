"""Normalization speed: a 1,000-character notice through spoken_text, after the first call."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import yaml

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent


def notice_text(chars: int = 1000) -> str:
    """A notice of about `chars` characters made of the test table's seed-style sentences."""
    cases = yaml.safe_load((ROOT / "tests" / "speech" / "data" / "normalize_cases.yaml").read_text(encoding="utf-8"))
    # every third sentence has dialect words and polyphones, so the segmenter runs too
    plain = ["不要出门，不要聚集，知道了吗？", "孩子们不要出去玩，在家待着不要乱跑。", "已接种的村民一会儿还要测体温。"]
    out = ""
    i = 0
    while len(out) < chars:
        out += cases[i % len(cases)]["in"].rstrip("。") + "。"
        if i % 3 == 2:
            out += plain[i % len(plain)]
        i += 1
    return out[:chars]


def _median_ms(fn, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run() -> list[Measure]:
    from pypinyin import lazy_pinyin

    from broadcaster.speech.spoken import spoken_text
    from broadcaster.speech.voices import get_profile

    text = notice_text()
    voice = get_profile("sichuan_chongqing")  # dialect words too: the segmenter runs
    t0 = time.perf_counter()
    first = spoken_text(text, voice, engine="espeak")
    first_ms = (time.perf_counter() - t0) * 1000
    ours = _median_ms(lambda: spoken_text(text, voice, engine="espeak"))
    raw = _median_ms(lambda: lazy_pinyin(text))  # the raw component every Chinese TTS front end runs
    assert len(first.text) > 900
    return [
        Measure("normalize a 1,000-character notice (after the first call)", ours, 50, unit="ms",
                detail=f"first call {first_ms:.0f} ms incl. loading the segmenter"),
        Measure("normalize 1,000 chars / pypinyin lazy_pinyin of the same text", ours / raw, 3,
                detail=f"ours {ours:.1f} ms, pypinyin {raw:.1f} ms"),
    ]
