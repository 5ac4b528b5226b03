"""Sinks: the registry, players found on PATH run as argument lists, file: and null."""
from __future__ import annotations

import os
import stat
import sys
import time
from datetime import timedelta

import pytest
from tests.audiotools import probe
from tests.player_fixtures import T0, sink_files, speech_wav, wav_seconds

from broadcaster.errors import BadInput
from broadcaster.player.clock import ManualClock, SystemClock
from broadcaster.player.sinks import (FileSink, PlayFailed, SinkUnavailable, available_sinks, make_sink,
                                      parse_spec)


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("audio") / "notice.wav", "各位村民请注意")


@pytest.fixture(scope="module")
def mp3(tmp_path_factory, wav):
    from broadcaster.audio.ffmpeg import run
    out = tmp_path_factory.mktemp("mp3") / "notice.mp3"
    run(["-y", "-i", str(wav), "-c:a", "libmp3lame", "-b:a", "64k", str(out)])
    return out


def fake_player(bin_dir, name: str, record) -> None:
    """A program called `name` on PATH that records its argv, one per line, and exits 0."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize("spec, expected", [
    ("aplay", ("aplay", ())),
    (["aplay", "-D", "plughw:1,0"], ("aplay", ("-D", "plughw:1,0"))),
    ("file:out/onair", ("file", ("out/onair",))),
    ("null", ("null", ())),
    (None, ("auto", ())),
    (["command", "cvlc", "--play-and-exit", "{file}"], ("command", ("cvlc", "--play-and-exit", "{file}"))),
])
def test_sink_specs(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize("spec, words", [
    ("aplya", "did you mean `aplay`?"),
    ("file:", "needs a folder"),
    (["command"], "needs the program"),
    ({"name": "aplay"}, "not a name or a list"),
])
def test_bad_sink_specs_say_how_to_fix(spec, words):
    with pytest.raises(BadInput) as err:
        parse_spec(spec)
    assert words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.slow
def test_auto_says_nothing_is_there_then_picks_the_first_player_on_path(tmp_path, monkeypatch, wav):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SinkUnavailable) as err:
        make_sink("auto", SystemClock())
    assert "tried ffplay, pw-play, paplay, aplay, mpg123" in str(err.value) and "file:DIR" in str(err.value)
    record = tmp_path / "argv.txt"
    fake_player(tmp_path / "bin", "aplay", record)
    fake_player(tmp_path / "bin", "mpg123", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sink = make_sink("auto", SystemClock(), cache_dir=tmp_path / "cache")
    assert sink.name == "aplay"  # before mpg123 in the order
    assert {n: ok for n, ok, _ in available_sinks()}["aplay"] is True
    play = sink.start(wav, "village", "n", time.time())
    while not play.poll():
        time.sleep(0.01)
    assert record.read_text().strip() == repr(["-q", str(wav)])


@pytest.mark.slow
def test_extra_arguments_and_format_conversion_for_a_wav_only_player(tmp_path, monkeypatch, mp3):
    record = tmp_path / "argv.txt"
    fake_player(tmp_path / "bin", "aplay", record)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sink = make_sink(["aplay", "-D", "plughw:1,0"], SystemClock(), cache_dir=tmp_path / "cache")
    assert sink.describe() == "aplay -D plughw:1,0"
    play = sink.start(mp3, "village", "n", time.time())
    while not play.poll():
        time.sleep(0.01)
    argv = eval(record.read_text().strip())
    assert argv[:3] == ["-q", "-D", "plughw:1,0"]
    converted = argv[3]
    assert converted.endswith(".wav") and probe(converted).codec == "pcm_s16le"
    assert probe(converted).duration == pytest.approx(probe(mp3).duration, abs=0.08)


@pytest.mark.slow
def test_a_failing_player_raises_play_failed_with_its_message(tmp_path, wav):
    script = tmp_path / "bad.py"
    script.write_text("import sys; sys.stderr.write('device busy\\n'); sys.exit(3)")
    play = make_sink(["command", sys.executable, str(script), "{file}"], SystemClock()).start(wav, "v", "n", 0)
    with pytest.raises(PlayFailed) as err:
        while not play.poll():
            time.sleep(0.01)
    assert "status 3: device busy" in str(err.value)
    with pytest.raises(SinkUnavailable):
        make_sink(["command", str(tmp_path / "no-such-player")], SystemClock()).start(wav, "v", "n", 0)


@pytest.mark.slow
def test_stop_ends_a_player_process_at_once(tmp_path, wav):
    script = tmp_path / "slow.py"
    script.write_text("import time; time.sleep(30)")
    play = make_sink(["command", sys.executable, str(script)], SystemClock()).start(wav, "v", "n", 0)
    time.sleep(0.2)
    t0 = time.monotonic()
    play.stop()
    assert time.monotonic() - t0 < 10   # the player would run 30 s: stop does not wait for it (even when busy)
    assert play.proc.poll() is not None


def test_file_sink_names_each_play_by_its_real_start_and_keeps_the_audio(tmp_path, wav):
    clock = ManualClock(T0.timestamp() + 0.123)
    sink = make_sink(f"file:{tmp_path / 'out'}", clock, "Asia/Shanghai")
    assert isinstance(sink, FileSink) and sink.available() == (True, "")
    play = sink.start(wav, "village", "hesuan-round8", clock.now())
    (start, channel, notice, path), = sink_files(tmp_path / "out")
    assert start == T0 + timedelta(milliseconds=123)
    assert path.name == "20211027T080000.123+0800_village_hesuan-round8.wav"
    assert path.read_bytes() == wav.read_bytes()
    # it lasts as long as the audio on the daemon's clock
    clock.sleep(wav_seconds(wav) - 0.01)
    assert play.poll() is False
    clock.sleep(0.02)
    assert play.poll() is True


@pytest.mark.slow
def test_file_sink_cut_leaves_only_what_aired(tmp_path, wav):
    clock = ManualClock(T0.timestamp())
    sink = make_sink(f"file:{tmp_path / 'out'}", clock)
    play = sink.start(wav, "village", "n", clock.now())
    clock.sleep(0.8)
    play.stop()
    (_, _, _, path), = sink_files(tmp_path / "out")
    assert probe(path).duration == pytest.approx(0.8, abs=0.03)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_file_sink_in_an_unwritable_place_is_unavailable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ok, why = make_sink(f"file:{blocker / 'out'}", SystemClock()).available()
    assert not ok and "cannot create" in why


def test_null_sink_takes_the_audio_time_and_writes_nothing(tmp_path, wav, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clock = ManualClock(T0.timestamp())
    play = make_sink("null", clock).start(wav, "v", "n", clock.now())
    assert play.ends_at == pytest.approx(T0.timestamp() + wav_seconds(wav), abs=0.01)
    assert os.listdir(tmp_path) == []
