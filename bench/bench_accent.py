"""The 川渝 accent on the Mandarin voices, measured: does it show its tone shapes, and is it still heard?

1. Shapes. Sentences made of one Mandarin tone category each (two per category, no checked-tone
   characters, no 一/不) and 16 clauses of the example notices are read by the sichuan_chongqing
   profile twice: plain (its words with Mandarin tones: `with_accent(None)`) and with its accent
   (chuanyu). Each syllable's start and end come from the model's own durations
   (`synthesize_timed`), its pitch from Praat (accent_measure.py). Per category the syllables are
   pooled (each text's last syllable left out: final lowering is the sentence's, not the tone's) and
   scored by the rule in accent_measure.py. A category shows the accent when the accented reading
   has the accent's shape (川渝: 阴平 high level, 阳平 low falling, 上声 high falling, 去声 low dipping
   or rising) and the plain reading does not (阴平's shape is the same in both: it must keep it).
   Target: 3 of 4 categories, in the clauses and in the one-tone sentences.
2. Listener. Every Mandarin example notice (the Cantonese one aside), each read once, rendered
   with the profile plain and with the accent, proof-listened by `broadcaster verify`'s listener
   (Whisper base) and scored as it scores: characters heard right (1 − CER) and syllables heard right
   (1 − toneless pinyin error rate). The pass line is the syllables figure, ≥ 75%: the listener is a
   Mandarin ear that writes the Mandarin word whose tones it heard, so an accent that moves two or
   more tone categories cannot keep 75% of the characters (docs/accent-research.md §4; docs/verify.md).
3. Cost: the front end with the accent against without it, over the notices' text.

Voices: BROADCASTER_BENCH_ACCENT_VOICES (default `kokoro:male`; e.g. `kokoro:male,kokoro:female,neural`).
Readings for the listener: BROADCASTER_BENCH_ACCENT_READINGS (default `plain,accent`; also `exact`,
the accent's Chao contours by PSOLA, and `all-rewrites`); for the shapes BROADCASTER_BENCH_ACCENT_SHAPES
(default `accent,exact`), with the reshaping's cost against the synthesis' (target: at most a tenth). Parts: BROADCASTER_BENCH_ACCENT_PARTS
(default `shapes,listen,cost`). The table is printed on stderr.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from accent_measure import MANDARIN, Contour, contour, pooled, shows, track
from measure import Measure

ROOT = Path(__file__).resolve().parent.parent
PROFILE = "sichuan_chongqing"
CATEGORIES = ("阴平", "阳平", "上声", "去声")
# every syllable of a sentence in one category (citation tone), no checked characters, no 一/不
ONE_TONE = {
    "阴平": ("今天通知三村乡亲", "东区乡村公交今天开通"),
    "阳平": ("人民银行门前", "全年农民来排查"),
    "上声": ("老李买好雨伞", "请你早点把水管整好"),
    "去声": ("外地去办证要上报", "现在到这看病要戴罩"),
}
# clauses of the example notices (mixed tones, Chinese characters only)
CLAUSES = ("因小区出现一例确诊病例", "生活物资由工作人员统一配送到家", "请马上联系村委会", "明天上午九点",
           "把晾在外面的衣服收回家", "请大家不要靠近消杀人员", "社区居委会祝大家春节快乐", "出门请戴好口罩",
           "只开放西侧门一个出入口", "配合测量体温", "大家可以外出采购生活用品", "请提前告诉村委会",
           "我们上门采样", "体温超过三十七点三摄氏度的", "请大家不要相信", "没有不舒服再回家")
SYLLABLES_TARGET = 0.75
SHAPES_TARGET = 3
SHAPING_TARGET = 0.1  # the exact contours may add at most a tenth to the synthesis time


def _env(name: str, default: str) -> list[str]:
    return [x.strip() for x in os.environ.get(name, default).split(",") if x.strip()]


def _voice(spec: str):
    """'kokoro:male' -> (engine, the profile spoken by that speaker)."""
    from broadcaster.speech.voices import get_profile

    engine, _, speaker = spec.partition(":")
    profile = get_profile(PROFILE)
    return engine, (profile.with_speaker(speaker) if speaker else profile)


def _reading(profile, reading: str):
    """The profile as one of the benchmark's readings."""
    from broadcaster.speech.accent import load_accent

    accent = profile.accent
    if reading == "plain":
        return profile.with_accent(None)
    if reading == "exact":
        return profile.with_accent(replace(accent, contours="exact"))
    if reading == "all-rewrites":
        return profile.with_accent(load_accent(accent.name, {"rewrites": list(accent.all_families)}))
    return profile


# ---------------------------------------------------------------- 1. shapes
def _measured(engine, profile, text: str):
    """(each syllable's contour against 1 Hz (made relative to the speaker's median later), the F0
    track's times and values, the clip, the syllable times)."""
    clip, times = engine.synthesize_timed(text, profile)
    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32768.0
    t, f0 = track(samples, clip.sample_rate)
    return [contour(t, f0, s.start, s.end, 1.0) for s in times], t, f0, clip, times


