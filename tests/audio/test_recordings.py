"""An official's own recording in a notice (`recording:`, `parts:`): every phone and browser format
decoded and cleaned, bad recordings refused, and the whole path: render, schedule, card, crontab,
villages batch, the player and its as-run log. Recordings are made here from real eSpeak speech with
handling noise, hum and a quiet level (tests/phone.py), encoded by ffmpeg (SILK by silk-python)."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import wave
from pathlib import Path

import numpy as np
import pytest
from tests.audiotools import decode, loudness, probe
from tests.helpers import write
from tests.phone import FORMATS, RATE, decode_any, encode, espeak_speech, phone_mix, phone_recording

ALL_FORMATS = [*FORMATS, "silk"]
TARGET = -16.0  # the loudspeaker profile's loudness


@pytest.fixture(scope="module")
def speech():
    return espeak_speech()


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    """A phone-like recording of the same words in every format (name -> Made)."""
    folder = tmp_path_factory.mktemp("takes")
    return {fmt: phone_recording(folder / f"停水.{fmt}", fmt) for fmt in ALL_FORMATS}


def _wav(path: Path, pcm: bytes, rate: int) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return path


def _level_at(samples: np.ndarray, rate: int, hz: float) -> float:
    """dB of the spectrum at `hz` against the whole spectrum's energy (independent of the overall gain)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    near = (freqs > hz - 3) & (freqs < hz + 3)
    return float(10 * np.log10(spectrum[near].sum() / spectrum.sum()))


def _rms_db(samples: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples ** 2)) + 1e-12))


# ---------------------------------------------------------------- the cleaning, format by format
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ALL_FORMATS)
def test_every_phone_and_browser_format_is_decoded_trimmed_filtered_and_levelled(fmt, takes, tmp_path):
    from broadcaster.audio.recording import clean_recording

    made = takes[fmt]
    cleaned = clean_recording(made.path)
    assert cleaned.codec == {"m4a": "aac", "mp3": "mp3", "wav": "pcm_s16le", "ogg": "opus", "webm": "opus",
                             "amr": "amr_nb", "3gp": "amr_nb", "silk": "silk"}[fmt]
    out = _wav(tmp_path / "cleaned.wav", cleaned.clip.pcm, cleaned.clip.sample_rate)
    said = made.speech_end - made.speech_start
    # trimmed: the handling noise at both ends is gone, the speech is whole (plus a breath either side)
    assert said - 0.2 <= probe(out).duration <= said + 0.6
    assert made.speech_start - 0.35 <= cleaned.kept[0] <= made.speech_start
    assert made.speech_end <= cleaned.kept[1] <= made.speech_end + 0.45
    # levelled: from a quiet phone (about -32 LUFS) to the profile's target, measured by ffmpeg, its
    # samples under the ceiling (the program's mastering holds the true peak of the written file)
    integrated, _true_peak = loudness(out)
    assert abs(integrated - TARGET) <= 0.6
    samples = decode(out, RATE)
    assert 20 * np.log10(np.abs(samples).max()) <= -1.0
    # high-passed: the 50 Hz hum, strong in the file, is 25 dB further down against the voice
    source = decode_any(made.path)
    assert _level_at(samples, RATE, 50) <= _level_at(source, RATE, 50) - 25
    # no leading or trailing noise: the first and last 0.1 s are far below the speech
    speech_db = _rms_db(samples)
    tenth = RATE // 10
    assert _rms_db(samples[:tenth]) <= speech_db - 20 and _rms_db(samples[-tenth:]) <= speech_db - 20
    assert cleaned.clipped == 0 and not cleaned.too_loud()


@pytest.mark.slow
def test_a_recording_is_cleaned_once_and_cached_by_its_bytes_and_settings(takes, tmp_path):
    from broadcaster.audio.recording import Level, cache_key, clean_recording
    from broadcaster.audio.cache import ClipCache

    cache = ClipCache(tmp_path / "clips")
    first = clean_recording(takes["m4a"].path, cache=cache)
    assert cache.info().entries == 1
    again = clean_recording(takes["m4a"].path, cache=cache)
    assert again == first and cache.info().entries == 1  # from the cache: the same clip and measures
    # another output level, or other bytes: another entry
    truck = clean_recording(takes["m4a"].path, Level(-14.0, -1.0), cache=cache)
    assert cache.info().entries == 2 and truck.loudness_lufs > first.loudness_lufs + 0.5
    copy = tmp_path / "copy.m4a"
    copy.write_bytes(takes["m4a"].path.read_bytes() + b"\0")  # one byte more: the file is another file
    assert cache_key(first.sha256, Level()) != cache_key(clean_recording(copy, cache=cache).sha256, Level())
    assert cache.info().entries == 3
    # a damaged entry is made again
    for entry in (tmp_path / "clips").rglob("*.clip"):
        entry.write_bytes(entry.read_bytes()[:-100])
    assert clean_recording(takes["m4a"].path, cache=cache) == first


