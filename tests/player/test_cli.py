"""`broadcaster play` without a running daemon, and its mistakes; `broadcaster sinks`."""
from __future__ import annotations

import json
import os

import pytest
from tests.guards import needs_fifos
from tests.helpers import without_waiting_on, write
from tests.player_fixtures import sink_files, speech_wav, wav_seconds


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("audio") / "fire.wav", "请注意")


def test_play_without_a_daemon_plays_here_and_logs_it(run, tmp_path, wav):
    log = tmp_path / "asrun.sqlite"
    res = run("play", wav, "--sink", f"file:{tmp_path / 'out'}", "--channel", "village", "--log", log)
    assert res.code == 0, res.err
    assert "▶ fire" in res.out and "played" in res.out
    (start, channel, notice, path), = sink_files(tmp_path / "out")
    assert (channel, notice) == ("village", "fire") and path.read_bytes() == wav.read_bytes()
    rows = json.loads(run("log", "--log", log, "--json").out)["rows"]
    assert [(r["channel"], r["notice"], r["status"], r["priority"]) for r in rows] == [
        ("village", "fire", "played", "urgent")]
    seconds = rows[0]["seconds"]
    assert seconds == pytest.approx(wav_seconds(wav), abs=0.1)


@pytest.mark.slow
def test_a_notice_is_rendered_before_it_is_played(tmp_path):
    from tests.audiotools import probe

    from broadcaster.player.control import resolve_audio

    notice = write(tmp_path / "water.yaml", "id: water-cut\ntitle: 停水通知\nengine: espeak\nrepeat: 1\n"
                                            "text: 明天上午停水。\n")
    audio = resolve_audio(str(notice), cache_dir=tmp_path / "cache")
    assert (audio.notice, audio.title) == ("water-cut", "停水通知")
    assert audio.file.endswith(".wav") and probe(audio.file).duration > 1.0


@pytest.mark.parametrize("args, words", [
    (["missing.wav"], "missing.wav: file not found — give an audio file (.mp3, .wav) or a notice (.yaml)"),
    (["{garbage}"], "not a playable audio file"),
    (["{wav}", "--mode", "later"], "unknown mode 'later' — use --mode cut, --mode next or --mode wait:SECONDS"),
    (["{wav}", "--sink", "aplya"], "unknown sink 'aplya' — did you mean `aplay`?"),
    (["{wav}", "--priority", "normal"], "Invalid value for '--priority'"),
])
def test_play_mistakes_exit_2_with_one_line_and_play_nothing(run, tmp_path, wav, args, words, monkeypatch):
    monkeypatch.chdir(tmp_path)
    garbage = tmp_path / "garbage.mp3"
    garbage.write_bytes(b"\x00not audio" * 100)
    args = [a.format(garbage=garbage, wav=wav) for a in args]
    res = run("play", *args, "--log", tmp_path / "asrun.sqlite", "--sink", f"file:{tmp_path / 'out'}") \
        if "--sink" not in args else run("play", *args, "--log", tmp_path / "asrun.sqlite")
    assert res.code == 2, res.err
    assert words in res.err and len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_play_on_a_sink_that_is_not_there_fails_with_exit_1_and_is_logged(run, tmp_path, wav, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    log = tmp_path / "asrun.sqlite"
    res = run("play", wav, "--log", log)  # auto finds no player here
    assert res.code == 1
    assert "no audio player found on PATH" in res.err
    rows = json.loads(run("log", "--log", log, "--json").out)["rows"]
    assert [r["status"] for r in rows] == ["failed"] and "no audio player" in rows[0]["reason"]


def test_sinks_lists_what_works_here(run):
    res = run("sinks", "--json")
    got = {r["name"]: r["available"] for r in json.loads(res.out)}
    assert got["file:DIR"] is True and got["null"] is True and "aplay" in got


@pytest.mark.parametrize("args, words", [
    (["missing.yaml"], "missing.yaml: schedule file not found — check the path"),
    (["missing.yaml", "--grace", "ten minutes"], "--grace 'ten minutes' is not a duration — write e.g. --grace 10m"),
    (["missing.yaml", "--for", "1d"], "--for '1d' is not a duration"),
])
def test_run_mistakes_exit_2_with_one_line(run, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    res = run("run", *args, "--log", tmp_path / "asrun.sqlite")
    assert res.code == 2 and words in res.err and len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "asrun.sqlite").exists()


PLAN = """{
 "quiet_hours": ["22:00-06:00"],
 "channels": {"village": {"name": "大喇叭", "sink": "file:onair"}},
 "plays": [
  {"start": "2021-10-27T07:00:00+08:00", "end": "2021-10-27T07:00:30+08:00", "channel": "village",
   "notice": "hesuan", "file": "out/hesuan.wav", "priority": "normal", "status": "planned", "reason": ""},
  {"start": "%s", "end": "2021-10-27T12:00:30+08:00", "channel": "village",
   "notice": "supplies", "file": "/abs/supplies.wav", "priority": "%s"}
 ]
}"""


def test_a_saved_plan_json_is_read_with_its_sinks_and_quiet_hours(tmp_path):
    from broadcaster.player.source import ScheduleSource

    path = write(tmp_path / "plan.json", PLAN % ("2021-10-27T12:00:00+08:00", "urgent"))
    plan = ScheduleSource(path, sinks={"truck": "null"}).load(0)
    assert [p.notice for p in plan.plays] == ["hesuan", "supplies"]
    assert plan.plays[0].file == str(tmp_path / "out" / "hesuan.wav") and plan.plays[1].priority == "urgent"
    assert plan.plays[0].start.isoformat() == "2021-10-27T07:00:00+08:00"
    assert plan.sinks == {"village": "file:onair", "truck": "null"} and plan.base_dir == tmp_path
    assert plan.quiet_hours == ((22 * 3600, 6 * 3600),) and plan.names == {"village": "大喇叭"}


def test_a_plan_json_saved_as_gbk_is_read_like_a_schedule(tmp_path):
    from broadcaster.player.source import plan_from_json

    path = tmp_path / "plan.json"
    path.write_bytes((PLAN % ("2021-10-27T12:00:00+08:00", "urgent")).encode("gbk"))  # a Windows editor's "ANSI"
    plan = plan_from_json(path)
    assert [p.notice for p in plan.plays] == ["hesuan", "supplies"] and plan.names == {"village": "大喇叭"}


@needs_fifos
def test_a_pipe_named_plan_json_is_refused_without_waiting_for_a_writer(tmp_path):
    from broadcaster.errors import BadInput
    from broadcaster.player.source import plan_from_json

    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    def read() -> str:
        try:
            plan_from_json(fifo)
        except BadInput as exc:
            return str(exc)
        return ""

    error = without_waiting_on(fifo, read, "reading the plan waited on a pipe")
    assert "not an ordinary file" in error and str(fifo) in error


@pytest.mark.parametrize("start, priority, words", [
    ("12:00", "urgent", "plan.json:7: '12:00' is not an ISO 8601 time — write e.g. 2021-10-27T07:00:00+08:00"),
    ("2021-10-27T12:00:00", "urgent", "plan.json:7: '2021-10-27T12:00:00' has no UTC offset"),
    ("2021-10-27T12:00:00+08:00", "top", "plan.json:7: unknown priority 'top'"),
])
def test_run_a_broken_plan_json_exits_2_with_file_and_line(run, tmp_path, start, priority, words):
    path = write(tmp_path / "plan.json", PLAN % (start, priority))
    res = run("run", path, "--log", tmp_path / "asrun.sqlite")
    assert res.code == 2 and words in res.err and len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "asrun.sqlite").exists()
    write(path, PLAN[:60])
    res = run("run", path, "--log", tmp_path / "asrun.sqlite")
    assert res.code == 2 and "plan.json:3: not valid JSON" in res.err