def _relative(c: Contour | None, ref_st: float) -> Contour | None:
    if c is None:
        return None
    return Contour(c.level - ref_st, c.slope, c.start - ref_st, c.mid - ref_st, c.end - ref_st)


def shapes(spec: str, lines: list[str]) -> list[Measure]:
    from broadcaster.engines.base import get_engine
    from broadcaster.engines.contours import reshape
    from broadcaster.speech.accent import categories
    from broadcaster.speech.pronounce import readings
    from broadcaster.speech.spoken import spoken_text

    engine_name, profile = _voice(spec)
    engine = get_engine(engine_name)
    accent = profile.accent
    said_as = [r for r in ("accent", "exact") if r in _env("BROADCASTER_BENCH_ACCENT_SHAPES", "accent,exact")]
    sets = {"one-tone": [t for texts in ONE_TONE.values() for t in texts], "clauses": list(CLAUSES)}
    rows = []  # (set, categories, {reading: contours})
    plain_f0 = []
    seconds = audio = shaping = shaped_audio = 0.0
    for name, texts in sets.items():
        for written in texts:
            text = spoken_text(written, profile).text  # the profile's local words, as it says them
            cats = categories(text, readings(text)[0], accent)
            measured = {}
            for reading in ("plain", *said_as):
                t0 = time.perf_counter()
                measured[reading], t, f0, clip, times = _measured(engine, _reading(profile, reading), text)
                if reading != "exact":
                    seconds += time.perf_counter() - t0
                    audio += clip.duration
                if reading == "plain":
                    plain_f0.append(f0[f0 > 0])
                if reading == "accent" and "exact" in said_as:  # the reshaping alone, timed
                    samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32768.0
                    t0 = time.perf_counter()
                    reshape(samples, clip.sample_rate, tuple((s.start, s.end) for s in times),
                            tuple(s.category for s in times), accent)
                    shaping += time.perf_counter() - t0
                    shaped_audio += clip.duration
            if all(len(m) == len(text) for m in measured.values()):  # else a syllable merged (儿化) or dropped
                rows.append((name, cats, measured))
    ref_st = float(12 * np.log2(np.median(np.concatenate(plain_f0))))
    out = []
    for name in sets:
        passed = {r: 0 for r in said_as}
        mandarin = 0
        for cat in CATEGORIES:
            shape = accent.tone(cat).shape
            pool: dict[str, list] = {r: [] for r in ("plain", *said_as)}
            for set_name, cats, measured in rows:
                if set_name != name:
                    continue
                for k in range(len(cats) - 1):  # the text's last syllable left out
                    if cats[k] == cat:
                        for reading, contours in measured.items():
                            if contours[k] is not None:
                                pool[reading].append(_relative(contours[k], ref_st))
            p = pooled(pool["plain"])
            shows_mandarin = shows(p, MANDARIN[cat])
            mandarin += shows_mandarin
            cells = [f"{_cell(p)} {'✓' if shows_mandarin else '✗'}"]
            for reading in said_as:
                a = pooled(pool[reading])
                ok = shows(a, shape) and (shape == MANDARIN[cat] or not shows(p, shape))
                passed[reading] += ok
                cells.append(f"{_cell(a)} {'✓' if ok else '✗'}")
            lines.append(f"| {spec} | {name} | {cat} {accent.tone(cat).chao} {shape} | " + " | ".join(cells)
                         + f" | {len(pool['plain'])} |")
        for reading in said_as:
            what = "the accent" if reading == "accent" else "the accent's exact contours (PSOLA)"
            out.append(Measure(f"{spec}: {name}: categories showing the 川渝 shape with {what}", passed[reading],
                               SHAPES_TARGET, "of 4", higher_is_better=True,
                               detail=f"(plain Mandarin shows Mandarin's own shape in {mandarin} of 4; "
                                      f"speaker median {2 ** (ref_st / 12):.0f} Hz)"))
    out.append(Measure(f"{spec}: synthesis with syllable times, plain and accent", audio / max(seconds, 1e-9),
                       0.0, "x real time", higher_is_better=True, detail=f"({audio:.0f} s of speech)"))
    if shaped_audio:  # against the synthesis in the same run: the ratio holds on a loaded machine too
        out.append(Measure(f"{spec}: exact contours (PSOLA with its pitch tracking) / synthesis",
                           (shaping / shaped_audio) / (seconds / max(audio, 1e-9)), SHAPING_TARGET, "x",
                           detail=f"({shaped_audio / shaping:.0f}x real time on one core; synthesis "
                                  f"{audio / seconds:.1f}x; {shaped_audio:.0f} s of speech)"))
    return out


def _cell(c: Contour | None) -> str:
    if c is None:
        return "–"
    return f"{c.start:+.1f}/{c.mid:+.1f}/{c.end:+.1f} st, level {c.level:+.1f}, slope {c.slope:+.0f} st/s"


