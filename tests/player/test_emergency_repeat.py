"""The same emergency asked for again (the desk's button pressed three times quickly, plus once later) airs
once: the player answers the repeats "already airing" and logs them skipped; the requester takes that as
done (exit 0). A different emergency, or new audio for the same notice, still airs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from tests.helpers import ROOT
from tests.player_fixtures import T0, drive, plays, query, rows, sink_files, speech_wav, wait_until

from broadcaster.player.daemon import AirPlan

pytestmark = pytest.mark.slow  # every test here starts a player process or cuts audio with ffmpeg


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    return SimpleNamespace(fire=speech_wav(d / "fire.wav", "请注意"),
                           fire_edited=speech_wav(d / "fire-edited.wav", "请注意，请注意"),
                           flood=speech_wav(d / "flood.wav", "各位村民请注意，请大家马上离开河边，到村委会集合。"),
                           long=speech_wav(d / "long.wav", "各位村民请注意，今天下午三点在村委会门口发放物资，请大家带好证件。"))


def _ask(file: Path, notice: str, priority: str = "emergency"):
    def send(daemon, clock):
        daemon.log.send("village", str(file), notice, "", priority, "cut", 0.0, daemon.daemon_id, clock.now())
    return send


def test_a_repeated_emergency_airs_once_and_the_repeats_are_answered_already_airing(tmp_path, audio):
    out = tmp_path / "onair"
    plan = AirPlan(plays(audio.long, T0, every=600, count=1), {"village": f"file:{out}"})
    at = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    asks = [(at(2.0), _ask(audio.fire, "fire")),          # 1: cuts n0
            (at(2.2), _ask(audio.fire, "fire")),          # 2: pressed again while it airs
            (at(2.3), _ask(audio.flood, "flood")),        # 3: another emergency: waits its turn
            (at(2.4), _ask(audio.flood, "flood")),        # 4: ... and again while it waits
            (at(2.5), _ask(audio.fire_edited, "fire")),   # 5: the notice with new audio: a new emergency
            (at(60), _ask(audio.fire, "fire")),           # 6: pressed again a minute later
            (at(60.5), _ask(audio.fire, "fire", "urgent")),  # 7: an urgent play is not held back
            (at(200), _ask(audio.fire, "fire"))]          # 8: more than 3 min after it ended: airs again
    log, events, *_ = drive(tmp_path, plan, T0 - timedelta(seconds=1), at(240), hooks=asks)

    # what went out (told apart by content): the first press, the urgent play and the one after the window
    names = {getattr(audio, n).read_bytes(): n for n in ("fire", "fire_edited", "flood", "long")}
    aired = [names.get(f[3].read_bytes(), "n0 (cut)") for f in sink_files(out)]
    assert aired == ["n0 (cut)", "fire", "flood", "fire_edited", "long", "fire", "fire"]
    state = {i: log.answer_state(i) for i in range(1, 9)}
    assert state[1] == ("accepted", "cutting n0 now")
    assert state[2] == ("already", "already airing since 08:00:02: the same emergency fire is on air on village; "
                                   "not played again")
    assert state[3][0] == "accepted" and state[5][0] == "accepted" and state[7][0] == "accepted"
    assert state[4] == ("already", "already waiting to air: the same emergency flood was asked for at 08:00:02 on "
                                   "village; not played again")
    assert state[6][0] == "already" and state[6][1].startswith("already aired from 08:00:02 to 08:00:0")
    assert "the same emergency fire is not played again on village before 08:03:0" in state[6][1]
    assert "(3 min after its end)" in state[6][1]
    assert state[8] == ("accepted", "playing now on village")

    # the requests' as-run rows: the repeats are on record as skipped, with the answer as the reason
    requests = {int(r["slot"].rsplit(":", 1)[1]): r for r in rows(log) if r["slot"].startswith("request:")}
    assert {i: r["status"] for i, r in requests.items()} == {
        1: "played", 2: "skipped", 3: "played", 4: "skipped", 5: "played", 6: "skipped", 7: "played", 8: "played"}
    for i in (2, 4, 6):
        assert requests[i]["reason"] == state[i][1] and requests[i]["actual_start"] is None
    said = [e.message for e in events if e.kind == "request" and "already" in e.message]
    assert said[0] == f"play request 2 (emergency fire): {state[2][1]}" and len(said) == 3


@pytest.mark.slow
def test_play_answers_a_repeated_emergency_already_airing_and_exits_0(tmp_path):
    alarm = speech_wav(tmp_path / "alarm.wav", "紧急通知，紧急通知，请大家马上离开河边，到村委会集合。" * 3)
    log, plan = tmp_path / "asrun.sqlite", tmp_path / "plan.json"
    plan.write_text(json.dumps({"timezone": "Asia/Shanghai", "quiet_hours": [],
                                "channels": {"village": {"sink": "null"}}, "plays": []}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    daemon = subprocess.Popen([sys.executable, "-m", "broadcaster", "run", str(plan), "--log", str(log)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def play(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "broadcaster", "play", str(alarm), "--priority", "emergency",
                               "--log", str(log), *args], capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=120)

    try:
        wait_until(lambda: query(log, "SELECT id FROM daemons WHERE stopped IS NULL"), 120, "the player")
        first = play("--json")
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["answers"][0]["accepted"] is True
        # pressed again: while it airs, or (on a slow machine) moments after: either way it is done
        again = play("--json")
        assert again.returncode == 0, again.stderr
        answer = json.loads(again.stdout)["answers"][0]
        assert answer["note"].startswith(("already airing since ", "already aired from ")), answer
        assert answer["accepted"] is True and answer["already_airing"] is True, answer
        said = play()
        assert said.returncode == 0, said.stderr
        assert said.stdout.startswith("village: already ") and "the same emergency alarm" in said.stdout, said.stdout
        assert f"(player pid {daemon.pid})" in said.stdout
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    assert len(query(log, "SELECT id FROM onair WHERE notice = 'alarm'")) == 1, "it went on air once"
    skipped = query(log, "SELECT reason FROM asrun WHERE notice = 'alarm' AND status = 'skipped'")
    assert len(skipped) == 2 and all(r["reason"].startswith("already ") for r in skipped)


@pytest.mark.slow
def test_play_without_a_running_player_answers_a_repeat_the_same_way(run, tmp_path, audio):
    # no `broadcaster run`: `play` plays here itself (a null sink takes the audio's time) and ends
    log = tmp_path / "asrun.sqlite"
    args = ("play", audio.fire, "--priority", "emergency", "--sink", "null", "--log", log)
    first = run(*args)
    assert first.code == 0, first.err
    again = run(*args, "--json")
    assert again.code == 0, again.err
    answer = json.loads(again.out)
    assert answer["outcome"][0]["status"] == "skipped", answer
    assert answer["outcome"][0]["reason"].startswith("already aired from "), answer
    assert answer["already_airing"] is True and answer["sent_to_player"] is False
    said = run(*args)
    assert said.code == 0 and "already aired from " in said.out, said
    assert len(query(log, "SELECT id FROM onair")) == 1, "it went on air once"
    # new audio is a new emergency
    assert run("play", audio.fire_edited, "--priority", "emergency", "--sink", "null", "--log", log).code == 0
    assert len(query(log, "SELECT id FROM onair")) == 2
