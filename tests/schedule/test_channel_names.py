"""Channels by their names and priorities in words (issue 23): `plan`, the player's answers to emergency
plays, `play` and the desk say 长乐村大喇叭 and 紧急/加急/普通/背景 (in the user's language), not `village`
and `urgent`; files, the log and JSON keep the keys."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.helpers import ROOT, write
from tests.player_fixtures import T0, plays, speech_wav

from broadcaster.player.asrun import AsRunLog
from broadcaster.player.clock import ManualClock
from broadcaster.player.daemon import AirPlan, Daemon, Settings, StaticSource
from broadcaster.vocabulary import PRIORITIES

NAMES = {"village": "长乐村大喇叭"}

SCHEDULE = """\
quiet_hours: ["22:00-06:00"]
channels:
  village: {name: 长乐村大喇叭, sink: null}
  truck: {name: 宣传车, sink: null}
programs:
  - notice: water.yaml
    channel: village
    times: ["08:00", "23:00"]
  - notice: power.yaml
    channels: [village, truck]
    times: ["08:00"]
    priority: urgent
"""


def test_priorities_in_words(monkeypatch):
    from broadcaster.vocabulary import priority_label

    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    assert [priority_label(p) for p in PRIORITIES] == ["背景", "普通", "加急", "紧急"]
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    assert [priority_label(p) for p in PRIORITIES] == ["background", "normal", "urgent", "emergency"]


def test_plan_shows_channel_names_and_priorities_in_words(run, tmp_path, monkeypatch):
    write(tmp_path / "water.yaml", "title: 停水通知\ntext: 明天停水。\nrepeat: 1\n")
    write(tmp_path / "power.yaml", "title: 停电通知\ntext: 后天停电。\nrepeat: 1\n")
    sched = write(tmp_path / "s.yaml", SCHEDULE)
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert re.fullmatch(r"  2021-10-27 08:00:00-08:00:\d\d  宣传车        加急  停电通知", lines[0]), lines
    assert re.fullmatch(r"  2021-10-27 08:00:00-08:00:\d\d  长乐村大喇叭  加急  停电通知", lines[1]), lines
    # the reason names the notice that holds the time by its title, and its priority in words
    assert re.fullmatch(r"→ 2021-10-27 08:00:\d\d-08:00:\d\d  长乐村大喇叭  普通  停水通知  "
                        r"（推迟了 0 分 \d+ 秒：停电通知（加急）占了 08:00:00-08:00:\d\d）", lines[2]), lines
    assert " village " not in r.out and "urgent" not in r.out and "normal" not in r.out
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("plan", sched, "--from", "2021-10-27", "--engine", "espeak")
    assert re.search(r"^  2021-10-27 08:00:00-08:00:\d\d  长乐村大喇叭  urgent  停电通知$", r.out, re.M), r.out
    assert json.loads(run("plan", sched, "--from", "2021-10-27", "--engine", "espeak", "--json").out)[
        "plays"][0]["priority"] == "urgent"  # files keep the key


# ---------------------------------------------------------------- the player's answers
def test_the_players_answers_name_the_channel(tmp_path):
    audio = speech_wav(tmp_path / "long.wav", "各位村民请注意，今天下午三点在村委会门口发放物资，请大家带好证件。")
    fire = speech_wav(tmp_path / "fire.wav", "请注意")
    plan = AirPlan(plays(audio, T0, every=600, count=1), {"village": f"file:{tmp_path / 'onair'}"}, names=NAMES)
    clock = ManualClock((T0 - timedelta(seconds=1)).timestamp())
    log = AsRunLog(tmp_path / "asrun.sqlite")
    daemon = Daemon(StaticSource(plan), log, clock, Settings(background_reload=False))

    def ask(priority: str):
        return lambda: log.send("village", str(fire), "fire", "", priority, "next", 0.0, daemon.daemon_id,
                                clock.now())

    clock.at((T0 + timedelta(seconds=1)).timestamp(), ask("urgent"))      # 1: waits: normal n0 is on air
    clock.at((T0 + timedelta(seconds=1.2)).timestamp(), ask("emergency"))  # 2
    clock.at((T0 + timedelta(seconds=1.4)).timestamp(), ask("emergency"))  # 3: the same again
    clock.at((T0 + timedelta(seconds=120)).timestamp(), ask("urgent"))    # 4: the channel is free
    daemon.run(until=(T0 + timedelta(seconds=130)).timestamp())
    state = {i: log.answer_state(i) for i in range(1, 5)}
    assert state[3][0] == "already" and "on 长乐村大喇叭; not played again" in state[3][1], state[3]
    assert state[4] == ("accepted", "playing now on 长乐村大喇叭")
    [registered] = log._read("SELECT names FROM daemons")
    assert json.loads(registered["names"]) == NAMES  # what `play` and the desk answer with
    assert {r["channel_name"] for r in log.report().rows} == {"长乐村大喇叭"}


def test_an_answer_about_priorities_says_them_in_words(tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    audio = speech_wav(tmp_path / "long.wav", "各位村民请注意，今天下午三点在村委会门口发放物资，请大家带好证件。")
    plan = AirPlan(plays(audio, T0, every=600, count=1, priority="urgent"), {"village": f"file:{tmp_path / 'o'}"},
                   names=NAMES)
    clock = ManualClock((T0 - timedelta(seconds=1)).timestamp())
    log = AsRunLog(tmp_path / "asrun.sqlite")
    daemon = Daemon(StaticSource(plan), log, clock, Settings(background_reload=False))
    clock.at((T0 + timedelta(seconds=1)).timestamp(),
             lambda: log.send("village", str(audio), "again", "", "urgent", "next", 0.0, daemon.daemon_id,
                              clock.now()))
    daemon.run(until=(T0 + timedelta(seconds=2)).timestamp())
    assert "加急" in log.answer_state(1)[1] and "urgent" not in log.answer_state(1)[1]


class PlayerThread:
    """A real player (the daemon on the system clock) in this process, for `play` and the desk to reach."""

    def __init__(self, tmp_path: Path, names: dict) -> None:
        self.log = tmp_path / "asrun.sqlite"
        plan = AirPlan((), {"village": f"file:{tmp_path / 'onair'}"}, quiet_hours=(), names=names)
        self.daemon = Daemon(StaticSource(plan), AsRunLog(self.log), settings=Settings(background_reload=False))
        self.thread = threading.Thread(target=self.daemon.run, kwargs={"until": time.time() + 300}, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while self.daemon.daemon_id is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.daemon.stop("test over")
        self.thread.join(60)


def test_play_prints_the_channels_name(run, tmp_path):
    fire = speech_wav(tmp_path / "fire.wav", "请注意")
    with PlayerThread(tmp_path, NAMES) as player:
        r = run("play", fire, "--priority", "emergency", "--log", player.log)
        assert r.code == 0, r.err
        assert r.out.startswith("长乐村大喇叭: "), r.out
        r = run("play", fire, "--priority", "emergency", "--log", player.log, "--json")
        answer = json.loads(r.out)["answers"][0]
        assert (answer["channel"], answer["channel_name"]) == ("village", "长乐村大喇叭")
        assert answer["already_airing"] is True and "长乐村大喇叭" in answer["note"]


@pytest.mark.slow
def test_the_desks_emergency_answer_names_the_channel(tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("ruamel.yaml")
    from starlette.testclient import TestClient

    from broadcaster.desk.app import DeskSettings, create_app

    folder = tmp_path / "folder"
    write(folder / "notices" / "火警.yaml", "title: 火警\ntext: 请注意。\nrepeat: 1\n")
    with PlayerThread(tmp_path, NAMES) as player:
        settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", log_path=player.log,
                                secret="s" * 40, testing=True, engine="espeak")
        with TestClient(create_app(settings)) as client:
            token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/schedule").text).group(1)
            got = client.post("/api/emergency", json={"file": "notices/火警.yaml"}, headers={"X-CSRF-Token": token})
    assert got.status_code == 200, got.text
    [answer] = got.json()["answers"]
    assert (answer["channel"], answer["channel_name"], answer["accepted"]) == ("village", "长乐村大喇叭", True)
    assert answer["note"] == "playing now on 长乐村大喇叭"
    js = (ROOT / "broadcaster" / "desk" / "static" / "desk.js").read_text()
    assert "a.channel_name || a.channel" in js  # what the button's answer line shows
