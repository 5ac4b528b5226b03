"""Small numpy steps the audio modules share: a moving average, and the runs of a yes/no track."""
from __future__ import annotations

import numpy as np


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average of the same length; the ends hold the nearest full window's value
    (a zero-padded average would dip at both ends and read a loud start as quiet)."""
    if width <= 1 or len(x) == 0:
        return x
    width = min(width, len(x))
    c = np.concatenate(([0.0], np.cumsum(x)))
    out = (c[width:] - c[:-width]) / width
    pad = width // 2
    return np.concatenate((np.full(pad, out[0]), out, np.full(len(x) - len(out) - pad, out[-1])))


def runs(flags: np.ndarray, join: int = 0) -> list[tuple[int, int]]:
    """[start, end) of the runs of True, runs closer than `join` steps joined into one."""
    edges = np.diff(np.concatenate(([0], np.asarray(flags).astype(np.int8), [0])))
    out: list[list[int]] = []
    for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
        if out and a - out[-1][1] <= join:
            out[-1][1] = b
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