# ---------------------------------------------------------------- bad recordings
def _notice(folder: Path, recording: str, extra: str = "") -> Path:
    return write(folder / "tingshui.yaml", f"id: tingshui\ntitle: 停水通知\n{extra}recording: {recording}\n")


@pytest.mark.slow
@pytest.mark.parametrize("kind, words", [
    ("zeros", "recording '录音/x.wav' is silent (no sound at all) — check the phone's microphone"),
    ("hum", "recording '录音/x.wav' is almost silent (its loudest moment is -5"),
    ("short", "recording '录音/x.wav' holds only 0."),
    ("text", "recording '录音/x.wav' is not audio, or in a format that cannot be read — use the file as the "
             "phone or WeChat made it"),
    ("png", "is not audio, or in a format that cannot be read"),
    ("long", "recording '录音/x.wav' is longer than 15 minutes — cut it, or record the notice in several parts"),
    ("noise", "no speech was found in recording '录音/x.wav', only noise"),
])
def test_a_bad_recording_is_exit_2_with_one_line_and_nothing_is_written(run, tmp_path, kind, words):
    import subprocess

    from tests.audiotools import FFMPEG

    target = tmp_path / "录音" / "x.wav"
    target.parent.mkdir()
    if kind == "zeros":
        encode(np.zeros(3 * RATE, np.float32), target, "wav")
    elif kind == "hum":  # only the hum of the room, no voice: filtered, it is silence
        encode(phone_mix(np.zeros(0, np.float32), lead=2, tail=2, handling=False)[0], target, "wav")
    elif kind == "noise":  # handling noise and hum, no voice
        encode(phone_mix(np.zeros(0, np.float32), lead=2, tail=2)[0], target, "wav")
    elif kind == "short":
        encode(phone_mix(espeak_speech("喂"))[0], target, "wav")
    elif kind == "text":
        target.write_text("这不是录音", encoding="utf-8")
    elif kind == "png":
        target.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    else:  # 16 minutes of a tone: the limit is 15
        subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "sine=f=220:d=960:sample_rate=8000",
                        "-c:a", "pcm_s16le", "-y", str(target)], check=True)
    notice = _notice(tmp_path, "录音/x.wav")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 2, res.err
    assert res.err.strip() == res.err.strip().splitlines()[0]  # one line
    assert res.err.startswith(f"{notice}:3: ") and words in res.err, res.err
    assert not (tmp_path / "out").exists()
    assert run("check", notice).code == 2


