"""The jingle commands end to end, and rendered jingles measured from the decoded audio."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.audiotools import decode, rms_db, silences
from tests.helpers import EXAMPLES, write

QIANJIANG = EXAMPLES / "jingles" / "qianjiang-337.yaml"
JINLING = EXAMPLES / "jingles" / "jinling-sanjuban.yaml"
QIYAN = EXAMPLES / "jingles" / "qiyan-guonian.yaml"
RATE = 16000


def test_check_reports_each_line_and_exits_1_when_a_pair_does_not_rhyme(run):
    r = run("jingle", "check", QIANJIANG)
    assert r.code == 1
    assert "【报】" in r.out and "【行】" in r.out and "NONE" in r.out
    assert "liao3" in r.out  # 不得了 read liǎo
    assert "does NOT meet --rhyme group" in r.out


def test_check_passes_a_jingle_that_rhymes(run):
    r = run("jingle", "check", JINLING, "--rhyme", "strict")
    assert r.code == 0, r.out
    assert "meets --rhyme strict" in r.out


def test_check_json_has_the_documented_shape(run):
    r = run("jingle", "check", QIANJIANG, "--json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert doc["ok"] is False and doc["form"] == "三三七" and len(doc["lines"]) == 10
    first = doc["lines"][0]
    assert first["text"] == "黔江人、莫乱跑、新冠病毒不得了"
    pair = first["pairs"][0]
    assert (pair["a"], pair["b"], pair["pinyin"], pair["group"], pair["verdict"]) == (
        "跑", "了", ["pao3", "liao3"], "遥条", "perfect")
    assert [p["verdict"] for line in doc["lines"] for p in line["pairs"]].count("group") == 2


def test_check_with_a_cantonese_voice_warns(run):
    r = run("jingle", "check", JINLING, "--voice", "cantonese")
    assert "Cantonese" in r.out


def test_form_option_overrides_the_file(run, tmp_path):
    r = run("jingle", "check", JINLING, "--form", "七言")
    assert r.code == 1 and "FORM:" in r.out


def test_broadcaster_check_includes_jingles(run):
    r = run("check", EXAMPLES / "jingles")
    assert r.code == 0, r.err
    assert r.out.count("rhyme:") == 4
    assert "1 none" in r.out  # the 黔江 报/行 line is reported, not failed: rhymes are the writer's call


def test_a_line_that_breaks_the_declared_form_is_bad_input(run, tmp_path):
    path = write(tmp_path / "j.yaml", "kind: jingle\nform: 三三七\nlines:\n"
                 "  - 黔江人、莫乱跑、新冠病毒不得了\n  - 不拜年、不聚会、红白喜事全部都辞退\n")
    for args in (("check", path), ("render", path, "-o", tmp_path / "out", "--engine", "espeak")):
        r = run(*args)
        assert r.code == 2
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.err
        assert lines[0].startswith(f"{path}:5: ") and "3+3+9" in lines[0] and " — " in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_jingle_check_on_a_notice_is_bad_input(run):
    r = run("jingle", "check", EXAMPLES / "notices" / "free-text.yaml")
    assert r.code == 2 and "kind: jingle" in r.err


def test_compose_writes_a_jingle_that_passes_check(run, tmp_path):
    out = tmp_path / "jingle.yaml"
    r = run("jingle", "compose", "--form", "三三七", "--topics", "口罩,洗手,聚集", "--place", "黔江",
            "--lines", "8", "--seed", "5", "-o", out)
    assert r.code == 0, r.err
    first = out.read_bytes()
    assert run("jingle", "check", out).code == 0
    assert run("check", out).code == 0
    # the same seed writes the same file; another seed another jingle
    assert run("jingle", "compose", "--form", "三三七", "--topics", "口罩,洗手,聚集", "--place", "黔江",
               "--lines", "8", "--seed", "5", "-o", out).code == 0
    assert out.read_bytes() == first
    assert run("jingle", "compose", "--form", "三三七", "--topics", "口罩,洗手,聚集", "--place", "黔江",
               "--lines", "8", "--seed", "6", "-o", out).code == 0
    assert out.read_bytes() != first


def test_compose_bad_topic_is_one_line_and_writes_nothing(run, tmp_path):
    out = tmp_path / "jingle.yaml"
    r = run("jingle", "compose", "--form", "七言", "--topics", "口照", "-o", out)
    assert r.code == 2 and len(r.err.strip().splitlines()) == 1 and "口罩" in r.err
    assert not out.exists()


def test_compose_to_stdout_and_json(run):
    r = run("jingle", "compose", "--form", "快板", "--topics", "疫苗", "--rhyme", "strict")
    assert r.code == 0 and "kind: jingle" in r.out and "form: 快板" in r.out
    r = run("jingle", "compose", "--form", "三句半", "--topics", "核酸", "--json")
    doc = json.loads(r.out)
    assert doc["report"]["ok"] and len(doc["lines"]) == 4


def test_topics_lists_the_bank(run):
    r = run("jingle", "topics")
    assert r.code == 0 and "口罩" in r.out and "返乡" in r.out


# ------------------------------------------------------------------ rendered audio
def _sounds(samples: np.ndarray, floor_db: float = -45.0) -> list[tuple[float, float]]:
    """(start, end) of stretches louder than floor_db, in 10 ms frames."""
    win = RATE // 100
    n = len(samples) // win
    frames = samples[: n * win].reshape(n, win)
    loud = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-12) > floor_db
    out, start = [], None
    for i, q in enumerate(list(loud) + [False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            out.append((start / 100, i / 100))
            start = None
    return out


def _render(run, tmp_path, source, *extra) -> np.ndarray:
    # one reading, no chime or lead line before it: only the jingle's own timing is measured
    text = source.read_text(encoding="utf-8").replace("repeat: 2", "repeat: 1") + "chime: false\nlead: false\n"
    path = write(tmp_path / source.name, text)
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak", "--format", "wav", *extra)
    assert r.code == 0, r.err
    stem = [line for line in text.splitlines() if line.startswith("id:")][0].split(":")[1].strip()
    return decode(tmp_path / "out" / f"{stem}.wav", RATE)


def _line_onsets(samples: np.ndarray) -> list[float]:
    """Where speech resumes after a line-end pause (>= 0.5 s of silence), plus the first sound."""
    first = next(s for s, _ in _sounds(samples))
    return [first] + [end for start, end in silences(samples, RATE, min_len=0.5) if start > first]


@pytest.mark.slow
def test_rendered_lines_start_on_an_even_beat(run, tmp_path):
    onsets = _line_onsets(_render(run, tmp_path, QIYAN))
    intervals = np.diff(onsets[:8])
    assert len(intervals) == 7, onsets
    spread = (intervals.max() - intervals.min()) / intervals.mean()
    assert spread < 0.15, (spread, intervals)


@pytest.mark.slow
def test_beat_option_strikes_the_woodblock_on_the_beat(run, tmp_path):
    plain = _render(run, tmp_path, QIYAN)
    period = float(np.median(np.diff(_line_onsets(plain)[:8])))
    beat = period / 4
    beaten = _render(run, tmp_path / "b", QIYAN, "--beat")
    # the count-in bar: four short knocks one beat apart, then the first line on the next beat
    sounds = _sounds(beaten)
    knocks = [s for s, e in sounds if e - s < 0.2]
    assert len(knocks) >= 8
    steps = np.diff(knocks[:4])
    assert np.all(np.abs(steps - beat) < 0.05 * beat), (steps, beat)
    # every knock between the lines (where the render without --beat is silent) falls on the grid
    def quiet_in_plain(t: float) -> bool:
        t0 = int((t - period) * RATE)
        return t0 < 0 or rms_db(plain[max(0, t0 - 320):t0 + 2000]) < -50
    between = [t for t in knocks if quiet_in_plain(t)]
    assert len(between) >= 8, between
    offsets = (np.array(between) - knocks[0]) / beat
    assert np.all(np.abs(offsets - np.round(offsets)) < 0.06), offsets
    # the program is one bar longer than without the beat, and not shorter by a sample of speech
    assert abs((len(beaten) - len(plain)) / RATE - period) < 0.05


@pytest.mark.slow
def test_sanjuban_half_line_waits_a_beat_and_is_louder(run, tmp_path):
    samples = _render(run, tmp_path, JINLING)
    onsets = _line_onsets(samples)[:4]
    steps = np.diff(onsets)
    beat = steps[:2].mean() / 4
    assert abs(steps[2] - steps[:2].mean() - beat) < 0.2 * beat, steps
    spans = [(s, e) for s, e in _sounds(samples) if e - s > 0.15]
    def level(t0: float, t1: float) -> float:
        return rms_db(samples[int(t0 * RATE):int(t1 * RATE)])
    lines = [level(onsets[i], onsets[i] + 1.0) for i in range(3)]
    half = level(onsets[3], min(onsets[3] + 1.0, spans[-1][1]))
    assert half > max(lines) + 1.0, (half, lines)


def test_compose_with_the_sichuan_voice_uses_its_words(run):
    texts = []
    for seed in range(4):
        r = run("jingle", "compose", "--form", "三三七", "--topics", "出门,聚集", "--voice", "sichuan_chongqing",
                "--seed", seed, "--rhyme", "dialect", "--json")
        assert r.code == 0, r.err
        doc = json.loads(r.out)
        assert doc["report"]["ok"] and doc["report"]["voice"] == "sichuan_chongqing"
        texts.append("".join(doc["lines"]))
    assert sum(any(w in t for w in ("莫", "屋头", "赶场", "晓得", "啥子", "没得", "外头")) for t in texts) >= 3