def test_run_sink_override_needs_a_channel(run, tmp_path):
    res = run("run", write(tmp_path / "plan.json", "[]"), "--sink", "aplay")
    assert res.code == 2 and "--sink 'aplay' names no channel — write --sink CHANNEL=SINK" in res.err


@pytest.mark.parametrize("quiet, words", [
    ('["22:00-06:00", "05:00-07:00"]', "quiet hours '05:00-07:00' overlap another range — merge"),
    ('["12:00-12:00"]', "quiet hours '12:00-12:00' is an empty range"),
    ('["22:00-25:00"]', "invalid time '25:00'"),
    ('"all night"', "'all night' is not a time range"),
])
def test_a_saved_plan_has_the_schedules_quiet_hour_rules(run, tmp_path, quiet, words):
    # the same rules, and the same words, as quiet_hours in a schedule file
    plan = PLAN % ("2021-10-27T12:00:00+08:00", "urgent")
    path = write(tmp_path / "plan.json", plan.replace('["22:00-06:00"]', quiet))
    res = run("run", path, "--log", tmp_path / "asrun.sqlite")
    assert res.code == 2 and f"plan.json: {words}" in res.err and len(res.err.strip().splitlines()) == 1, res.err


def _registered(log_path, channels, pid, heartbeat_age: float) -> None:
    """A player's registration in the log, as `broadcaster run` writes it."""
    import sqlite3
    import time

    from broadcaster.player.asrun import AsRunLog

    log = AsRunLog(log_path)
    did = log.register(list(channels), "schedule.yaml", time.time())
    log.close()
    db = sqlite3.connect(str(log_path), isolation_level=None)
    db.execute("UPDATE daemons SET pid = ?, heartbeat = ? WHERE id = ?", (pid, time.time() - heartbeat_age, did))
    db.close()


def test_play_to_a_channel_the_running_player_does_not_serve_is_exit_2_with_did_you_mean(run, tmp_path, wav):
    import os
    log = tmp_path / "asrun.sqlite"
    _registered(log, ["village", "truck"], os.getpid(), 0)
    res = run("play", wav, "--channel", "vilage", "--log", log, "--sink", f"file:{tmp_path / 'out'}")
    assert res.code == 2, res.err
    assert "vilage" in res.err and "did you mean `village`?" in res.err and len(res.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("alive, words", [(True, "may be hung"), (False, "stopped without signing off")])
def test_play_while_the_registered_player_does_not_answer_is_exit_1_not_a_local_play(run, tmp_path, wav, alive,
                                                                                    words):
    import os
    import subprocess
    import sys
    if alive:
        pid = os.getpid()
    else:
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        pid = gone.pid
    log = tmp_path / "asrun.sqlite"
    _registered(log, ["village"], pid, 60)
    res = run("play", wav, "--log", log, "--sink", f"file:{tmp_path / 'out'}")
    assert res.code == 1, res.err
    assert words in res.err and f"pid {pid}" in res.err and "village" in res.err
    assert not (tmp_path / "out").exists()
    if not alive:  # the way out, on purpose
        res = run("play", wav, "--log", log, "--sink", f"file:{tmp_path / 'out'}", "--here")
        assert res.code == 0, res.err
        assert (tmp_path / "out").exists()
