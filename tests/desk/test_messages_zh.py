"""The desk under a Chinese browser: a bad schedule is explained in Chinese, as `check` explains it."""
from __future__ import annotations

import re

import pytest

from tests.helpers import write
from tests.zhtext import CHANNELS, PROGRAM, TIMES, _folder, _prose, _python


def test_the_desk_explains_a_bad_schedule_in_chinese(tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("ruamel.yaml")
    from starlette.testclient import TestClient

    from broadcaster.desk.app import DeskSettings, create_app

    folder = _folder(tmp_path)
    write(folder / "schedule.yaml", CHANNELS + PROGRAM + TIMES)
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", engine="espeak",
                            log_path=tmp_path / "asrun.sqlite", secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as c:
        c.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
        token = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/schedule").text).group(1)
        c.headers["X-CSRF-Token"] = token
        got = c.post("/api/schedule/add", json={"file": "schedule.yaml", "notice": "notices/a.yaml",
                                                "channel": "village", "times": "25:00"})
        assert got.status_code == 422, got.text
        message = got.json()["error"]
        assert "“25:00”不是一天里的时刻 — 钟点是 0 到 23" in message, message  # the form's words (desk/formwords.py)
        assert not _prose(message) and not _python(message, chinese=True)
        bad_channel = c.post("/api/schedule/add", json={"file": "schedule.yaml", "notice": "notices/a.yaml",
                                                        "channel": "vilage", "times": "07:00"})
        assert "不认识的频道“vilage” — 是不是想写“village”？" in bad_channel.json()["error"]
        c.headers["Accept-Language"] = "en"
        got = c.post("/api/schedule/add", json={"file": "schedule.yaml", "notice": "notices/a.yaml",
                                                "channel": "village", "times": "25:00"})
        assert "'25:00' is not a time of day" in got.json()["error"]
