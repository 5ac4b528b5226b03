"""Intelligibility per offline engine, judged by an independent listener (Whisper base).

Every example notice is rendered with each offline engine the registry can use here; each
program is cut at its pauses, transcribed, and compared with its spoken text (as
`broadcaster verify` does). Pooled over all notices: the share of characters heard right
(1 − CER) and the pinyin error rate (toneless syllables; homophones are not errors). The
targets apply to the default offline engine, the first available in `auto` order; the others
are shown beside it for comparison.
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent
HEARD_TARGET = 0.90
PINYIN_TARGET = 0.05


def offline_engines() -> list[str]:
    """Usable offline engines in `auto` order, then any others the registry knows."""
    from broadcaster.engines.base import AUTO_ORDER, engine_names, get_engine
    from broadcaster.errors import EngineUnavailable

    names = [n for n in AUTO_ORDER if n in engine_names()] + [n for n in engine_names() if n not in AUTO_ORDER]
    out = []
    for name in names:
        try:
            engine = get_engine(name)
        except EngineUnavailable:
            continue
        if getattr(engine, "online", name == "edge"):  # edge needs the internet: not an offline voice
            continue
        if engine.available()[0]:
            out.append(name)
    return out


def run() -> list[Measure]:
    from broadcaster import listen
    from broadcaster.render import RenderOptions, render_files
    from broadcaster.verify import pooled, verify_files

    ok, why = listen.available()
    if not ok:
        return [Measure(f"listener not installed ({why})", 0.0, HEARD_TARGET, "", higher_is_better=True)]
    notices = sorted((ROOT / "examples" / "notices").glob("*.yaml"))
    listener = listen.Listener()
    tmp = Path(tempfile.mkdtemp(prefix="bench-listen-"))
    out: list[Measure] = []
    try:
        engines = offline_engines()
        for i, name in enumerate(engines):
            folder = tmp / name
            done, failed = render_files(notices, RenderOptions(out_dir=folder, engine=name))
            t0 = time.perf_counter()
            verdicts = verify_files([folder / r.file for r in done], listener)
            listened = time.perf_counter() - t0
            scores = [v.score for v in verdicts if v.score is not None]
            if not scores:
                continue
            total = pooled(scores)
            audio = sum(r.duration for r in done)
            default = i == 0
            role = "default offline engine" if default else "for comparison"
            worst = min(verdicts, key=lambda v: v.score.heard_right if v.score else 1.0)
            detail = (f"{len(scores)} of {len(notices)} notices ({len(failed)} failed), {total.characters} characters, "
                      f"toned pinyin error {total.tone_errors:.3f}; lowest {Path(worst.file).stem} "
                      f"{worst.score.heard_right:.1%}; {audio:.0f} s heard in {listened:.0f} s")
            out.append(Measure(f"{name} ({role}): characters heard right", total.heard_right,
                               HEARD_TARGET if default else 0.0, "", higher_is_better=True, detail=detail))
            # another engine has no target: ">= 0" always holds (and keeps --json valid JSON)
            out.append(Measure(f"{name} ({role}): pinyin error rate", total.pinyin_errors,
                               PINYIN_TARGET if default else 0.0, "", higher_is_better=not default))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