def test_a_recording_outside_the_folder_or_not_a_file_is_refused_like_music(run, tmp_path):
    outside = tmp_path / "elsewhere.m4a"
    outside.write_bytes(b"x")
    folder = tmp_path / "notices"
    (folder / "录音").mkdir(parents=True)
    (folder / "录音" / "link.m4a").symlink_to(outside)
    os.mkfifo(folder / "录音" / "pipe.m4a")
    (folder / "录音" / "dir.m4a").mkdir()
    notice = write(folder / "n.yaml", "parts:\n  - recording: ../elsewhere.m4a\n  - recording: 录音/link.m4a\n"
                                      "  - recording: 录音/pipe.m4a\n  - say: 各位村民请注意。\n"
                                      "  - recording: 录音/dir.m4a\n  - recording: 录音/none.m4a\n")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 2
    assert res.err.splitlines() == [
        f"{notice}:2: recording '../elsewhere.m4a' is outside the notice's folder — copy it into this notice's "
        "folder and name it relatively",
        f"{notice}:3: recording '录音/link.m4a' is outside the notice's folder — copy it into this notice's folder "
        "and name it relatively",
        f"{notice}:4: recording '录音/pipe.m4a' is not an ordinary file (a folder, a pipe or a device) — name an "
        "audio file saved in this notice's folder",
        f"{notice}:6: recording '录音/dir.m4a' is not an ordinary file (a folder, a pipe or a device) — name an "
        "audio file saved in this notice's folder",
        f"{notice}:7: recording '录音/none.m4a' not found — put the audio file in this notice's folder and write "
        "its name"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("body, words", [
    ("recording: a.m4a\ntemplate: nucleic-test\n", ":2: both 'recording' and 'template' are given"),
    ("parts:\n  - say: 你好。\ntext: 你好\n", ":3: both 'parts' and 'text' are given"),
    ("parts: []\n", ":1: 'parts' is empty"),
    ("parts:\n  - recording: a.m4a\n    say: 你好\n", ":2: part 1 has both 'recording' and 'say'"),
    ("parts:\n  - say: 你好。\n    text: 你好\n", ":3: part 1 has 'text' beside 'say'"),
    ("parts:\n  - 你好\n", ":2: part 1 is neither a recording nor text to say"),
    ("parts:\n  - {sya: 你好}\n", ":2: unknown field 'sya' — did you mean 'say'?"),
    ("录音: a.m4a\n", ":1: unknown field '录音' — did you mean 'recording'?"),
    ("recording: ''\n", ":1: 'recording' is empty"),
])
def test_mistakes_in_recording_and_parts_are_one_line_each(run, tmp_path, body, words):
    notice = write(tmp_path / "n.yaml", body)
    res = run("check", notice)  # every mistake of the file at once (issue 23): this one among them
    assert res.code == 2 and any(words in line for line in res.err.splitlines()), res.err


@pytest.mark.slow
def test_a_clipped_recording_is_rendered_with_a_warning_saying_how_much(run, tmp_path, speech, monkeypatch):
    loud = phone_mix(speech, clip_gain_db=30)[0]
    encode(loud, tmp_path / "录音" / "loud.wav", "wav")
    notice = _notice(tmp_path, "录音/loud.wav", "text: 各位村民请注意，明天上午八点到十二点停水，请大家提前储水。\n")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 0, res.err
    # said on the program's own line (issue 23), and kept in the manifest with its fix
    warning = [line for line in res.out.splitlines() if "too loud" in line]
    assert len(warning) == 1 and "  (warning: line 4: the recording '录音/loud.wav' is too loud and distorts: " in \
        warning[0], res.out
    share = float(warning[0].split("distorts: ")[1].split("%")[0]) / 100
    assert share == pytest.approx(np.mean(np.abs(loud[1:]) >= 0.98), rel=0.5) and share > 0.01
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["notices"][0]
    (kept,) = entry["warnings"]
    assert kept.startswith(f"{notice}:4: the recording '录音/loud.wav' is too loud and distorts: ") and " — " in kept
    res = run("check", notice)
    assert res.code == 0 and res.err.startswith(f"warning: {notice}:4: the recording '录音/loud.wav'"), res.err
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    res = run("check", notice)
    assert res.code == 0 and "录音太响，有破音" in res.err, res.err


# ---------------------------------------------------------------- the whole path
@pytest.fixture
def village(tmp_path, takes):
    """A folder with a recording notice, a notice in parts and a schedule playing both."""
    folder = tmp_path / "village"
    (folder / "录音").mkdir(parents=True)
    shutil.copy(takes["m4a"].path, folder / "录音" / "停水.m4a")
    shutil.copy(takes["silk"].path, folder / "录音" / "喊话.silk")
    write(folder / "tingshui.yaml", "id: tingshui\ntitle: 停水通知\nlead: 停水通知\nrecording: 录音/停水.m4a\n"
                                    "text: 各位村民请注意，明天上午八点到十二点停水，请大家提前储水。\nrepeat: 2\n")
    write(folder / "fenduan.yaml", "id: fenduan\ntitle: 停水（分段）\nrepeat: 1\nlead: false\nvars: {village: 宏福村}\n"
                                   "parts:\n  - recording: 录音/喊话.silk\n"
                                   "    text: 各位村民请注意，明天上午八点到十二点停水，请大家提前储水。\n"
                                   "  - say: '{{ village }}村委会通知。'\n  - recording: 录音/停水.m4a\n"
                                   "    text: 各位村民请注意，明天上午八点到十二点停水，请大家提前储水。\n")
    write(folder / "plan.yaml", "timezone: Asia/Shanghai\nquiet_hours: []\nchannels:\n"
                                "  village: {name: 大喇叭, sink: auto}\n  truck: {name: 宣传车, kind: truck, sink: auto}\n"
                                "programs:\n"
                                "  - notice: tingshui.yaml\n    channel: village\n    dates: 2021-10-27\n"
                                "    times: ['07:00', '18:00']\n"
                                "  - notice: fenduan.yaml\n    channel: village\n    dates: 2021-10-27\n"
                                "    times: ['07:30']\n"
                                "  - route:\n"
                                "      - {at: '09:00', village: 一组, lat: 29.5291, lon: 108.7702, radius: 80}\n"
                                "      - {at: '09:30', village: 二组, lat: 29.5300, lon: 108.7745, radius: 80}\n"
                                "    notice: fenduan.yaml\n    channel: truck\n    dates: 2021-10-27\n")
    return folder


@pytest.mark.slow
def test_a_recording_notice_is_a_program_like_any_other(run, village, takes):
    out = village / "out"
    res = run("render", village / "tingshui.yaml", village / "fenduan.yaml", "-o", out, "--engine", "espeak")
    assert res.code == 0, res.err
    line = next(x for x in res.out.splitlines() if x.startswith("tingshui.mp3"))
    assert "espeak  mandarin (Mandarin voice cmn + 1 own recording, words as written)" in line
    manifest = {e["id"]: e for e in json.loads((out / "manifest.json").read_text())["notices"]}
    said = takes["m4a"].speech_end - takes["m4a"].speech_start
    entry = manifest["tingshui"]
    assert entry["engine"] == "espeak" and entry["transcript_source"] == "text" and entry["warnings"] == []
    (part,) = entry["made_of"]
    assert part["spoken_as"] == "recording" and part["recording"] == "录音/停水.m4a"
    assert said <= part["seconds"] <= said + 0.6 and part["transcript_source"] == "text"
    # chime, the lead line, the recording twice with the profile's gap: measured on the written file
    chime_and_lead = probe(out / "tingshui.mp3").duration - 2 * part["seconds"] - 1.5
    assert 2.5 < chime_and_lead < 6.0, chime_and_lead
    integrated, peak = loudness(out / "tingshui.mp3")
    assert abs(integrated - TARGET) <= 1.0 and peak <= -0.9
    assert (out / "tingshui.txt").read_text().splitlines() == ["停水通知"] + [
        "各位村民请注意，明天上午八点到十二点停水，请大家提前储水。"] * 2
    # subtitles: the recording's written words over it, the lead line's over the synthesized speech
    srt = (out / "tingshui.srt").read_text()
    assert srt.count("-->") == 3 and "各位村民请注意，明天上午八点到十二点停水" in srt

    # in parts, in order: the WeChat message, the synthesized sentence, the phone recording
    entry = manifest["fenduan"]
    assert [p["spoken_as"] for p in entry["made_of"]] == ["recording", "mandarin", "recording"]
    assert [p.get("recording") for p in entry["made_of"]] == ["录音/喊话.silk", None, "录音/停水.m4a"]
    assert (out / "fenduan.txt").read_text().splitlines()[1] == "宏福村村委会通知。"
    samples = decode(out / "fenduan.mp3", 16000)
    from tests.audiotools import silences
    gaps = [(a, b) for a, b in silences(samples, 16000, min_len=0.4) if a > 1.0]
    # two pauses between three parts, each the profile's pause between sentences (0.6 s)
    assert len([g for g in gaps if 0.4 <= g[1] - g[0] <= 1.2]) >= 2


@pytest.mark.slow
def test_a_recording_notice_is_scheduled_with_gps_stops_exported_to_card_and_crontab(run, village):
    plan = village / "plan.yaml"
    res = run("plan", plan, "--from", "2021-10-27", "--days", "1", "--engine", "espeak", "--json")
    assert res.code == 0, res.err
    plays = json.loads(res.out)["plays"]
    village_plays = [p for p in plays if p["channel"] == "village"]
    assert [(p["notice"], p["start"][11:16]) for p in village_plays] == [
        ("tingshui", "07:00"), ("fenduan", "07:30"), ("tingshui", "18:00")]
    for p in plays:
        assert Path(p["file"]).is_file()
    # the truck's GPS stops: the notice in parts, each stop's own words in its synthesized part
    stops = [p for p in plays if p["channel"] == "truck"]
    assert [p["start"][11:16] for p in stops] == ["09:00", "09:30"]
    said = [Path(p["file"]).with_suffix(".txt").read_text() for p in stops]
    assert "一组村委会通知" in said[0] and "二组村委会通知" in said[1]
    card = village / "card"
    card.mkdir()
    assert run("export", plan, "--from", "2021-10-27", "--days", "1", "--engine", "espeak", "--to", "card",
               "-o", card).code == 0
    tracks = sorted((card / "village-2021-10-27").glob("*.mp3"))
    assert [t.name[:4] for t in tracks] == ["001_", "002_", "003_"]
    assert probe(tracks[0]).sample_rate == 44100 and probe(tracks[0]).duration > 20
    res = run("export", plan, "--from", "2021-10-27", "--days", "1", "--engine", "espeak", "--to", "crontab",
              "-o", village / "cron")
    assert res.code == 0, res.err
    lines = [x for x in (village / "cron" / "broadcaster.crontab").read_text().splitlines() if " play " in x]
    assert len(lines) == 5 and lines[0].startswith("0 7 27 10 *")
    # the TF card of a notice, too
    tf = village / "tf"
    tf.mkdir()
    assert run("export-card", village / "tingshui.yaml", "-o", tf, "--engine", "espeak").code == 0
    assert probe(tf / "001_tingshui.mp3").duration > 20


@pytest.mark.slow
def test_a_notice_in_parts_goes_out_to_every_village_with_its_own_words(run, village):
    villages = write(village / "villages.csv", "village_id,village\nhongfu,宏福村\nqinghe,清河村\n")
    res = run("render", village / "fenduan.yaml", "--villages", villages, "-o", village / "batch", "-j", "1",
              "--quiet")
    assert res.code == 0, res.err
    for vid, name in (("hongfu", "宏福村"), ("qinghe", "清河村")):
        assert f"{name}村委会通知。" in (village / "batch" / vid / "fenduan.txt").read_text()
        assert probe(village / "batch" / vid / "fenduan.mp3").duration > 20
    # a bad recording: one line for the batch, not one per village, and nothing rendered
    (village / "录音" / "喊话.silk").write_bytes(b"#!SILK_V3 and then nothing")
    res = run("render", village / "fenduan.yaml", "--villages", villages, "-o", village / "batch2", "-j", "1",
              "--quiet")
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1
    assert "recording '录音/喊话.silk' is not audio" in res.err and not (village / "batch2").exists()


@pytest.mark.slow
def test_the_player_plays_a_recording_notice_and_logs_it(run, village):
    log = village / "asrun.sqlite"
    res = run("play", village / "tingshui.yaml", "--sink", f"file:{village / 'aired'}", "--channel", "village",
              "--log", log)
    assert res.code == 0, res.err
    (aired,) = list((village / "aired").iterdir())
    assert probe(aired).duration > 20
    db = sqlite3.connect(str(log))
    rows = db.execute("SELECT notice, channel, status FROM asrun").fetchall()
    db.close()
    assert rows == [("tingshui", "village", "played")]


# ---------------------------------------------------------------- words heard by machine
@pytest.mark.slow
def test_a_mandarin_recording_without_text_gets_a_draft_marked_as_heard_by_machine(run, tmp_path, takes):
    from broadcaster import listen

    if not listen.available()[0]:
        pytest.skip(listen.available()[1])
    (tmp_path / "录音").mkdir()
    shutil.copy(takes["m4a"].path, tmp_path / "录音" / "停水.m4a")
    notice = _notice(tmp_path, "录音/停水.m4a", "repeat: 1\n")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 0, res.err
    assert "words heard by machine (a draft)" in res.out
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["notices"][0]
    assert entry["transcript_source"] == "machine" and entry["made_of"][0]["transcript_source"] == "machine"
    lead, heard = (tmp_path / "out" / "tingshui.txt").read_text().splitlines()
    assert heard.startswith("(heard by machine, a draft) ")
    assert "明天上午八点到十二点" in heard  # eSpeak's robotic speech, heard well enough for a draft
    assert "(heard by machine, a draft)" in (tmp_path / "out" / "tingshui.srt").read_text()
    drafts = list((Path(os.environ["XDG_CACHE_HOME"]) / "broadcaster" / "drafts").rglob("*.json"))
    assert len(drafts) == 1  # heard once: the next render reads it from the cache
    assert run("render", notice, "-o", tmp_path / "out2", "--engine", "espeak").code == 0
    assert (tmp_path / "out2" / "tingshui.txt").read_text() == (tmp_path / "out" / "tingshui.txt").read_text()
    # verify does not score the listener against its own draft
    res = run("verify", tmp_path / "out" / "tingshui.mp3", "--json")
    assert json.loads(res.out)["verified"][0]["checked"] is False


@pytest.mark.slow
def test_a_dialect_recording_without_text_is_not_checked(run, tmp_path, takes):
    (tmp_path / "录音").mkdir()
    shutil.copy(takes["amr"].path, tmp_path / "录音" / "停水.amr")
    notice = _notice(tmp_path, "录音/停水.amr", "voice: sichuan_chongqing\nlead: false\nrepeat: 1\n")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 0, res.err
    assert "recording mandarin" not in res.out and "(own recording, words not checked)" in res.out
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text())["notices"][0]
    assert entry["engine"] == "recording" and entry["spoken_as"] == "recording"
    assert entry["transcript_source"] == "not checked" and "川渝话" in entry["made_of"][0]["why"]
    assert (tmp_path / "out" / "tingshui.txt").read_text().startswith("(recording 录音/停水.amr: words not checked")
    assert not (tmp_path / "out" / "tingshui.srt").exists()
    assert "no voice here speaks" not in res.out  # the official's own voice is on air


