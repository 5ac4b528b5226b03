"""Synthesized percussion for jingles (numpy): a woodblock 'tok' and a lighter clapper 'tik'.

Synthesized rather than sampled so the wheel ships no recordings and no licence questions.
"""
from __future__ import annotations

import numpy as np


def woodblock(sample_rate: int, accent: bool = False) -> np.ndarray:
    """A short hollow knock: two damped partials of a wooden bar and a click of noise, float in [-1, 1]."""
    dur = 0.12 if accent else 0.08
    t = np.arange(int(sample_rate * dur)) / sample_rate
    base = 820.0 if accent else 1250.0   # the 大板 knock is lower than the 节子 tick
    decay = np.exp(-t * (38.0 if accent else 55.0))
    tone = np.sin(2 * np.pi * base * t) + 0.45 * np.sin(2 * np.pi * base * 2.71 * t) * np.exp(-t * 90.0)
    rng = np.random.default_rng(7)        # fixed: the same sound on every render
    click = rng.standard_normal(len(t)) * np.exp(-t * 900.0) * 0.5
    out = (tone * decay + click)
    attack = min(len(out), int(sample_rate * 0.002))
    out[:attack] *= np.linspace(0.0, 1.0, attack, endpoint=False)
    return (out / np.max(np.abs(out))).astype(np.float32)


SOUNDS = {"woodblock": woodblock}


def strike(name: str, sample_rate: int, accent: bool) -> np.ndarray:
    return SOUNDS[name](sample_rate, accent)
