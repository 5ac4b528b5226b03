"""The desk's emergency button with a real player: `broadcaster run` on a `file:` sink, the desk's schedule
page shows the button, pressing it reaches the daemon through player/control.py, and the daemon logs the
emergency play in the as-run log. Waits are for events, with generous deadlines (no timing asserts)."""
from __future__ import annotations

import re
import shutil

import pytest

from tests.guards import require_desk

require_desk()

from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402
from tests.e2e.onair import NOTICE, _rows, _until, start_player, stop  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
from tests.player_fixtures import sink_files  # noqa: E402


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
