"""Proof-listening: the real Whisper base listener on real rendered audio, and the scoring rules."""
from __future__ import annotations

import json
import struct
import wave

import numpy as np
import pytest

from tests.guards import listener_ok, listener_why, needs_listener, needs_scoring, neural_ok, neural_why
from tests.helpers import write

from broadcaster import listen

NOTICE = """\
id: water
title: 停水通知
text: |
  明天上午九点到十一点，全村停水检修。
  请大家提前储水，给大家带来不便，敬请谅解。
repeat: 1
chime: false
"""


@pytest.fixture(scope="module")
def whisper_folder(tmp_path_factory):
    """The model joined once for this module (each test otherwise gets an empty cache)."""
    if not listener_ok:
        pytest.skip(f"the listener is not installed here: {listener_why}")
    return listen.model_dir(tmp_path_factory.mktemp("listener"))


@pytest.fixture
def whisper(whisper_folder, monkeypatch):
    monkeypatch.setenv(listen.MODEL_ENV, str(whisper_folder))
    return whisper_folder


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The notice rendered once with the neural voice (mp3, .txt and manifest.json)."""
    if not neural_ok:
        pytest.skip(f"neural voice not installed here: {neural_why}")
    from broadcaster.cli import main

    base = tmp_path_factory.mktemp("rendered")
    notice = write(base / "water.yaml", NOTICE)
    assert main(["render", str(notice), "-o", str(base / "out"), "--engine", "neural"]) == 0
    return base / "out"


def _wav(path, samples: np.ndarray, rate: int = 16000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


# ---------------------------------------------------------------- the model folder
@pytest.mark.slow
@needs_listener
def test_the_model_is_joined_from_both_packages_and_a_short_copy_is_made_again(tmp_path):
    folder = listen.model_dir(tmp_path)
    parts = [listen._package_dir(p) / f for p, f in listen._PARTS]
    size = sum(p.stat().st_size for p in parts)
    model = folder / "model.bin"
    assert model.stat().st_size == size
    with open(parts[1], "rb") as part, open(model, "rb") as whole:  # the second part comes last
        whole.seek(parts[0].stat().st_size)
        assert whole.read(1 << 16) == part.read(1 << 16)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json",
                                                       "vocabulary.json"]
    with open(model, "r+b") as fh:  # a copy cut short (killed while joining, disk full)
        fh.truncate(1000)
    assert listen.model_dir(tmp_path).joinpath("model.bin").stat().st_size == size


# ---------------------------------------------------------------- scoring (fast)
@needs_scoring
def test_homophones_punctuation_and_digits_are_not_errors():
    from broadcaster.verify import score

    said = "有事请打电话幺三九幺幺幺幺二二二二。八点到十一点半，六十岁以上老人再来。"
    heard = "有事情打电话,要三九一一一一二二二二 8:00到11:30 60岁以上老人在来"
    s = score(said, heard)
    assert s.pinyin_edits == 0 and s.differences == ()
    assert s.char_edits == 3  # 请/情, 幺/要, 再/在: other characters, same sounds
    assert s.heard_right == pytest.approx(1 - 3 / s.characters)


@needs_scoring
def test_a_word_heard_as_other_sounds_is_named_with_its_pinyin():
    from broadcaster.verify import score

    s = score("各位村民请注意，排队时保持一米以上距离。", "各位村民请驻营,排队时保持一年以上距离。")
    pairs = {(d.said, d.heard) for d in s.differences}
    assert pairs == {("意", "营"), ("米", "年")}
    assert [d.said_pinyin for d in s.differences] == ["yi", "mi"]
    assert s.pinyin_edits == 2


# ---------------------------------------------------------------- the real listener on real audio
@pytest.mark.slow
@needs_listener
def test_a_rendered_neural_notice_is_heard_almost_entirely(run, rendered, whisper):
    r = run("verify", rendered, "--json", "--min-heard", "80%")
    assert r.code == 0, r.err
    (v,) = json.loads(r.out)["verified"]
    said = (rendered / "water.txt").read_text(encoding="utf-8")
    assert v["checked"] and v["characters"] == sum("\u4e00" <= c <= "\u9fff" for c in said)
    assert v["heard_right"] >= 0.75, v  # Whisper base's own floor is some 5%; the noise test hears < 30%
    assert v["pinyin_error_rate"] <= 0.1, v
    assert "停水" in v["heard_text"]


@pytest.mark.slow
@needs_listener
def test_words_that_were_not_said_are_reported_and_min_heard_fails(run, rendered, whisper, tmp_path):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    txt = out / "water.txt"
    # what the transcript claims now differs from what the audio says in two places
    txt.write_text(txt.read_text(encoding="utf-8").replace("停水检修", "开会学习").replace("储水", "买菜"),
                   encoding="utf-8")
    r = run("verify", out / "water.mp3", "--min-heard", "0.9")
    assert r.code == 1
    assert "below 90.0%" in r.err
    assert "开会学习" in r.out and "买菜" in r.out  # named as said-but-not-heard, with pinyin
    assert "kai hui xue xi" in r.out
    r = run("verify", out, "--json")
    assert r.code == 0  # no threshold: report only
    (v,) = json.loads(r.out)["verified"]
    said = "".join(d["said"] for d in v["differences"])
    assert "开会学习" in said and "买菜" in said
    assert v["heard_right"] < 0.9


@pytest.mark.slow
@needs_listener
def test_silence_and_noise_are_heard_as_almost_nothing_of_the_text(run, whisper, tmp_path):
    rng = np.random.default_rng(7)
    _wav(tmp_path / "silence.wav", np.zeros(16000 * 8))
    _wav(tmp_path / "noise.wav", 0.3 * rng.standard_normal(16000 * 8))
    for name in ("silence", "noise"):
        (tmp_path / f"{name}.txt").write_text("明天上午九点到十一点，全村停水检修。\n", encoding="utf-8")
    r = run("verify", tmp_path, "--json", "--min-heard", "50%")
    assert r.code == 1
    got = {v["file"].rsplit("/", 1)[-1]: v for v in json.loads(r.out)["verified"]}
    assert set(got) == {"silence.wav", "noise.wav"}
    for v in got.values():
        assert v["heard_right"] < 0.3, v


@pytest.mark.slow
@needs_listener
def test_render_verify_listens_after_rendering(run, whisper, tmp_path):
    if not neural_ok:
        pytest.skip(f"neural voice not installed here: {neural_why}")
    notice = write(tmp_path / "water.yaml", NOTICE)
    r = run("render", notice, "-o", tmp_path / "out", "--engine", "neural", "--verify", "--min-heard", "99.9%")
    assert (tmp_path / "out" / "water.mp3").is_file()
    assert "water.mp3  heard " in r.out and "characters right" in r.out
    heard = float(r.out.split("water.mp3  heard ")[1].split("%")[0]) / 100
    assert r.code == (1 if heard < 0.999 else 0)


@pytest.mark.slow
def test_a_cantonese_program_is_not_scored(run, tmp_path):
    notice = write(tmp_path / "yue.yaml", "id: yue\ntitle: 通知\ntext: 各位街坊请注意，今日唔使排队。\n"
                                          "voice: cantonese\nrepeat: 1\nchime: false\n")
    assert run("render", notice, "-o", tmp_path / "out", "--engine", "espeak").code == 0
    r = run("verify", tmp_path / "out", "--json", "--min-heard", "0.99")
    assert r.code == 0, r.err  # not scored, so not below
    (v,) = json.loads(r.out)["verified"]
    assert v == {"file": str(tmp_path / "out" / "yue.mp3"), "transcript": str(tmp_path / "out" / "yue.txt"),
                 "checked": False, "reason": "not checked (Cantonese)"}
    assert "not checked (Cantonese)" in run("verify", tmp_path / "out").out


def test_bad_paths_are_bad_input(run, tmp_path):
    assert run("verify", tmp_path / "missing.mp3").code == 2
    (tmp_path / "x.mp3").write_bytes(b"")
    r = run("verify", tmp_path / "x.mp3")
    assert r.code == 2 and "x.txt" in r.err
    assert run("verify", tmp_path / "x.mp3", "--min-heard", "fast").code == 2


def test_a_missing_listener_is_one_line_and_exit_1(run, tmp_path, monkeypatch):
    monkeypatch.setenv(listen.MODEL_ENV, str(tmp_path / "no-model"))
    _wav(tmp_path / "a.wav", np.zeros(16000))
    (tmp_path / "a.txt").write_text("各位村民请注意\n", encoding="utf-8")
    r = run("verify", tmp_path / "a.wav")
    assert r.code == 1
    assert r.err.count("\n") == 1 and "no model.bin" in r.err and "Traceback" not in r.err
    notice = write(tmp_path / "n.yaml", NOTICE)
    r = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak", "--verify")
    assert r.code == 1 and "no model.bin" in r.err
    assert not (tmp_path / "out").exists()  # said before any rendering


# ---------------------------------------------------------------- files that are not programs
@pytest.mark.slow
@needs_listener
def test_a_file_that_is_not_audio_is_named_and_the_others_are_still_checked(run, whisper, tmp_path):
    _wav(tmp_path / "quiet.wav", np.zeros(16000 * 2))
    (tmp_path / "0-page.mp3").write_bytes(b"<html>404 not found</html>\n" * 40)  # sorted first
    (tmp_path / "zz-cut.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)
    # headers that read as one second of WAV, in a codec no decoder knows: only ffmpeg finds out
    fmt = struct.pack("<HHIIHH", 0x1234, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", 32000) + bytes(32000)
    (tmp_path / "odd-codec.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    bad = ("0-page.mp3", "zz-cut.mp3", "odd-codec.wav")
    for name in ("quiet.wav", *bad):
        (tmp_path / name).with_suffix(".txt").write_text("各位村民请注意\n", encoding="utf-8")
    r = run("verify", tmp_path, "--json")
    assert r.code == 1
    got = {v["file"].rsplit("/", 1)[-1]: v for v in json.loads(r.out)["verified"]}
    assert got["quiet.wav"]["checked"] and got["quiet.wav"]["heard_right"] < 0.5  # reported, not lost
    for name in bad:
        assert not got[name]["checked"] and name in got[name]["error"], got[name]
        assert any(name in line and line.startswith("error: ") for line in r.err.splitlines()), r.err
    assert "3 programs could not be checked" in r.err and "Traceback" not in r.err
    r = run("verify", tmp_path)  # the text report too: the good file's line, each bad one named
    assert r.code == 1 and "quiet.wav  heard " in r.out
    assert all(name in r.err for name in bad)


@pytest.mark.slow
@needs_listener
def test_a_fifo_or_a_device_named_mp3_is_refused_without_reading_it(whisper, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    os.mkfifo(tmp_path / "pipe.mp3")  # ffmpeg would wait for a writer for ever
    (tmp_path / "zero.mp3").symlink_to("/dev/zero")  # ffmpeg would read zeros for ever
    for name in ("pipe", "zero"):
        (tmp_path / f"{name}.txt").write_text("各位村民请注意\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "verify", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=180)  # a guard against waiting for ever, not a speed test
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # with the ffmpeg it started
        proc.communicate()
        pytest.fail("verify waited on a FIFO or a device named .mp3")
    assert proc.returncode == 1, err
    lines = err.splitlines()
    for name in ("pipe.mp3", "zero.mp3"):
        assert any(name in line and "not a regular file" in line for line in lines), err
    assert "Traceback" not in err
