"""Program structure: lead line, emphasis read three times, repeat gap, music bed ducked under speech."""
from __future__ import annotations

import numpy as np
import pytest

from tests.audiotools import FFMPEG, decode, probe
from tests.helpers import check_one, write

RATE = 16000
LEAD = "各位村民请注意"
BODY = "今天下午三点在村委会门口发放物资。请大家戴好口罩。"


def render(run, tmp_path, name: str, body: str = BODY, extra: str = "", repeat: int = 1,
           profile: str = "loudspeaker"):
    path = write(tmp_path / f"{name}.yaml", f"id: {name}\ntitle: 测试\ntext: {body}\nrepeat: {repeat}\n{extra}")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak", "--profile", profile)
    assert r.code == 0, r.err
    out = tmp_path / "out"
    return out / f"{name}.mp3", (out / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.slow
def test_lead_line_opens_a_body_without_one(run, tmp_path):
    _, transcript = render(run, tmp_path, "a", repeat=2)
    assert transcript.startswith(LEAD) and transcript.count(LEAD) == 1


@pytest.mark.slow
def test_lead_not_said_twice_when_the_body_opens_with_it(run, tmp_path):
    _, transcript = render(run, tmp_path, "b", body=f"{LEAD}！{BODY}", repeat=2)
    assert transcript.count(LEAD) == 2  # once per reading, no extra lead


@pytest.mark.slow
def test_lead_can_be_replaced_or_turned_off(run, tmp_path):
    path_custom, custom = render(run, tmp_path, "c", extra="lead: 乡亲们请注意\n")
    path_off, off = render(run, tmp_path, "d", extra="lead: false\n")
    assert custom.startswith("乡亲们请注意") and LEAD not in custom
    assert LEAD not in off and off.startswith("今天")
    assert probe(path_custom).duration > probe(path_off).duration + 1.0


@pytest.mark.slow
def test_emphasis_is_read_three_times_after_the_body(run, tmp_path):
    plain, _ = render(run, tmp_path, "e1")
    emphasized, transcript = render(run, tmp_path, "e2", extra="emphasis: [出门一定戴口罩]\n")
    assert transcript.count("出门一定戴口罩") == 3
    assert transcript.index("重要的事情说三遍") > transcript.index("请大家戴好口罩")
    r = run("say", "出门一定戴口罩", "-o", tmp_path / "once.wav", "--engine", "espeak")
    assert r.code == 0
    once = probe(tmp_path / "once.wav").duration
    assert probe(emphasized).duration - probe(plain).duration > 3 * once


@pytest.mark.slow
def test_emphasis_fills_in_variables(run, tmp_path):
    _, transcript = render(run, tmp_path, "v", extra="vars: {place: 北门广场}\nemphasis: 到{{ place }}排队\n")
    assert transcript.count("到北门广场排队") == 3


@pytest.mark.slow
def test_repeat_gap_is_configurable(run, tmp_path):
    from tests.audiotools import silences

    def longest_gap(name: str, extra: str) -> float:
        path, _ = render(run, tmp_path, name, repeat=2, extra="lead: false\nchime: false\n" + extra)
        return max(e - s for s, e in silences(decode(path, RATE), min_len=1.0))

    default, wide = longest_gap("g1", ""), longest_gap("g2", "gap: 4\n")
    # the voice profile's repeat_gap is 1.5 s; both include the same trailing silence of the engine
    assert abs((wide - default) - 2.5) < 0.2, (default, wide)


def test_missing_music_file_is_bad_input(run, tmp_path):
    path = write(tmp_path / "m.yaml", f"id: m\ntitle: t\ntext: {BODY}\nmusic: bed.mp3\n")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 2 and f"{path}:4:" in r.err and "bed.mp3" in r.err
    assert not (tmp_path / "out").exists()


def _tone_level(x: np.ndarray, freq: float) -> float:
    """dB (RMS) of the sine at `freq` in x, by projecting onto it (lock-in)."""
    t = np.arange(len(x)) / RATE
    amp = 2 * np.abs(np.dot(x, np.exp(-2j * np.pi * freq * t))) / len(x)
    return float(20 * np.log10(amp / np.sqrt(2) + 1e-12))


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["loudspeaker", "truck"])
def test_music_bed_is_ducked_15_db_under_the_voice(run, tmp_path, profile):
    import subprocess
    bed_freq = 2500.0  # a steady tone as the "music", easy to measure under speech
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", f"sine=f={bed_freq}:d=7",
                    "-ac", "1", str(tmp_path / "bed.wav")], check=True)
    quiet_path, _ = render(run, tmp_path, "q", repeat=2, extra="chime: false\nclosing_chime: false\n",
                           profile=profile)
    bed_path, _ = render(run, tmp_path, "w", repeat=2, extra="chime: false\nclosing_chime: false\nmusic: bed.wav\n",
                         profile=profile)
    voice, mixed = decode(quiet_path, RATE), decode(bed_path, RATE)
    assert len(mixed) > len(voice) + RATE  # the bed runs on to fade out after the last word

    win = RATE // 4
    frame = RATE // 100
    speaking, between = [], []
    for start in range(0, len(voice) - win, win):
        frames = voice[start:start + win].reshape(-1, frame)
        loud = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12) > -40
        level_voice = 20 * np.log10(np.sqrt((mixed[start:start + win] ** 2).mean()) + 1e-12)
        level_bed = _tone_level(mixed[start:start + win], bed_freq)
        if loud.mean() > 0.9:
            speaking.append(level_voice - level_bed)
        elif not loud.any():
            between.append(level_bed)
    assert len(speaking) >= 8 and between, (len(speaking), len(between))
    assert min(speaking) >= 15, sorted(speaking)[:5]
    # between readings the bed comes back up (it is a bed, not silence)
    assert max(between) > max(_tone_level(mixed[s:s + win], bed_freq)
                              for s in range(0, len(voice) - win, win)) - 1
    assert max(between) - np.median([_tone_level(mixed[s:s + win], bed_freq)
                                     for s in range(0, len(voice) - win, win)]) > 8
    # fades: the very end is far below the bed's level between readings
    assert _tone_level(mixed[-win:], bed_freq) < max(between) - 12


def test_emphasis_item_that_is_not_a_sentence_is_bad_input(run, tmp_path):
    path = write(tmp_path / "x.yaml", f"id: x\ntitle: t\ntext: {BODY}\nemphasis:\n  - 不聚集\n  - 3\n")
    r = run("check", path)
    assert r.code == 2 and f"{path}:6:" in r.err and "emphasis" in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_music_outside_the_folder_refused(run, tmp_path):
    write(tmp_path / "bed.mp3", "not really audio")
    folder = tmp_path / "notices"
    path = write(folder / "n.yaml", "id: a\ntext: 你好。\nmusic: ../bed.mp3\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "folder" in message


def test_music_absolute_path_outside_refused(run, tmp_path):
    bed = write(tmp_path / "bed.mp3", "not really audio")
    path = write(tmp_path / "notices" / "n.yaml", f"id: a\ntext: 你好。\nmusic: {bed}\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "folder" in message