# ---------------------------------------------------------------- 2. the listener
def listen(spec: str, lines: list[str]) -> list[Measure]:
    from broadcaster import listen as listening
    from broadcaster.notice import load_notice
    from broadcaster.examine import prepare
    from broadcaster.render import RenderOptions, render_prepared
    from broadcaster.verify import pooled as pooled_scores
    from broadcaster.verify import verify_files

    ok, why = listening.available()
    if not ok:
        return [Measure(f"listener not installed ({why})", 0.0, SYLLABLES_TARGET, "", higher_is_better=True)]
    engine_name, profile = _voice(spec)
    notices = [p for p in sorted((ROOT / "examples" / "notices").glob("*.yaml")) if "cantonese" not in p.stem]
    listener = listening.Listener()
    tmp = Path(tempfile.mkdtemp(prefix="bench-accent-"))
    out = []
    try:
        for reading in _env("BROADCASTER_BENCH_ACCENT_READINGS", "plain,accent"):
            folder = tmp / reading
            files = []
            t0 = time.perf_counter()
            for path in notices:
                prepared = prepare(replace(load_notice(path), repeat=1), voice_override=PROFILE,
                                   speaker=profile.speaker)
                prepared = replace(prepared, voice=_reading(prepared.voice, reading))
                done = render_prepared(prepared, RenderOptions(out_dir=folder, engine=engine_name))
                files.append(folder / done.file)
            rendered = time.perf_counter() - t0
            verdicts = verify_files(files, listener)
            total = pooled_scores([v.score for v in verdicts if v.score is not None])
            syllables = 1 - total.pinyin_errors
            lines.append(f"| {spec} | {reading} | {total.heard_right:.1%} | {syllables:.1%} | "
                         f"{1 - total.tone_errors:.1%} | {total.characters} |")
            detail = (f"({len(files)} notices read once, {total.characters} characters; characters heard right "
                      f"{total.heard_right:.1%}; rendered in {rendered:.0f} s)")
            accented = reading != "plain"
            out.append(Measure(f"{spec} {reading}: syllables heard right", syllables,
                               SYLLABLES_TARGET if accented else 0.0, "", higher_is_better=True, detail=detail))
            # the characters are reported, not a pass line: see the module's notes
            out.append(Measure(f"{spec} {reading}: characters heard right", total.heard_right, 0.0, "",
                               higher_is_better=True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---------------------------------------------------------------- 3. the accent stage's cost
def cost() -> list[Measure]:
    from broadcaster.speech import pinyin
    from broadcaster.speech.voices import get_profile
    from measure import notice_texts

    texts = notice_texts(ROOT)
    accent = get_profile(PROFILE).accent
    timings: dict[str, float] = {}
    for label, chosen in (("plain", None), ("accent", accent)) * 4:
        pinyin._cached.cache_clear()  # each pass reads the texts afresh
        t0 = time.perf_counter()
        for text in texts:
            pinyin.mandarin_pinyin(text, accent=chosen)
        took = time.perf_counter() - t0
        timings[label] = min(took, timings.get(label, took))  # the quickest pass: the least disturbed
    chars = sum(len(t) for t in texts)
    return [Measure("front end with the 川渝 accent / without", timings["accent"] / timings["plain"], 1.5, "x",
                    detail=f"({chars} characters: {timings['accent'] * 1000:.0f} ms against "
                           f"{timings['plain'] * 1000:.0f} ms)")]


def run() -> list[Measure]:
    import importlib.util

    if importlib.util.find_spec("parselmouth") is None:
        return [Measure("praat-parselmouth not installed (pip install 'broadcaster[accent]')", 0.0, 3, "",
                        higher_is_better=True)]
    parts = _env("BROADCASTER_BENCH_ACCENT_PARTS", "shapes,listen,cost")
    voices = _env("BROADCASTER_BENCH_ACCENT_VOICES", "kokoro:male")
    said_as = _env("BROADCASTER_BENCH_ACCENT_SHAPES", "accent,exact")
    shape_lines = ["| voice | sentences | category (Chao, shape) | plain: start/mid/end, level, slope; Mandarin's "
                   "shape? | " + " | ".join(f"{r}: the same; 川渝 shape?" for r in said_as) + " | syllables |",
                   "| --- | --- | --- | --- | " + "--- | " * len(said_as) + "--- |"]
    listen_lines = ["| voice | reading | characters heard right | syllables heard right | toned syllables | "
                    "characters |", "| --- | --- | --- | --- | --- | --- |"]
    out: list[Measure] = []
    for spec in voices:
        if "shapes" in parts:
            out += shapes(spec, shape_lines)
        if "listen" in parts:
            out += listen(spec, listen_lines)
    if "cost" in parts:
        out += cost()
    if "shapes" in parts:
        print("\n".join(shape_lines), file=sys.stderr)
    if "listen" in parts:
        print("\n".join(listen_lines), file=sys.stderr)
    return out