# ---------------------------------------------------------------- the desk's backend: a take
@pytest.mark.slow
def test_a_take_is_heard_as_its_program_then_kept_in_the_notice_folder(tmp_path, takes):
    from broadcaster.errors import BadInput
    from broadcaster.takes import preview_take, save_take

    notice = write(tmp_path / "village" / "tongzhi.yaml", "id: tongzhi\ntitle: 通知\nrepeat: 1\nengine: espeak\n"
                                                          "text: 各位村民请注意，明天上午八点到十二点停水，请大家提前储水。\n")
    before = sorted(p.name for p in notice.parent.rglob("*"))
    data = takes["webm"].path.read_bytes()
    preview = preview_take(notice, data, "blob.webm", tmp_path / "preview")
    assert sorted(p.name for p in notice.parent.rglob("*")) == before  # nothing written beside the notice
    assert preview.name == "录音/tongzhi.webm" and preview.rendered.engine == "recording"
    heard = tmp_path / "preview" / preview.rendered.file
    assert abs(loudness(heard)[0] - TARGET) <= 1.0
    assert preview.rendered.made_of[0]["transcript_source"] == "text"  # the notice's text is what was read
    with pytest.raises(BadInput, match="is almost silent"):
        save_take(notice, _hum_wav(tmp_path), "take.wav")
    assert not (notice.parent / "录音").exists()
    assert save_take(notice, data, "blob.webm") == "录音/tongzhi.webm"
    assert (notice.parent / "录音" / "tongzhi.webm").read_bytes() == data
    with pytest.raises(BadInput, match="not a recording a phone or browser makes"):
        save_take(notice, data, "take.exe")


