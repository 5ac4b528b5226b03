"""Mastering measured independently with ffmpeg's ebur128: loudness, true peak, band, format per profile; the
output profiles listed in the user's language."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tests.audiotools import decode, loudness, probe
from tests.helpers import write
from tests.zhtext import chinese_only

TEXT = "今天下午三点在村委会门口发放物资。请大家戴好口罩，排队领取。"
PROFILES = {  # name -> (target LUFS, sample rate, codec, file suffix): what docs/audio.md promises
    "loudspeaker": (-16.0, 22050, "mp3", "mp3"),
    "truck": (-14.0, 44100, "mp3", "mp3"),
    "loop-player": (-16.0, 44100, "mp3", "mp3"),
    "archive": (-16.0, 44100, "pcm_s16le", "wav"),
}


def notice(tmp_path, name="n", extra=""):
    return write(tmp_path / f"{name}.yaml", f"id: {name}\ntitle: 物资发放\ntext: {TEXT}\nrepeat: 1\n{extra}")


@pytest.mark.slow
@pytest.mark.parametrize("profile", list(PROFILES))
def test_each_profile_meets_its_target(run, tmp_path, profile):
    target, rate, codec, suffix = PROFILES[profile]
    r = run("render", notice(tmp_path), "-o", tmp_path / "out", "--engine", "espeak", "--profile", profile)
    assert r.code == 0, r.err
    path = tmp_path / "out" / f"n.{suffix}"
    p = probe(path)
    assert (p.channels, p.sample_rate) == (1, rate) and p.codec.startswith(codec), p
    integrated, peak = loudness(path)
    assert abs(integrated - target) <= 1.0, integrated
    assert peak <= -1.0 + 0.3, peak
    # the manifest entry carries the measured figures of the written file
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"][0]
    assert entry["profile"] == profile
    assert abs(entry["loudness_lufs"] - integrated) <= 0.2
    assert abs(entry["true_peak_dbtp"] - peak) <= 0.2
    assert abs(entry["duration"] - p.duration) <= 0.15


@pytest.mark.slow
def test_archive_keeps_the_unprocessed_speech(run, tmp_path):
    r = run("render", notice(tmp_path), "-o", tmp_path / "out", "--engine", "espeak", "--profile", "archive")
    assert r.code == 0, r.err
    speech, mix = tmp_path / "out" / "n.speech.wav", tmp_path / "out" / "n.wav"
    # unprocessed: the engine's level, no chime in front, so shorter than the mix and not at -16 LUFS
    assert probe(speech).duration < probe(mix).duration - 1.0
    assert abs(loudness(speech)[0] - loudness(mix)[0]) > 0.5


@pytest.mark.slow
def test_files_are_equally_loud_whatever_the_input_level(tmp_path):
    from broadcaster.audio.decode import decode as ours_decode
    from broadcaster.audio.master import master
    from broadcaster.audio.profiles import get_output_profile
    from broadcaster.render import say_text

    say_text(TEXT, tmp_path / "raw.wav", engine="espeak")
    speech = ours_decode(tmp_path / "raw.wav", 22050)
    profile = get_output_profile("loudspeaker")
    levels = []
    for gain_db in (-24.0, 0.0):
        out = tmp_path / f"m{gain_db:+.0f}.mp3"
        master(speech * 10 ** (gain_db / 20), 22050, profile, out)
        levels.append(loudness(out))
    assert loudness(tmp_path / "raw.wav")[0] - 24 < -35  # the quiet input really was far off target
    for integrated, peak in levels:
        assert abs(integrated + 16) <= 1.0 and peak <= -0.7
    assert abs(levels[0][0] - levels[1][0]) <= 0.5


def _tone_db(samples: np.ndarray, rate: int, freq: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    band = (freqs > freq - 15) & (freqs < freq + 15)
    return float(20 * np.log10(spectrum[band].max() + 1e-9))


@pytest.mark.slow
def test_band_suits_a_horn(tmp_path):
    from broadcaster.audio.master import master
    from broadcaster.audio.profiles import get_output_profile

    rate = 22050
    t = np.arange(rate * 4) / rate
    probe_tones = (80.0, 1000.0, 10000.0)
    signal = sum(0.1 * np.sin(2 * np.pi * f * t) for f in probe_tones).astype(np.float32)
    master(signal, rate, get_output_profile("loudspeaker"), tmp_path / "band.mp3")
    out = decode(tmp_path / "band.mp3", rate)[rate:3 * rate]
    low, mid, high = (_tone_db(out, rate, f) for f in probe_tones)
    assert mid - low >= 12, (low, mid)     # high-pass at ~200 Hz
    assert mid - high >= 6, (mid, high)    # low-pass at ~7.5 kHz


def test_unknown_profile_is_bad_input_and_writes_nothing(run, tmp_path):
    r = run("render", notice(tmp_path), "-o", tmp_path / "out", "--engine", "espeak", "--profile", "loudspeker")
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "loudspeaker" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "out").exists()


def test_format_that_a_profile_cannot_write_is_refused(run, tmp_path):
    r = run("render", notice(tmp_path), "-o", tmp_path / "out", "--profile", "loop-player", "--format", "wav")
    assert r.code == 2 and "loop-player" in r.err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_mp3_carries_id3_tags_and_loop_player_none(run, tmp_path):
    from mutagen.id3 import ID3

    path = write(tmp_path / "t.yaml", "id: hesuan-8\ntitle: 第八轮核酸检测\ntemplate: nucleic-test\nrepeat: 1\n"
                 "vars: {village: 宏福苑社区, date: 2021-10-27, start: '8:00', end: '11:30', place: 北门广场}\n")
    assert run("render", path, "-o", tmp_path / "ls", "--engine", "espeak").code == 0
    tags = ID3(str(tmp_path / "ls" / "hesuan-8.mp3"))
    assert str(tags["TIT2"]) == "第八轮核酸检测"
    assert str(tags["TPE1"]) == "宏福苑社区"
    assert str(tags["TDRC"]) == "2021-10-27"
    assert {f.desc: str(f) for f in tags.getall("TXXX")}["notice_id"] == "hesuan-8"
    assert run("render", path, "-o", tmp_path / "lp", "--engine", "espeak", "--profile", "loop-player").code == 0
    data = (tmp_path / "lp" / "hesuan-8.mp3").read_bytes()
    assert not data.startswith(b"ID3") and data[-128:-125] != b"TAG"


def test_profiles_listed(run):
    import json as _json
    r = run("profiles", "--json")
    assert r.code == 0
    listed = {p["name"]: p for p in _json.loads(r.out)}
    assert set(listed) == set(PROFILES)
    assert {n: (p["target_lufs"], p["sample_rate"]) for n, p in listed.items()} == \
        {n: (t[0], t[1]) for n, t in PROFILES.items()}


def test_profiles_are_listed_in_chinese(run, zh, monkeypatch):
    r = run("profiles")
    assert r.code == 0
    assert re.search(r"^loudspeaker +-16 LUFS，峰值 ≤ -1 dBTP，mp3 22050 Hz 64k  \[chime, lead\]$", r.out, re.M), r.out
    assert re.search(r"^loop-player .*，不带标签  \[", r.out, re.M)
    chinese_only(r.out)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("profiles")
    assert "-16 LUFS, peak <= -1 dBTP, mp3 22050 Hz 64k" in r.out and ", no tags  [" in r.out
