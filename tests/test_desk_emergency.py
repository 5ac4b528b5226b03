"""The desk's emergency button with a real player: `broadcaster run` on a `file:` sink, the desk's schedule
page shows the button, pressing it reaches the daemon through player/control.py, and the daemon logs the
emergency play in the as-run log. Waits are for events, with generous deadlines (no timing asserts)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("ruamel.yaml")

from player_fixtures import TZ, sink_files, speech_wav  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NOTICE = "notices/free-text.yaml"  # id truck-arrival: a short notice
DEADLINE = 120.0  # seconds: the machine may be loaded; only events are waited for


def _rows(log: Path, sql: str) -> list[dict]:
    if not log.exists():
        return []
    db = sqlite3.connect(str(log))
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute(sql)]
    except sqlite3.OperationalError:  # the daemon has not made its tables yet
        return []
    finally:
        db.close()


def _until(predicate, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_player(tmp_path: Path, log: Path, out: Path) -> subprocess.Popen:
    """`broadcaster run plan.json` on a file: sink, with one scheduled play an hour away (it idles)."""
    clip = speech_wav(tmp_path / "later.wav", "注意")
    start = datetime.now(TZ) + timedelta(hours=1)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "timezone": "Asia/Shanghai", "quiet_hours": [],  # the test must pass at any time of day
        "channels": {"village": {"name": "大喇叭", "sink": f"file:{out}"}},
        "plays": [{"start": start.isoformat(), "end": (start + timedelta(seconds=2)).isoformat(),
                   "channel": "village", "notice": "later", "file": str(clip),
                   "slot": f"village/later/{start.isoformat()}"}]}, ensure_ascii=False))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "broadcaster", "run", str(plan), "--log", str(log)],
                            cwd=tmp_path, env=env, stdout=open(tmp_path / "daemon.out", "w"),
                            stderr=subprocess.STDOUT)


def stop(daemon: subprocess.Popen) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


@pytest.mark.slow
def test_the_emergency_button_reaches_the_running_player_and_is_logged(tmp_path):
    folder = tmp_path / "village"
    shutil.copytree(ROOT / "examples", folder)
    log, out = tmp_path / "asrun.sqlite", tmp_path / "onair"
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", engine="espeak", log_path=log,
                            secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as desk:
        page = desk.get("/schedule").text
        assert 'id="emergency"' not in page  # no player yet: no button, and the press is refused
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        assert desk.post("/api/emergency", json={"file": NOTICE}, headers={"X-CSRF-Token": token}).status_code == 409

        daemon = start_player(tmp_path, log, out)
        try:
            page = _until(lambda: (lambda t: 'id="emergency"' in t and t)(desk.get("/schedule").text),
                          "the emergency button once the player runs")
            assert f'<option value="{NOTICE}">' in page
            refused = desk.post("/api/emergency", json={"file": NOTICE})  # without the page's token
            assert refused.status_code == 403
            assert not _rows(log, "SELECT id FROM requests")

            pressed = desk.post("/api/emergency", json={"file": NOTICE}, headers={"X-CSRF-Token": token})
            assert pressed.status_code == 200, pressed.text
            answers = pressed.json()["answers"]
            assert [(a["channel"], a["accepted"]) for a in answers] == [("village", True)], answers

            _until(lambda: _rows(log, "SELECT id FROM onair WHERE notice = 'truck-arrival'"), "the play on air")
            again = desk.post("/api/emergency", json={"file": NOTICE}, headers={"X-CSRF-Token": token}).json()
            assert [(a["channel"], a["accepted"], a["already_airing"]) for a in again["answers"]] == [
                ("village", True, True)], again  # pressed twice: said to be on air already, not queued again
        finally:
            stop(daemon)  # it need not play the whole notice in real time: a stop mid-play is logged too
    played = _rows(log, "SELECT * FROM asrun WHERE notice = 'truck-arrival' AND status IN ('played', 'interrupted')")
    assert daemon.returncode == 0, (tmp_path / "daemon.out").read_text()
    request = _rows(log, "SELECT * FROM requests")
    # both presses are requests; the second was answered "already airing", and only one play went out
    assert [(r["priority"], r["notice"]) for r in request] == [("emergency", "truck-arrival")] * 2
    assert len(played) == 1, _rows(log, "SELECT * FROM asrun")
    row = played[0]
    assert row["priority"] == "emergency" and row["title"] == "物资车到达" and row["channel"] == "village"
    assert row["actual_start"] is not None and row["sha256"]
    aired = [f for f in sink_files(out) if f[2] == "truck-arrival"]
    assert len(aired) == 1 and aired[0][3].read_bytes()[:4] == b"RIFF"  # it went out through the file: sink
    assert not _rows(log, "SELECT id FROM asrun WHERE notice = 'later'")  # the scheduled play was not touched
