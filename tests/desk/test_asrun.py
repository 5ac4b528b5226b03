"""The desk's as-run page shows each play's times as `broadcaster log` prints them (it sliced ISO strings)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.guards import require_desk

require_desk()

from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402
from broadcaster.player.asrun import AsRunLog, Entry  # noqa: E402


def test_the_as_run_page_shows_the_times_log_prints(tmp_path, run):
    path = tmp_path / "asrun.sqlite"
    log = AsRunLog(path)
    for i, late in enumerate((0.0, 1.234)):
        planned = datetime(2021, 10, 27, 7, i, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
        log.append(Entry(slot=f"s{i}", channel="village", notice=f"n{i}", title="通知", status="played",
                         planned=planned, actual_start=planned + late, actual_end=planned + 60))
    (tmp_path / "folder").mkdir()
    settings = DeskSettings(folder=(tmp_path / "folder").resolve(), jobs_dir=tmp_path / "jobs", log_path=path,
                            secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as client:
        html = client.get("/report", params={"day": "2021-10-27"}).text
    cells = re.findall(r'<tr class="status-played"><td>([^<]*)</td><td>([^<]*)</td>', html)
    printed = run("log", "--from", "2021-10-27", "--to", "2021-10-27", "--log", path).out.splitlines()
    assert len(cells) == 2
    for (planned, started), line in zip(cells, printed):
        assert line.startswith(f"{planned:19s}  {started:12s}"), (planned, started, line)
    assert cells[1] == ("2021-10-27 07:01:00", "07:01:01.234")
