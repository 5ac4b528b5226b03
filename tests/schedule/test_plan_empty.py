"""A plan that airs nothing says why, in the user's language."""
from __future__ import annotations

import pytest

from tests.helpers import write

pytestmark = pytest.mark.slow  # every test here renders its notice to plan with its duration

SCHEDULE = """\
timezone: Asia/Shanghai
quiet_hours: ["22:00-06:00"]
channels:
  village: {{name: 大喇叭, sink: null}}
programs:
  - notice: n.yaml
    channel: village
{when}
"""
NOTICE = "id: n\ntitle: 通知\ntext: 各位村民请注意。\n"


def _plan(run, tmp_path, when: str, *args):
    write(tmp_path / "n.yaml", NOTICE)
    sched = write(tmp_path / "s.yaml", SCHEDULE.format(when=when))
    return run("plan", sched, "--engine", "espeak", *args)


def test_dates_all_in_the_past_say_so_and_where_to_look(run, tmp_path):
    r = _plan(run, tmp_path, '    dates: 2021-10-27..2021-10-29\n    times: ["08:00"]', "--from", "2022-01-01")
    assert r.code == 0 and r.out.startswith("0 plays")
    assert "every program's dates are in the past (the last play day was 2021-10-29)" in r.err
    assert "try --from 2021-10-27" in r.err


def test_a_weekly_cron_names_the_next_play_day(run, tmp_path):
    r = _plan(run, tmp_path, '    cron: "0 19 * * 6"', "--from", "2021-10-25")  # a Monday
    assert r.code == 0 and r.out.startswith("0 plays")
    assert "the next play day is 2021-10-30" in r.err


def test_everything_in_quiet_hours_is_explained(run, tmp_path):
    r = _plan(run, tmp_path, '    dates: 2021-10-27\n    times: ["23:00"]', "--from", "2021-10-27")
    assert "1 dropped" in r.out
    assert "every play falls in quiet hours" in r.err


def test_plays_mean_no_note(run, tmp_path):
    r = _plan(run, tmp_path, '    dates: 2021-10-27\n    times: ["08:00"]', "--from", "2021-10-27")
    assert "1 planned" in r.out and "note:" not in r.err


def test_the_reason_is_in_chinese_for_a_chinese_locale(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = _plan(run, tmp_path, '    dates: 2021-10-27..2021-10-29\n    times: ["08:00"]', "--from", "2022-01-01")
    assert "最后一个播出日是 2021-10-29" in r.err and "--from 2021-10-27" in r.err
    assert "program" not in r.err
