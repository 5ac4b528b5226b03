"""Exports are safe on air: no input can add a line to a crontab, unit or playlist, ids are
whole-string matches, and what an export writes runs from any folder with an empty environment."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.errors import BadInput
from tests.helpers import write

TZ = ZoneInfo("Asia/Shanghai")
NOTICE = "id: short\ntitle: {title}\ntext: 请注意。\nrepeat: 1\nengine: espeak\n"


def schedule(tmp_path: Path, channels: str, title: str = "通知", times: str = '["12:00"]') -> Path:
    """A schedule of one program on the one channel in `channels` (its YAML, key as written)."""
    write(tmp_path / "short.yaml", NOTICE.format(title=title))
    key = channels.strip().rsplit(": {", 1)[0]
    return write(tmp_path / "s.yaml", f"""
quiet_hours: ["03:00-03:01"]
channels:
{channels}
programs:
  - notice: short.yaml
    channel: {key}
    times: {times}
""")


def today() -> str:
    return datetime.now(TZ).date().isoformat()


def export(run, src: Path, fmt: str, out: Path, *extra: str, start: str = "2021-10-27"):
    return run("export", src, "--from", start, "--days", "1", "--engine", "espeak", "--to", fmt, "-o", out, *extra)


# ---------------------------------------------------------------- input is refused at load, with file:line
@pytest.mark.parametrize("fmt", ["crontab", "systemd"])
def test_a_channel_id_with_a_newline_is_refused_and_nothing_is_written(run, tmp_path, fmt):
    # a quoted YAML key may hold a newline: once it made a second, working cron line
    src = schedule(tmp_path, '  "village\\n* * * * * touch /tmp/owned #": {name: 大喇叭}')
    out = tmp_path / "out"
    r = export(run, src, fmt, out)
    assert r.code == 2, r.out
    line = r.err.strip()
    assert "\n" not in line and line.startswith(f"{src}:4: ") and "a-z" in line, line
    assert not out.exists() or not any(out.iterdir())


def test_a_channel_id_outside_the_id_rule_and_a_two_line_channel_name_are_refused(run, tmp_path):
    for channels, needle in (('  Village: {name: 大喇叭}', "Village"),
                             ('  village: {name: "大喇叭\\nExecStartPre=/bin/sh"}', "one line")):
        src = schedule(tmp_path, channels)
        r = run("check", src)
        assert r.code == 2 and src.name in r.err and ":4: " in r.err and needle in r.err, r.err


def test_ids_and_names_are_whole_string_matches(tmp_path):
    """`$` also matches before a final newline: `id: "abc\\n"` once wrote `abc⏎.mp3`."""
    from broadcaster.engines.edge import EdgeEngine
    from broadcaster.notice import load_notice
    from broadcaster.schedule.load import load_schedule
    from broadcaster.speech.voices import VoiceProfile

    path = write(tmp_path / "n.yaml", 'id: "abc\\n"\ntext: 请注意。\n')
    with pytest.raises(BadInput, match="a-z"):
        load_notice(path)
    profile = VoiceProfile(name="x", display="x", engines={"edge": {"voice": "zh-CN-YunxiNeural", "rate": "-15%\n"}})
    with pytest.raises(BadInput, match="with a sign"):
        EdgeEngine().parameters(profile)  # the text goes into the SSML sent to the service
    src = schedule(tmp_path, '  "village\\n": {name: 大喇叭}')
    with pytest.raises(BadInput, match="a-z"):
        load_schedule(src)


# ---------------------------------------------------------------- writers escape what they are given
@pytest.mark.slow
def test_every_writer_keeps_a_title_with_control_characters_on_one_line(run, tmp_path):
    escaped = schedule(tmp_path, "  village: {name: 大喇叭}", title='"第一行\\u001b[2J"')
    r = export(run, escaped, "m3u", tmp_path / "esc")
    assert r.code == 2 and "U+001B" in r.err and not (tmp_path / "esc").exists()  # refused where it is written
    src = schedule(tmp_path, "  village: {name: 大喇叭}", title='"第一行\\n/etc/passwd\\n#EXTINF:1,x"')
    written = {}
    for fmt in ("m3u", "ics", "crontab", "systemd"):
        r = export(run, src, fmt, tmp_path / fmt)
        assert r.code == 0 and "'short'" in r.err and "spaces" in r.err, r.err  # said, not silent
        written[fmt] = sorted((tmp_path / fmt).iterdir())
    for fmt, files in written.items():
        for f in files:
            text = f.read_text(encoding="utf-8")
            assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text.replace("\r\n", "\n")), (fmt, text)
    m3u = written["m3u"][0].read_text(encoding="utf-8").splitlines()
    assert len(m3u) == 3 and m3u[0] == "#EXTM3U" and "第一行" in m3u[1] and not m3u[2].startswith("#"), m3u
    from icalendar import Calendar
    event = Calendar.from_ical(written["ics"][0].read_bytes()).walk("VEVENT")[0]
    assert "\n" not in str(event["summary"]) and "第一行" in str(event["summary"])
    timer = [f for f in written["systemd"] if f.suffix == ".timer"][0].read_text(encoding="utf-8")
    assert [line for line in timer.splitlines() if line.startswith("Description=")][0].count("第一行") == 1
    assert "/etc/passwd" not in "\n".join(line for line in timer.splitlines() if not line.startswith("Description="))


def test_a_writer_refuses_a_file_path_it_cannot_write_safely(tmp_path):
    """Paths go into commands: a newline cannot be quoted in a crontab, so the writer refuses."""
    from broadcaster.schedule import exports
    from broadcaster.schedule.model import Play

    bad = tmp_path / "x\n* * * * * touch owned\n.mp3"
    bad.write_bytes(b"")
    start = datetime(2027, 1, 2, 12, 0, tzinfo=TZ)
    play = Play(start, start + timedelta(seconds=5), "village", "short", str(bad), title="t")
    for writer in (exports.crontab, exports.systemd, exports.m3u):
        out = tmp_path / writer.__name__
        with pytest.raises(BadInput):
            writer([play], out)
        assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_a_sink_with_arguments_is_refused_where_play_cannot_take_it(run, tmp_path):
    """`play --sink` takes one word: a line that played on the default device instead would be wrong."""
    src = schedule(tmp_path, '  village: {name: 大喇叭, sink: [aplay, -D, "plughw:1,0"]}')
    for fmt in ("crontab", "systemd"):
        r = export(run, src, fmt, tmp_path / fmt)
        assert r.code == 2 and "aplay -D plughw:1,0" in r.err and not (tmp_path / fmt).exists(), (r.out, r.err)
    assert export(run, src, "m3u", tmp_path / "m3u").code == 0


# ---------------------------------------------------------------- what the exports wrote works on the box
def cron_command(line: str) -> str:
    """The shell command cron runs for a crontab line: the fields off, `\\%` -> `%`, a bare % ends it."""
    command = line.split(None, 5)[5]
    assert not re.search(r"(?<!\\)%", command), command  # cron would cut the command there
    return command.replace("\\%", "%")


def asrun_rows(log: Path) -> list[dict]:
    if not log.exists():
        return []
    with sqlite3.connect(log) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM asrun")]


@pytest.mark.slow
def test_a_crontab_line_plays_from_root_with_an_empty_environment_and_only_in_its_year(run, tmp_path):
    from broadcaster.player.control import default_log_path

    src = schedule(tmp_path, '  village: {name: 大喇叭, sink: "file:played"}')
    this_year = today()
    next_year = f"{int(this_year[:4]) + 1}{this_year[4:]}"
    for day, out in ((this_year, tmp_path / "now"), (next_year, tmp_path / "later")):
        r = export(run, src, "crontab", out, start=day)
        assert r.code == 0, r.err
    log = default_log_path()
    assert log.is_absolute() and not log.exists()

    def jobs(out: Path) -> list[str]:
        lines = (out / "broadcaster.crontab").read_text(encoding="utf-8").splitlines()
        return [line for line in lines if line and not line.startswith("#") and not re.match(r"\w+=", line)]

    later = jobs(tmp_path / "later")
    assert len(later) == 1 and later[0].startswith(f"0 12 {int(next_year[8:])} {int(next_year[5:7])} * ")
    done = subprocess.run(["env", "-i", "sh", "-c", cron_command(later[0])], cwd="/", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0 and asrun_rows(log) == []  # next year's line stays quiet this year
    assert not (tmp_path / "played").exists()

    now = jobs(tmp_path / "now")
    assert len(now) == 1
    done = subprocess.run(["env", "-i", "sh", "-c", cron_command(now[0])], cwd="/", capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, (now[0], done.stdout, done.stderr)
    rows = asrun_rows(log)
    assert [(r["channel"], r["notice"], r["status"]) for r in rows] == [("village", "short", "played")], rows
    assert len(list((tmp_path / "played").glob("*_village_short.*"))) == 1  # the channel's own sink


def systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if not tool:
        pytest.skip("systemd-analyze is not installed (Debian package `systemd`; scripts/test installs it)")
    return tool


@pytest.mark.slow
def test_systemd_units_verify_and_name_the_real_program_file_and_log(run, tmp_path):
    tool = systemd_analyze()
    src = schedule(tmp_path, '  village: {name: "大喇叭 100%"}', times='["07:00", "19:00"]')
    out = tmp_path / "units"
    r = export(run, src, "systemd", out, "--log", "rel/asrun.sqlite")
    assert r.code == 0, r.err
    units = sorted(out.iterdir(), key=lambda u: (u.suffix, u.name))
    assert [u.suffix for u in units] == [".service", ".service", ".timer", ".timer"]
    checked = subprocess.run([tool, "verify", *map(str, units)], capture_output=True, text=True, cwd="/")
    assert checked.returncode == 0, checked.stderr
    service = units[0].read_text(encoding="utf-8")
    argv = re.search(r"^ExecStart=(.+)$", service, re.M).group(1).split()
    program = argv[0].strip('"')
    assert Path(program).is_absolute() and os.access(program, os.X_OK), argv
    assert Path(argv[argv.index("play") + 1].strip('"')).is_file()
    assert argv[argv.index("--log") + 1].strip('"') == str(Path("rel/asrun.sqlite").resolve())
    timer = units[2].read_text(encoding="utf-8")
    assert re.search(r"^OnCalendar=2021-10-27 07:00:00 Asia/Shanghai$", timer, re.M), timer


@pytest.mark.slow
def test_an_m3u_written_from_one_folder_plays_from_any_other(run, tmp_path, monkeypatch):
    src = schedule(tmp_path, "  village: {name: 大喇叭}")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # relative --audio and -o: the entries must not depend on this folder
    r = export(run, src, "m3u", Path("lists"), "--audio", "audio")
    assert r.code == 0, r.err
    playlist = work / "lists" / "village-2021-10-27.m3u"
    entries = [line for line in playlist.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    assert len(entries) == 1
    # players read a relative entry from the playlist's own folder, an absolute one as it is: the
    # working folder of whoever opens the playlist (/, another folder) plays no part
    resolved = [Path(e) if Path(e).is_absolute() else playlist.parent / e for e in entries]
    assert all(p.is_file() and p.suffix == ".mp3" for p in resolved), resolved
    monkeypatch.chdir("/")
    assert all(p.resolve().is_file() for p in resolved)
