"""Kokoro voice: real-time factor on one core for the example notices, and our overhead over the raw
ONNX Runtime calls for the same phonemes."""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before onnxruntime loads: one core, as measured

import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from measure import Measure, notice_texts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _raw(engine, texts, voice) -> float:
    """CPU seconds ONNX Runtime alone takes for the same token sequences (the raw component)."""
    from broadcaster.engines import kokoro, kokoro_model

    params = engine.parameters(voice)
    styles = kokoro_model.voice_style(params["speaker"])
    sequences = [kokoro.token_ids(p.phonemes) for t in texts for p in kokoro.plan(t)]
    session = engine._load()
    t0 = time.process_time()
    for ids in sequences:
        kokoro._run(session, ids, styles[len(ids) - 1], params["speed"])
    return time.process_time() - t0


def run() -> list[Measure]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-kokoro-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    try:
        from broadcaster.engines.kokoro import KokoroEngine
        from broadcaster.speech.voices import get_profile

        engine = KokoroEngine(num_threads=1)  # intra_op_num_threads=1
        ok, why = engine.available()
        if not ok:
            return [Measure(f"kokoro voice not installed ({why})", 0.0, 1.5, "x", higher_is_better=True)]
        voice = get_profile("mandarin")
        texts = notice_texts(ROOT)
        t0 = time.perf_counter()
        engine.synthesize("各位村民请注意", voice)  # model load (parts joined and checked) and warm-up
        start = time.perf_counter() - t0
        audio, costs = 0.0, []
        for text in texts:
            c0 = time.process_time()
            audio += engine.synthesize(text, voice).duration
            costs.append(time.process_time() - c0)
        cpu = sum(costs)
        few = 4  # the raw comparison on the first notices only: the whole set takes minutes more
        inside = _raw(engine, texts[:few], voice)
        chars = sum(len(re.findall(r"[\u4e00-\u9fff]", t)) for t in texts)
        return [
            Measure("kokoro: audio seconds per second of synthesis, one core", audio / cpu, 1.5,
                    higher_is_better=True,
                    detail=f"{len(texts)} notices, {audio:.1f} s of speech in {cpu:.1f} CPU s "
                           f"(speaker {engine.parameters(voice)['speaker']}, speed "
                           f"{engine.parameters(voice)['speed']:g}); {chars / audio:.1f} characters/s spoken; "
                           f"first use {start:.2f} s"),
            Measure("kokoro: engine time / raw ONNX Runtime time", sum(costs[:few]) / inside, 1.25,
                    detail=f"first {few} notices: engine {sum(costs[:few]):.1f} CPU s, "
                           f"ONNX Runtime alone {inside:.1f} CPU s"),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