def _hum_wav(folder: Path) -> bytes:
    path = encode(phone_mix(np.zeros(0, np.float32), lead=2, tail=2, handling=False)[0], folder / "hum.wav", "wav")
    return path.read_bytes()


# ---------------------------------------------------------------- pointing dialects to recordings
def test_voices_says_what_each_way_to_put_a_dialect_on_air_is(run):
    res = run("voices")
    assert res.code == 0
    text = res.out
    assert "ways to put a dialect on air:" in text
    assert "read by a Mandarin voice: a stand-in, not a dialect voice" in text
    assert "offline that is eSpeak's, robotic: the fallback" in text
    assert "the official's own recording (recording: 录音/通知.m4a), in any dialect" in text
    assert "no voice here speaks 闽南话, 吴语, 客家话" in text and "record their notices in your own voice" in text
    doc = json.loads(run("voices", "--json").out)
    assert "闽南话" in doc["dialects_without_voice"] and len(doc["dialect_choices"]) >= 3


@pytest.mark.slow
def test_a_dialect_read_by_a_mandarin_voice_points_to_a_recording(run, tmp_path):
    notice = write(tmp_path / "n.yaml", "voice: sichuan_chongqing\nrepeat: 1\ntext: 不要出门。\n")
    res = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak")
    assert res.code == 0, res.err
    assert ("note: no voice here speaks 川渝话: a Mandarin voice read its words. To put 川渝话 itself on air, "
            "record the notice in your own voice (`recording:`, see docs/recordings.md)") in res.out
