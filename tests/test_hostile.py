"""Hostile and careless input: plain-word syntax errors on the right line, every mistake at once,
refused sizes, nesting, characters, template loops and paths. Always exit 2, one line each."""
from __future__ import annotations

import os
import re

import pytest

from conftest import without_waiting_on, write

JARGON = ("could not find expected", "but found", "expected <", "mapping values are not allowed", "scanner", "block mapping",
          "simple key", "<block", "unacceptable character", "Error")


def check_one(run, path):
    """`check` on one file: (exit code, the single stderr line)."""
    r = run("check", path)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "Traceback" not in r.err
    return r.code, lines[0]


# ---------------------------------------------------------------- 1. syntax errors in plain words
# name -> (file text, line of the mistake, words the message must hold)
SYNTAX = {
    "full-width colon": ("id: a\ntitle: 通知\ndate：3月5日\ntext: 你好。\n", 3, "`date: 3月5日`"),
    "missing colon": ("id: a\ntitle: 通知\ndate 3月5日\ntext: 你好。\n", 3, "`date: 3月5日`"),
    "missing colon on the last line": ("id: a\ntitle: 通知\ntext: 你好。\ndate 3月5日\n", 4, "`date: 3月5日`"),
    "missing colon under vars": ("id: a\ntext: 你好。\nvars:\n  place: 北门\n  date 3月5日\n", 5,
                                 "`date: 3月5日`"),
    "tab": ("id: a\nvars:\n\tplace: 北门\ntext: 你好。\n", 3, "replace the tab with two spaces"),
    "unclosed quote": ("id: a\ntitle: 通知\nvars:\n  a: 一\n  b: 二\n  place: \"北门广场\ntext: 你好。\n"
                       "repeat: 2\n", 6, "add the closing \" at the end of line 6"),
    "unclosed quote before a quoted line": ("id: a\ntitle: '通知\ntext: '你好。'\n", 2,
                                            "add the closing ' at the end of line 2"),
    "indented too far": ("id: a\nvars:\n  place: 北门\n   date: 3月5日\ntext: 你好。\n", 4,
                         "line it up with the fields above it (2 spaces)"),
    "indented too little": ("id: a\nvars:\n    place: 北门\n  date: 3月5日\ntext: 你好。\n", 4,
                            "line it up with the fields above it (4 spaces)"),
    "text after the closing quote": ("id: a\ntext: \"请注意\"明天停水\n", 2,
                                     "put the whole value in quotes: `text: '\"请注意\"明天停水'`"),
    "unclosed bracket": ("id: a\nemphasis: [不聚集, 戴口罩\ntext: 你好。\n", 2, "add the closing ]"),
}


@pytest.mark.parametrize("name", sorted(SYNTAX))
def test_syntax_error_names_the_line_of_the_mistake_in_plain_words(run, tmp_path, name):
    text, line, words = SYNTAX[name]
    path = write(tmp_path / "bad.yaml", text)
    code, message = check_one(run, path)
    assert code == 2
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message, message
    for jargon in JARGON:
        assert jargon not in message, message


def test_unexplained_syntax_error_is_plain_too(run, tmp_path):
    path = write(tmp_path / "bad.yaml", "id: a\ntext: 你好。\n- 不聚集\n")
    code, message = check_one(run, path)
    assert code == 2 and re.match(rf"^{re.escape(str(path))}:\d: ", message), message
    assert not any(j in message for j in JARGON), message


def test_block_text_with_full_width_colons_is_fine(run, tmp_path):
    path = write(tmp_path / "ok.yaml", "id: ok\ntext: |\n  时间：明天上午\n  地点：北门广场\n")
    r = run("check", path)
    assert r.code == 0, r.err


# ---------------------------------------------------------------- 2. every mistake at once
def test_check_reports_every_mistake_in_a_file(run, tmp_path):
    path = write(tmp_path / "many.yaml", "id: a\ntitel: 通知\ntext: 你好。\nrepeat: 99\npriorty: urgent\n"
                                         "engine: espek\n")
    r = run("check", path)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert [int(line.split(":")[1]) for line in lines] == [2, 4, 5, 6], r.err
    assert "did you mean 'title'" in lines[0] and "out of range" in lines[1]
    assert "did you mean 'priority'" in lines[2] and "unknown engine" in lines[3]


