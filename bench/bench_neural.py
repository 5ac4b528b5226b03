"""Neural voice: real-time factor on one core for the example notices, our overhead over the raw
LiteRT calls, and how the deterministic model variants compare with the original random one."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from measure import Measure, notice_texts

ROOT = Path(__file__).resolve().parent.parent


def _speed(engine, texts, voice) -> tuple[float, float]:
    """(audio seconds, CPU seconds) of the engine speaking all texts.

    CPU time, not wall time: with one thread it is the work one core does, and it does not
    count the time other programs on a shared machine take the core away."""
    audio = 0.0
    t0 = time.process_time()
    for text in texts:
        audio += engine.synthesize(text, voice).duration
    return audio, time.process_time() - t0


def _raw(texts, speed: float) -> float:
    """CPU seconds LiteRT alone takes for the same symbol sequences (the raw components)."""
    from ai_edge_litert.interpreter import Interpreter

    from broadcaster.engines import neural, neural_model

    acoustic = Interpreter(model_path=str(neural_model.acoustic_model("fixed")), num_threads=1)
    vocoder = Interpreter(model_path=str(neural_model.asset_dir() / neural_model.VOCODER), num_threads=1)
    sequences = [neural.symbol_ids(neural.phonemes(p.text)) for t in texts for p in neural.pieces(t)]
    neural._run_vocoder(vocoder, neural._run_acoustic(acoustic, sequences[0], speed))  # warm-up
    t0 = time.process_time()
    for ids in sequences:
        neural._run_vocoder(vocoder, neural._run_acoustic(acoustic, ids, speed))
    return time.process_time() - t0


def _variant_distances(texts) -> tuple[float, float, float]:
    """Mean L1 distance of a held-out random mel, the fixed-mask mel and the bypass mel from the
    mean of the original (random) model's mels, over the first pieces of the notices."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from broadcaster.engines import neural, neural_model

    models = {v: Interpreter(model_path=str(neural_model.acoustic_model(v)), num_threads=1)
              for v in neural_model.VARIANTS}
    held, fixed, bypass = [], [], []
    for text in texts:
        for piece in neural.pieces(text)[:3]:
            ids = neural.symbol_ids(neural.phonemes(piece.text))
            draws = [neural._run_acoustic(models["random"], ids, 1.0)[0].copy() for _ in range(7)]
            rest = np.stack(draws[1:]).mean(axis=0)
            held.append(np.abs(draws[0] - rest).mean())
            fixed.append(np.abs(neural._run_acoustic(models["fixed"], ids, 1.0)[0] - rest).mean())
            bypass.append(np.abs(neural._run_acoustic(models["bypass"], ids, 1.0)[0] - rest).mean())
    return float(np.mean(held)), float(np.mean(fixed)), float(np.mean(bypass))


def run() -> list[Measure]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-neural-"))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    try:
        from broadcaster.engines.neural import NeuralEngine
        from broadcaster.speech.voices import get_profile

        engine = NeuralEngine(num_threads=1)
        ok, why = engine.available()
        if not ok:
            return [Measure(f"neural voice not installed ({why})", 0.0, 10.0, "x", higher_is_better=True)]
        voice = get_profile("mandarin")
        texts = notice_texts(ROOT)  # every example notice, as the claim says
        t0 = time.perf_counter()
        engine.synthesize("各位村民请注意", voice)  # model rewrite (first run only) and load
        start = time.perf_counter() - t0
        audio, wall = _speed(engine, texts, voice)
        inside = _raw(texts, engine.parameters(voice)["speed"])
        chars = sum(len(re.findall(r"[\u4e00-\u9fff]", t)) for t in texts)
        held, fixed, bypass = _variant_distances(texts[:4])  # 12 pieces x 7 draws: enough
        return [
            Measure("neural: audio seconds per second of synthesis, one core", audio / wall, 10.0,
                    higher_is_better=True,
                    detail=f"{len(texts)} notices, {audio:.1f} s of speech in {wall:.2f} CPU s; "
                           f"{chars / audio:.1f} characters/s spoken; first use {start:.2f} s"),
            Measure("neural: engine time / raw LiteRT invoke time", wall / inside, 1.25,
                    detail=f"engine {wall:.2f} CPU s, LiteRT alone {inside:.2f} CPU s"),
            Measure("neural: fixed-mask mel distance / a random draw's (original model)", fixed / held, 1.5,
                    detail=f"fixed {fixed:.4f}, random {held:.4f}, bypassed dropout {bypass:.4f} "
                           f"({bypass / held:.1f}x: why bypass is not the default)"),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
