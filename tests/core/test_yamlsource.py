"""Reading YAML safely (yamlsource.py), on hostile and careless input: plain-word syntax errors on the right
line, refused sizes, nesting, files that are not files, invisible characters, encodings. Always exit 2, one
line each."""
from __future__ import annotations

import os
import re

import pytest

from tests.guards import needs_fifos
from tests.helpers import check_one, without_waiting_on, write

JARGON = ("could not find expected", "but found", "expected <", "mapping values are not allowed", "scanner", "block mapping",
          "simple key", "<block", "unacceptable character", "Error")


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


# ---------------------------------------------------------------- 2. sizes and nesting
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


@needs_fifos
def test_fifo_refused_not_waited_on(run, tmp_path):
    fifo = tmp_path / "notice.yaml"
    os.mkfifo(fifo)
    r = without_waiting_on(fifo, lambda: run("check", fifo), "check waited on a FIFO")
    assert r.code == 2 and "not an ordinary file" in r.err


def test_device_refused(run):
    r = run("check", "/dev/zero")
    assert r.code == 2 and "not an ordinary file" in r.err


# ---------------------------------------------------------------- 3. invisible characters
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


# ---------------------------------------------------------------- 4. no internal errors
def test_impossible_date_in_vars_is_bad_input(run, tmp_path):
    path = write(tmp_path / "date.yaml", "id: a\ntext: 请于{{ date }}到村委会。\nvars:\n  date: 2021-02-30\n")
    code, message = check_one(run, path)
    assert code == 2 and message.startswith(f"{path}:4: ") and "'date'" in message, message


def test_bidirectional_overrides_are_refused_with_their_line(run, tmp_path):
    """U+202E makes a title or id display other than it reads (the 'Trojan Source' trick)."""
    f = write(tmp_path / "n.yaml", 'id: a\ntext: "\\u202e各位村民请注意"\n')
    r = run("render", f, "-o", tmp_path / "out")
    assert r.code == 2 and "n.yaml:2:" in r.err and "U+202E" in r.err and not (tmp_path / "out").exists()


# ---------------------------------------------------------------- 5. encodings
def test_bom_and_crlf_accepted(run, tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + "id: bom\r\ntitle: 通知\r\ntext: 各位村民请注意。\r\n".encode())
    assert run("check", path).code == 0


@pytest.mark.slow
def test_gbk_file_is_read_correctly(run, tmp_path):
    path = write(tmp_path / "gbk.yaml", "id: gbk\ntitle: 核酸检测\ntext: 各位村民请注意，明天上午核酸检测。\n", "gbk")
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 0, r.err
    assert "核酸检测" in (tmp_path / "out" / "gbk.txt").read_text(encoding="utf-8")


def test_undecodable_file_names_the_encoding(run, tmp_path):
    path = tmp_path / "bin.yaml"
    path.write_bytes(b"id: x\ntext: \xff\xfe\xfd\x80\x80\n")
    r = run("check", path)
    assert r.code == 2 and "UTF-8" in r.err and "GBK" in r.err