def test_check_reports_every_missing_variable(run, tmp_path):
    path = write(tmp_path / "vars.yaml", "id: a\ntext: 请{{ who }}在{{ date }}到{{ place }}集合。\n"
                                         "vars:\n  who: 全体村民\n")
    r = run("check", path)
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 2, r.err
    assert "'date'" in lines[0] and "'place'" in lines[1]
    assert all(line.startswith(f"{path}:") for line in lines)


# ---------------------------------------------------------------- 3. sizes and nesting
def test_huge_file_refused_before_reading(run, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:  # sparse: 50 MB that costs no disk, and no time unless read
        f.write(b"id: a\ntext: ")
        f.truncate(50_000_000)
    code, message = check_one(run, path)
    assert code == 2 and "too big" in message


def test_deep_flow_nesting_refused(run, tmp_path):
    path = write(tmp_path / "deep.yaml", "id: a\ntext: 你好。\nvars:\n  x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "levels deep" in message


def test_deep_block_nesting_refused(run, tmp_path):
    text = "id: a\ntext: 你好。\nvars:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(30)) + "  " * 31 + "x\n"
    path = write(tmp_path / "deep.yaml", text)
    code, message = check_one(run, path)
    assert code == 2 and "levels deep" in message


def test_real_nesting_is_fine(run, tmp_path):
    path = write(tmp_path / "ok.yaml", "id: ok\ntext: 请带[身份证]和{口罩}。\nvars: {a: [1, [2, {b: 3}]]}\n")
    r = run("check", path)
    assert r.code == 0, r.err


def test_long_variable_refused_with_its_line(run, tmp_path):
    path = write(tmp_path / "long.yaml", "id: a\ntext: 请到{{ place }}集合。\nvars:\n  place: " + "北" * 5000 + "\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "'place'" in message


def test_long_text_refused(run, tmp_path):
    path = write(tmp_path / "long.yaml", "id: a\ntitle: 通知\ntext: " + "各位村民请注意。" * 5000 + "\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "too long" in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_refused_not_waited_on(run, tmp_path):
    fifo = tmp_path / "notice.yaml"
    os.mkfifo(fifo)
    r = without_waiting_on(fifo, lambda: run("check", fifo), "check waited on a FIFO")
    assert r.code == 2 and "not an ordinary file" in r.err


def test_device_refused(run):
    r = run("check", "/dev/zero")
    assert r.code == 2 and "not an ordinary file" in r.err


# ---------------------------------------------------------------- 4. invisible characters
@pytest.mark.parametrize("escape,code_point", [("\\0", "U+0000"), ("\\x07", "U+0007"), ("\\ud800", "U+D800"),
                                               ("\\x1b", "U+001B")])
def test_control_and_broken_characters_in_values_refused(run, tmp_path, escape, code_point):
    path = write(tmp_path / "ctl.yaml", f'id: a\ntitle: 通知\ntext: "各位村民{escape}请注意。"\n')
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and code_point in message, message


def test_control_character_in_a_variable_refused(run, tmp_path):
    path = write(tmp_path / "ctl.yaml", 'id: a\ntext: 请到{{ place }}集合。\nvars:\n  place: "北门\\0广场"\n')
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "U+0000" in message


def test_raw_control_character_in_the_file_refused_with_its_line(run, tmp_path):
    path = write(tmp_path / "ctl.yaml", "id: a\ntitle: 通知\ntext: 各位村民\x00请注意。\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "invisible control character (U+0000)" in message


# ---------------------------------------------------------------- 5. no internal errors
def test_impossible_date_in_vars_is_bad_input(run, tmp_path):
    path = write(tmp_path / "date.yaml", "id: a\ntext: 请于{{ date }}到村委会。\nvars:\n  date: 2021-02-30\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "'date'" in message, message


@pytest.mark.parametrize("expression", ["{% for i in range(10**8) %}{% endfor %}",
                                        "{{ '好' * 10**9 }}", "{{ 2 ** (10 ** 10) }}",
                                        "{{ '好'|center(10**9) }}",
                                        "{% for a in range(1000) %}{% for b in range(1000) %}"
                                        "{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
                                        "{% for a in x %}{% for b in x %}{% for c in x %}{% for d in x %}"
                                        "{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
                                        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
                                        "{% set a = x * 40 %}{{ a.replace('好', a) }}"])
def test_runaway_template_refused(run, tmp_path, expression):
    path = write(tmp_path / "loop.yaml", f'id: a\ntext: "你好。{expression}"\nvars:\n  x: "{"好" * 400}"\n')
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:2: "), message
    assert "Error" not in message


def test_runaway_template_file_names_its_line(run, tmp_path):
    write(tmp_path / "loop.j2", "各位村民请注意。\n\n{% for i in range(10**8) %}{{ i }}{% endfor %}\n")
    path = write(tmp_path / "n.yaml", "id: a\ntemplate: loop.j2\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{tmp_path / 'loop.j2'}:3: "), message


def test_modest_template_loops_still_work(run, tmp_path):
    path = write(tmp_path / "ok.yaml", 'id: ok\ntext: "{% for i in range(3) %}第{{ i + 1 }}遍。{% endfor %}"\n')
    r = run("check", path)
    assert r.code == 0, r.err


# ---------------------------------------------------------------- 6. paths stay in the folder
def test_template_symlink_out_of_the_folder_refused(run, tmp_path):
    secret = write(tmp_path / "secret" / "s.j2", "机密内容。\n")
    folder = tmp_path / "notices"
    folder.mkdir()
    (folder / "x.j2").symlink_to(secret)
    path = write(folder / "n.yaml", "id: a\ntemplate: x.j2\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:2: ") and "folder" in message


def test_music_outside_the_folder_refused(run, tmp_path):
    write(tmp_path / "bed.mp3", "not really audio")
    folder = tmp_path / "notices"
    path = write(folder / "n.yaml", "id: a\ntext: 你好。\nmusic: ../bed.mp3\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "folder" in message


def test_music_absolute_path_outside_refused(run, tmp_path):
    bed = write(tmp_path / "bed.mp3", "not really audio")
    path = write(tmp_path / "notices" / "n.yaml", f"id: a\ntext: 你好。\nmusic: {bed}\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:3: ") and "folder" in message


def test_template_in_a_subfolder_is_fine(run, tmp_path):
    write(tmp_path / "t" / "x.j2", "各位村民请注意。\n")
    path = write(tmp_path / "n.yaml", "id: a\ntemplate: t/x.j2\n")
    r = run("check", path)
    assert r.code == 0, r.err


def test_bidirectional_overrides_are_refused_with_their_line(run, tmp_path):
    """U+202E makes a title or id display other than it reads (the 'Trojan Source' trick)."""
    f = write(tmp_path / "n.yaml", 'id: a\ntext: "\\u202e各位村民请注意"\n')
    r = run("render", f, "-o", tmp_path / "out")
    assert r.code == 2 and "n.yaml:2:" in r.err and "U+202E" in r.err and not (tmp_path / "out").exists()


def test_a_schedule_that_would_flood_the_planner_is_refused_at_once(run, tmp_path):
    write(tmp_path / "n.yaml", "id: n\ntext: 各位村民请注意。\n")
    every_second = write(tmp_path / "s.yaml", 'channels:\n  v: {name: x}\nprograms:\n  - notice: n.yaml\n'
                         '    channel: v\n    every: 1s\n    between: "00:00-23:59"\n')
    r = run("check", every_second)
    assert r.code == 2 and "s.yaml:6:" in r.err and "too often" in r.err
    every_minute = write(tmp_path / "m.yaml", every_second.read_text().replace("every: 1s", "every: 1m"))
    r = run("plan", every_minute, "--from", "2021-10-27", "--days", "3660", "--engine", "espeak")
    assert r.code == 2 and "more than 1000000 plays" in r.err and r.out == ""
