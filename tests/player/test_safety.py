"""Safe on air: a schedule or plan file cannot make the player run a program of its choice."""
from __future__ import annotations

import json
import os
import stat
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from tests.helpers import write
from tests.player_fixtures import TZ, speech_wav


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    return speech_wav(tmp_path_factory.mktemp("audio") / "notice.wav", "请注意")


def recorder(bin_dir: Path, record: Path) -> Path:
    """A program that notes it was run (and with what), like a hostile or a real player would."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / "recorder"
    path.write_text(f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(repr(sys.argv[1:]) + '\\n')\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def plan_json(path: Path, sink: object, wav: Path, start: float | None = None) -> Path:
    start = time.time() if start is None else start
    s = datetime.fromtimestamp(start, TZ).isoformat()
    doc = {"timezone": "Asia/Shanghai", "quiet_hours": [],
           "channels": {"village": {"name": "大喇叭", "sink": sink}},
           "plays": [{"start": s, "end": s, "channel": "village", "notice": "n0", "file": str(wav)}]}
    return write(path, json.dumps(doc, ensure_ascii=False, indent=1))


def config(text: str) -> Path:
    return write(Path(os.environ["XDG_CONFIG_HOME"]) / "broadcaster" / "config.yaml", text)


def test_a_plan_json_cannot_run_a_command(run, tmp_path, wav):
    record = tmp_path / "ran.txt"
    prog = recorder(tmp_path / "bin", record)
    plan = plan_json(tmp_path / "plan.json", ["command", str(prog), "{file}"], wav)
    line = next(i for i, t in enumerate(plan.read_text().splitlines(), 1) if '"sink"' in t)
    res = run("run", plan, "--log", tmp_path / "asrun.sqlite", "--for", "2s")
    assert res.code == 2, res.err
    assert f"plan.json:{line}: " in res.err and "config.yaml" in res.err and "--sink" in res.err
    assert len(res.err.strip().splitlines()) == 1
    assert not record.exists()


def test_a_schedule_yaml_cannot_run_a_command(run, tmp_path, wav):
    record = tmp_path / "ran.txt"
    prog = recorder(tmp_path / "bin", record)
    write(tmp_path / "n.yaml", "id: n0\ntitle: 通知\ntext: 请注意。\nrepeat: 1\n")
    sched = write(tmp_path / "schedule.yaml",
                  "quiet_hours: []\n"
                  "channels:\n"
                  "  village:\n"
                  "    name: 大喇叭\n"
                  f"    sink: [command, {prog}, '{{file}}']\n"
                  "programs:\n"
                  "  - notice: n.yaml\n"
                  "    channel: village\n"
                  "    times: [\"07:00\"]\n")
    res = run("run", sched, "--log", tmp_path / "asrun.sqlite", "--for", "2s")
    assert res.code == 2, res.err
    assert "schedule.yaml:5: " in res.err and len(res.err.strip().splitlines()) == 1
    assert not record.exists()
    res = run("check", sched)
    assert res.code == 2 and "schedule.yaml:5: a schedule or plan cannot run a program" in res.err


def test_the_watched_file_refuses_a_command_sink_on_every_load(tmp_path, wav):
    # the daemon reloads an edited file through the same load: such an edit is a broken edit
    from broadcaster.errors import BadInput
    from broadcaster.player.source import ScheduleSource

    plan = plan_json(tmp_path / "plan.json", ["command", "sh", "-c", "touch pwned"], wav)
    line = next(i for i, t in enumerate(plan.read_text().splitlines(), 1) if '"sink"' in t)
    with pytest.raises(BadInput) as err:
        ScheduleSource(plan, sinks={"truck": ["command", "true"]}).load(time.time())
    assert err.value.path == str(plan) and err.value.line == line


@pytest.mark.parametrize("sink, ok", [
    (["aplay", "-D", "plughw:1,0"], True),
    (["paplay", "--device", "alsa_output.usb"], True),
    (["mpg123", "-w", "/home/me/.bashrc"], False),   # would overwrite a file
    (["ffplay", "-i", "http://example.org/x"], False),
    (["aplay", "-D"], False),
])
def test_a_file_may_only_choose_a_players_output_device(tmp_path, wav, sink, ok):
    from broadcaster.errors import BadInput
    from broadcaster.player.source import ScheduleSource

    plan = plan_json(tmp_path / "plan.json", sink, wav)
    if ok:
        assert ScheduleSource(plan).load(time.time()).sinks == {"village": sink}
    else:
        with pytest.raises(BadInput, match="may only choose"):
            ScheduleSource(plan).load(time.time())


@pytest.mark.slow
def test_a_command_sink_named_in_config_yaml_may_be_used_by_name(run, tmp_path, wav):
    record = tmp_path / "ran.txt"
    prog = recorder(tmp_path / "bin", record)
    config(f"sinks:\n  hall: [command, {prog}, '{{file}}']\n")
    plan = plan_json(tmp_path / "plan.json", "hall", wav, start=time.time() + 0.5)
    res = run("run", plan, "--log", tmp_path / "asrun.sqlite", "--for", "3s")
    assert res.code == 0, res.err
    assert record.read_text().splitlines() == [repr([str(wav)])]
    rows = json.loads(run("log", "--log", tmp_path / "asrun.sqlite", "--json").out)["rows"]
    assert [r["status"] for r in rows] == ["played"] and rows[0]["sink"] == f"{prog} {{file}}"


@pytest.mark.slow
def test_a_command_sink_given_with_the_sink_option_is_used(run, tmp_path, wav):
    record = tmp_path / "ran.txt"
    prog = recorder(tmp_path / "bin", record)
    plan = plan_json(tmp_path / "plan.json", "null", wav, start=time.time() + 0.5)
    res = run("run", plan, "--log", tmp_path / "asrun.sqlite", "--for", "3s",
              "--sink", f"village=[command, {prog}, --flag, '{{file}}']")
    assert res.code == 0, res.err
    assert record.read_text().splitlines() == [repr(["--flag", str(wav)])]
    record.unlink()
    res = run("play", wav, "--log", tmp_path / "asrun2.sqlite", "--sink", f"[command, {prog}]")
    assert res.code == 0, res.err
    assert record.read_text().splitlines() == [repr([str(wav)])]


@pytest.mark.parametrize("text, words", [
    ("sinks: [a, b]\n", "config.yaml: 'sinks' must hold settings, one `name: value` per line"),
    ("sinks:\n  aplay: null\n", "config.yaml: sink name 'aplay' is a built-in sink"),
    ("sinks:\n  hall: [comand, x]\n", "config.yaml: unknown sink 'comand'"),
])
def test_config_sinks_mistakes_exit_2(run, tmp_path, wav, text, words):
    config(text)
    plan = plan_json(tmp_path / "plan.json", "null", wav)
    res = run("run", plan, "--log", tmp_path / "asrun.sqlite", "--for", "1s")
    assert res.code == 2 and words in res.err, res.err
