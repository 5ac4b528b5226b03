"""The first second of every program holds the chime: tonal energy at the chime's notes (FFT)."""
from __future__ import annotations

import numpy as np
import pytest

from tests.audiotools import decode, probe
from tests.helpers import write

RATE = 16000
TEXT = "今天下午三点在村委会门口发放物资。"
# a chime note stands ~60 dB above the band's median; speech harmonics reach ~20 dB
PRESENT, ABSENT = 40, 25


def render(run, tmp_path, extra: str = "", profile: str = "loudspeaker", name: str = "c"):
    path = write(tmp_path / f"{name}.yaml", f"id: {name}\ntitle: 测试\ntext: {TEXT}\nrepeat: 1\n{extra}")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak", "--profile", profile)
    assert r.code == 0, r.err
    return tmp_path / "out" / f"{name}.mp3"


def prominence(samples: np.ndarray, freq: float) -> float:
    """dB by which the spectrum near `freq` stands above the median of the 200-4000 Hz band."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / RATE)
    near = spectrum[(freqs > freq - 6) & (freqs < freq + 6)].max()
    band = np.median(spectrum[(freqs > 200) & (freqs < 4000)])
    return float(20 * np.log10(near / band))


def notes(kind: str) -> tuple[float, ...]:
    from broadcaster.audio.chime import chime_specs
    return chime_specs()[kind].frequencies()


@pytest.mark.slow
def test_attention_chime_in_the_first_second(run, tmp_path):
    first = decode(render(run, tmp_path), RATE)[:RATE]
    for f in notes("attention")[:3]:
        assert prominence(first, f) > PRESENT, f
    # and not the urgent chime (its 1318 Hz is an overtone of the attention chime's 659 Hz)
    assert prominence(first, notes("urgent")[0]) < ABSENT


@pytest.mark.slow
@pytest.mark.parametrize("priority", ["urgent", "emergency"])
def test_urgent_notices_open_with_the_urgent_chime(run, tmp_path, priority):
    first = decode(render(run, tmp_path, f"priority: {priority}\n"), RATE)[:RATE]
    for f in notes("urgent"):
        assert prominence(first, f) > PRESENT, f
    assert prominence(first, notes("attention")[0]) < ABSENT


@pytest.mark.slow
def test_loop_player_chime_follows_its_leading_silence(run, tmp_path):
    first = decode(render(run, tmp_path, profile="loop-player"), RATE)[:RATE]
    assert np.abs(first[: int(0.3 * RATE)]).max() < 10 ** (-50 / 20)
    for f in notes("attention")[:2]:
        assert prominence(first, f) > PRESENT, f


@pytest.mark.slow
def test_no_chime_when_the_notice_says_so(run, tmp_path):
    with_chime = probe(render(run, tmp_path, name="a")).duration
    path = render(run, tmp_path, "chime: false\n", name="b")
    first = decode(path, RATE)[:RATE]
    assert all(prominence(first, f) < ABSENT for f in notes("attention"))
    assert with_chime - probe(path).duration > 1.5


@pytest.mark.slow
def test_closing_chime_at_the_end(run, tmp_path):
    samples = decode(render(run, tmp_path, "closing_chime: true\n"), RATE)
    last = samples[-int(2.0 * RATE):]
    for f in notes("closing"):
        assert prominence(last, f) > PRESENT, f


@pytest.mark.slow
def test_truck_profile_closes_with_a_chime_by_default(run, tmp_path):
    samples = decode(render(run, tmp_path, profile="truck"), RATE)
    assert prominence(samples[-int(2.0 * RATE):], notes("closing")[-1]) > PRESENT


def test_chime_synthesis_rises_and_stays_below_full_scale():
    from broadcaster.audio.chime import chime_samples

    x = chime_samples("attention", RATE)
    assert 0.5 < np.abs(x).max() < 0.75  # -3 dBFS peak as chimes.yaml says
    # rising: the dominant frequency of each quarter goes up
    quarter = len(x) // 5
    peaks = []
    for k in range(4):
        seg = x[int(k * 0.28 * RATE): int(k * 0.28 * RATE) + quarter // 2]
        spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
        peaks.append(np.fft.rfftfreq(len(seg), 1 / RATE)[spectrum.argmax()])
    assert peaks == sorted(peaks) and peaks[-1] > peaks[0] * 1.8, peaks
