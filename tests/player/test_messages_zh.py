"""The player's lines and the as-run report under a Chinese locale: `play`, `log`, `sinks`, and `run` on a
plan with nothing left to air. No English prose and no Python name is left; with LANG=C the same lines are
English.
"""
from __future__ import annotations

import re
import wave
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.vocabulary import TIMEZONE

from tests.helpers import write
from tests.zhtext import _chinese, _lines_without_english, _locale, _python


def _wav(path: Path, seconds: float = 0.4) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def test_play_and_log_speak_chinese(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    log = tmp_path / "asrun.sqlite"
    beep = _wav(tmp_path / "beep.wav")
    played = run("play", beep, "--sink", "null", "--log", log, "--channel", "village")
    assert played.code == 0, played.err
    assert re.search(r"■ beep 已播（\d+\.\d 秒）", played.out) and "开始播出：1 个频道（village）" in played.out
    assert "已停止：没有要播的了" in played.out
    failed = run("play", beep, "--sink", "[command, /no/such/player]", "--log", log, "--channel", "truck")
    assert failed.code == 1
    assert "出错：" in failed.err and "✗ beep 失败：没有能用的播放方式" in failed.err
    assert "没有安装 /no/such/player" in failed.err
    for r in (played, failed):
        assert not _lines_without_english(r.out + r.err), r.out + r.err
        assert not _python(r.out + r.err, chinese=True)

    today = datetime.now(ZoneInfo(TIMEZONE)).date().isoformat()  # the log's days are the station's days
    report = run("log", "--log", log, "--from", today, "--to", today)
    assert report.code == 0, report.err
    lines = report.out.splitlines()
    header = next(line for line in lines if line.startswith("日期"))
    assert header.split() == ["日期", "频道", "已播", "晚播", "错过", "跳过", "失败", "已中断", "播出时长"]
    village = next(line for line in lines if " village " in line and "已播" in line)
    truck = next(line for line in lines if " truck " in line and "失败" in line)
    assert "这个频道的播放方式用不了" in truck and "beep" in village
    totals = [line for line in lines if line.startswith(today) and line.endswith("分钟")]
    assert len(totals) == 2
    assert not _lines_without_english(report.out)

    only = run("log", "--log", log, "--from", "2021-10-27", "--to", "2021-10-27")
    assert only.out.strip().endswith("（这段时间里没有播出记录）")
    csv_file = tmp_path / "播出记录.csv"
    assert run("log", "--log", log, "--csv", "-o", csv_file).code == 0
    first = csv_file.read_text(encoding="utf-8-sig").splitlines()[0]
    assert first == "planned,actual_start,actual_end,channel,notice,title,priority,status,reason,sha256,file,sink,slot"
    assert ",played," in csv_file.read_text(encoding="utf-8-sig")  # the values stay machine-readable

    bad_day = run("log", "--log", log, "--from", "2021-13-01")
    assert bad_day.code == 2 and "--from “2021-13-01”不是日期 — 写成 年-月-日" in bad_day.err
    _locale(monkeypatch, "C")
    en = run("log", "--log", log, "--from", today, "--to", today)
    assert en.out.splitlines()[-3].split()[:3] == ["day", "channel", "played"] or \
        any(line.split()[:3] == ["day", "channel", "played"] for line in en.out.splitlines())
    assert "已播" not in en.out


def test_sinks_are_listed_in_chinese(run, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    r = run("sinks")
    assert r.code == 0
    lines = r.out.strip().splitlines()
    assert {line.split()[0] for line in lines} >= {"ffplay", "aplay", "file:DIR", "null"}
    for line in lines:
        assert "可以用" in line or "不能用" in line, line
        assert _chinese(line.split(None, 2)[2]), line
    assert not _lines_without_english(r.out), r.out
    _locale(monkeypatch, "C")
    en = run("sinks")
    assert "plays nothing, taking the audio's duration" in en.out and "可以用" not in en.out


def test_a_plan_file_with_only_past_plays_warns_when_run(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    beep = _wav(tmp_path / "beep.wav")
    plan = write(tmp_path / "plan.json", '{"channels": {"village": {"sink": "null"}}, "plays": [{"start": '
                 f'"2021-10-27T07:00:00+08:00", "channel": "village", "notice": "beep", "file": "{beep}"}}]}}')
    r = run("run", plan, "--for", "0.5s", "--log", tmp_path / "asrun.sqlite")
    assert r.code == 0, r.err
    assert "从现在起没有要播的：这个计划里的每次播放都已过去或已取消" in r.err
