"""Every class of bad notice input: exit 2, one line naming file (and line), no traceback, no audio."""
from __future__ import annotations

import re

import pytest

from tests.helpers import write


# name -> (file text, expected line or None, a word the message must contain)
CASES = {
    "unknown key with suggestion": ("id: a\ntitel: 标题\ntext: 你好。\n", 2, "did you mean 'title'"),
    "duplicate key": ("id: a\ntext: 你好。\ntext: 再见。\n", 3, "duplicate key 'text'"),
    "repeat wrong type": ("id: a\ntext: 你好。\nrepeat: 两次\n", 3, "'repeat' has the wrong kind of value"),
    "repeat is bool": ("id: a\ntext: 你好。\nrepeat: yes\n", 3, "'repeat' has the wrong kind of value"),
    "repeat out of range": ("id: a\ntext: 你好。\nrepeat: 11\n", 3, "out of range"),
    "repeat zero": ("id: a\ntext: 你好。\nrepeat: 0\n", 3, "out of range"),
    "vars not a mapping": ("id: a\ntext: 你好。\nvars: [a, b]\n", 3, "'vars' has the wrong kind of value"),
    "bad id": ("id: 核酸 Round8\ntext: 你好。\n", 1, "may use only a-z"),
    "uppercase id": ("id: Round8\ntext: 你好。\n", 1, "may use only a-z"),
    "empty file": ("", 1, "empty"),
    "only a comment": ("# nothing here\n", 1, "empty"),
    "a list not a mapping": ("- id: a\n  text: 你好。\n", 1, "list"),
    "a bare string": ("各位村民请注意\n", 1, "only one value"),
    "invalid yaml": ("id: a\ntext: [你好\n", 2, "add the closing ] at the end of line 2"),
    "bad indentation": ("id: a\n text: 你好\ntitle: x\n", 2, "indented differently"),
    "tab indentation": ("id: a\nvars:\n\tplace: x\ntext: 你好\n", 3, "replace the tab with two spaces"),
    "both template and text": ("id: a\ntemplate: nucleic-test\ntext: 你好。\n", 2, "both"),
    "neither template nor text": ("id: a\ntitle: 空\n", None, "neither"),
    "empty text": ("id: a\ntext: ''\n", 2, "empty"),
    "unknown template": ("id: a\ntemplate: nucleic-tset\n", 2, "did you mean 'nucleic-test'"),
    "unknown voice": ("id: a\ntext: 你好。\nvoice: mandrin\n", 3, "did you mean 'mandarin'"),
    "unknown engine": ("id: a\ntext: 你好。\nengine: espek\n", 3, "unknown engine"),
    "unknown priority": ("id: a\ntext: 你好。\npriority: high\n", 3, "unknown priority"),
    "missing variable": ("id: a\ntemplate: nucleic-test\nvars:\n  village: 宏福苑\n  date: 10月27日\n"
                         "  start: '8:00'\n  end: '11:30'\n", 3, "missing variable 'place'"),
    "missing variable in text": ("id: a\ntext: 请到{{ place }}集合。\n", None, "missing variable 'place'"),
    "empty variable value": ("id: a\ntext: 请到{{ place }}集合。\nvars:\n  place:\n", 4, "has no value"),
    "bad variable name": ("id: a\ntext: 你好。\nvars:\n  开始: 8:00\n", 4, "not usable"),
    "sandbox escape": ("id: a\ntext: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n", 2, "not allowed"),
    "include outside folder": ("id: a\ntext: \"{% include '../../etc/passwd' %}\"\n", 2, "not found"),
    "template path outside": ("id: a\ntemplate: ../secret.j2\n", 2, "leaves the notice's folder"),
    "template syntax": ("id: a\ntext: \"请到{{ place 集合\"\nvars: {place: x}\n", 2, "not closed with '}}'"),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                   "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n", 2, "aliases"),
    "merge key": ("base: {x: 1}\nid: a\n<<: {text: 你好}\n", None, "merge keys"),
    "non-text key": ("id: a\ntext: 你好。\n[1, 2]: x\n", 3, "plain text"),
    "jingle without lines": ("kind: jingle\nid: j\nform: 三三七\n", None, "lines"),
    "jingle unknown form": ("kind: jingle\nid: j\nform: 五言\nlines: [一二三]\n", 3, "unknown jingle form"),
    "unknown kind": ("kind: poem\nid: a\ntext: 你好。\n", 1, "unknown kind"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_notice_exit_2_one_line_no_audio(run, tmp_path, name):
    text, line, needle = CASES[name]
    notice = write(tmp_path / "in" / "bad.yaml", text)
    out = tmp_path / "out"
    r = run("render", notice, "-o", out, "--engine", "espeak")
    assert r.code == 2, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "Traceback" not in r.err
    assert needle in lines[0], lines[0]
    assert str(notice) in lines[0]
    if line is not None:
        assert lines[0].startswith(f"{notice}:{line}: "), lines[0]
    else:
        assert re.match(rf"^{re.escape(str(notice))}(:\d+)?: ", lines[0]), lines[0]
    assert " — " in lines[0], "every message says how to fix it"
    assert not out.exists() or not any(out.iterdir())
    # check says the same and writes nothing either
    c = run("check", notice)
    assert c.code == 2 and c.err.strip() == lines[0]


def test_all_bad_notices_reported_one_line_each(run, tmp_path):
    a = write(tmp_path / "a.yaml", "id: a\ntitel: x\ntext: 你好。\n")
    b = write(tmp_path / "b.yaml", "id: b\nrepeat: 99\ntext: 你好。\n")
    r = run("check", a, b)
    assert r.code == 2
    assert [line.split(":")[0] for line in r.err.strip().splitlines()] == [str(a), str(b)]


def test_missing_file(run, tmp_path):
    r = run("check", tmp_path / "nope.yaml")
    assert r.code == 2 and "file not found" in r.err and "nope.yaml" in r.err


