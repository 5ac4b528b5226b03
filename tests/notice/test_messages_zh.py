"""Malformed notices under a Chinese locale: Chinese messages on the right line, no English, no Python.

Each case is a notice an official might really write wrong. With LANG=zh_CN.UTF-8 `broadcaster check`
must answer in Chinese, name the right line, and leave no English prose or Python name in the
message; with LANG=C the same file gets the English message on the same line.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers import write
from tests.zhtext import _locale, _one_line, _prose, _python

NUCLEIC = ("id: hs\ntemplate: nucleic-test\nvars:\n  village: 宏福苑社区\n  date: 10月27日\n"
           "  start: '8:00'\n  end: '11:30'\n  place: 北门广场\n")

# name -> (file text or bytes, line, Chinese fragment, English fragment)
CASES: dict[str, tuple[str | bytes, int, str, str]] = {
    "repeat written as text": ("id: a\ntext: 你好。\nrepeat: 两次\n", 3, "“repeat”的值写得不对（写成了文字）",
                               "'repeat' has the wrong kind of value (text)"),
    "repeat written as yes": ("id: a\ntext: 你好。\nrepeat: yes\n", 3, "写成了是/否", "(true/false)"),
    "repeat 1.5": ("id: a\ntext: 你好。\nrepeat: 1.5\n", 3, "写成了小数", "(a decimal number)"),
    "repeat out of range": ("id: a\ntext: 你好。\nrepeat: 11\n", 3, "超出了范围", "repeat 11 is out of range"),
    "a list for the title": ("id: a\ntitle: [通知, 核酸]\ntext: 你好。\n", 2, "“title”的值写得不对（写成了一串条目）",
                             "'title' has the wrong kind of value (a list)"),
    "fields under text": ("id: a\ntext:\n  时间: 八点\n", 2, "写成了好几项", "(several fields)"),
    "vars as a list": ("id: a\ntext: 你好。\nvars: [a, b]\n", 3, "“vars”的值写得不对", "'vars' has the wrong kind"),
    "misspelt key": ("id: a\ntitel: 标题\ntext: 你好。\n", 2, "不认识的字段“titel” — 是不是想写“title”？",
                     "unknown field 'titel' — did you mean 'title'?"),
    "unknown key": ("id: a\ntext: 你好。\ncolour: 红\n", 3, "不认识的字段“colour” — 可以写的有：", "allowed: accent, alternate, chime"),
    "duplicate key": ("id: a\ntext: 你好。\ntext: 再见。\n", 3, "“text”写了两遍", "duplicate key 'text'"),
    "template and text": ("id: a\ntemplate: nucleic-test\ntext: 你好。\n", 2, "同时写了 template 和 text",
                          "both 'template' and 'text'"),
    "neither template nor text": ("id: a\ntitle: 空\n", 1, "既没有写 template，也没有写 text", "neither 'template'"),
    "empty text": ("id: a\ntext: ''\n", 2, "是空的", "'text' is empty"),
    "unknown priority": ("id: a\ntext: 你好。\npriority: high\n", 3, "不认识的优先级“high”", "unknown priority 'high'"),
    "misspelt engine": ("id: a\ntext: 你好。\nengine: espek\n", 3, "是不是想写“espeak”？可以用的有：",
                        "did you mean 'espeak'? Use one of"),
    "id with spaces": ("id: 核酸 Round8\ntext: 你好。\n", 1, "只能用小写字母", "may use only a-z"),
    "kind as a list": ("kind: [jingle]\nid: a\ntext: 你好。\n", 1, "“kind”的值写得不对", "'kind' has the wrong kind"),
    "unknown kind": ("kind: poem\nid: a\ntext: 你好。\n", 1, "不认识的类型“poem”", "unknown kind 'poem'"),
    "gap too long": ("id: a\ntext: 你好。\ngap: 100\n", 3, "超出了范围", "gap 100 is out of range"),
    "tab indentation": ("id: a\nvars:\n\tplace: 北门\ntext: 你好\n", 3, "Tab", "tab"),
    "full-width colon": ("id: a\ntitle：标题\ntext: 你好。\n", 2, "全角冒号", "full-width"),
    "full-width colon after a list": ("id: a\ntext: 你好。\nemphasis:\n  - 不聚集\n  - 戴口罩\ntitle：标题\n", 6,
                                      "全角冒号", "full-width"),
    "unclosed quote": ("id: a\ntitle: \"标题\ntext: 你好。\n", 2, "引号", "quote"),
    "empty title": ("id: a\ntitle:\ntext: 你好。\n", 2, "“title”后面没有写内容", "'title' has no value"),
    "Chinese field name": ("id: a\n标题: 通知\ntext: 你好。\n", 2, "不认识的字段“标题” — 是不是想写“title”？",
                           "did you mean 'title'?"),
    "no space after the colon": ("id: a\ntext:你好。\n", 2, "冒号后少了一个空格", "no space after the colon"),
    "': ' inside a value": ("id: a\ntitle: 通知: 今天\ntext: 你好。\n", 2, "的值里有“: ” — 把整个值放进引号里",
                            "holds ': '"),
    "value starting with @": ("id: a\ntext: @全体村民\n", 2, "的值以“@”开头", "starts with '@'"),
    "'- ' before a field": ("id: a\n- text: 你好。\n", 2, "这一行以“- ”开头", "line starts with '- '"),
    "text under | not indented": ("id: a\ntext: |\n各位村民请注意\n", 3, "下面的文字没有缩进", "are not indented"),
    "unclosed bracket": ("id: a\ntext: [你好\n", 2, "只有开头没有结尾", "opened but not closed"),
    "bad indentation": ("id: a\n text: 你好\ntitle: x\n", 2, "缩进", "indented differently"),
    "neither UTF-8 nor GBK": (b"id: a\ntext: \xff\xfe\xff\n", 2, "既不是 UTF-8 也不是 GBK", "neither UTF-8 nor GBK"),
    "GBK file, misspelt key": ("id: a\ntitle: 通知\ntext: 各位村民请注意。\nrepaet: 2\n".encode("gbk"), 4,
                               "是不是想写“repeat”？", "did you mean 'repeat'?"),
    "empty file": ("", 1, "文件是空的", "file is empty"),
    "a list, not fields": ("- id: a\n  text: 你好。\n", 1, "一串以“- ”开头的条目", "a list of items"),
    "one bare value": ("各位村民请注意\n", 1, "只有一个值", "only one value"),
    "missing variable": (NUCLEIC.replace("  start: '8:00'\n", ""), 3, "缺少变量“start”（开始时间，如 8:00） — "
                         "在 vars 下面加一行 `start: ...`", "missing variable 'start' (开始时间，如 8:00)"),
    "misspelt variable": (NUCLEIC.replace("  place:", "  plase:"), 8,
                          "缺少变量“place”（检测地点，如 北门广场） — 第 8 行的“plase”像是写错了：改成“place”",
                          "'plase' on line 8 looks misspelt: rename it to 'place'"),
    "text and vars spell a name differently": ("id: a\ntext: 请到{{ plase }}集合。\nvars:\n  place: 北门\n", 4,
                                               "vars 里第 4 行写的是“place”", "vars has 'place' on line 4"),
    "variable used by the text, no vars": ("id: a\ntext: 请到{{ place }}集合。\n", 2, "缺少变量“place”（正文里用到了）",
                                           "missing variable 'place' (the text uses it)"),
    "variable without value": ("id: a\ntext: 请到{{ place }}集合。\nvars:\n  place:\n", 4, "变量“place”没有写值",
                               "variable 'place' has no value"),
    "item of a list var without value": ("id: a\ntext: 你好{{ x }}。\nvars:\n  x:\n    -\n", 5, "变量“x”没有写值",
                                         "variable 'x' has no value"),
    "Chinese variable name": ("id: a\ntext: 你好。\nvars:\n  开始: 8:00\n", 4, "变量名“开始”不能在模板里用",
                              "variable name '开始' is not usable"),
    "misspelt template": ("id: a\ntemplate: nucleic-tset\n", 2, "没有叫“nucleic-tset”的模板 — 是不是想写“nucleic-test”",
                          "unknown template 'nucleic-tset' — did you mean 'nucleic-test'?"),
    "unclosed {{": ("id: a\ntext: \"请到{{ place 集合\"\nvars: {place: x}\n", 2, "没有用“}}”收尾",
                    "not closed with '}}'"),
    "unclosed for": ("id: a\ntext: \"{% for i in x %}好\"\nvars: {x: 一}\n", 2, "“for”段落没有结尾",
                     "'for' block in the template is not closed"),
    "unknown filter": ("id: a\ntext: '{{ x | foo }}'\nvars: {x: 1}\n", 2, "模板里用了“foo”", "uses 'foo'"),
    "text plus a number": ("id: a\ntext: '{{ x + 1 }}好'\nvars: {x: 一}\n", 2, "算不出结果", "cannot work something out"),
    "part of a text var": ("id: a\ntext: '{{ x.name }}好'\nvars: {x: 一}\n", 2, "“name”这一项", "the part 'name'"),
    "sandbox escape": ("id: a\ntext: \"{{ ''.__class__ }}\"\n", 2, "不允许的写法", "not allowed"),
    "alias": ("id: &x a\ntext: *x\n", 2, "不能用 *名字", "YAML aliases"),
    "python tag": ("id: a\ntext: !!python/object foo\n", 2, "不允许的标记“!!python/object”",
                   "a mark '!!python/object' that is not allowed"),
    "impossible YAML date": ("id: a\ntext: 你好{{ d }}。\nvars:\n  d: 2021-02-30\n", 4, "不是一个真实的日期",
                             "is not a real date"),
    "unknown jingle form": ("kind: jingle\nid: j\nform: 五言\nlines: [一二三]\n", 3, "不认识的顺口溜格式“五言”",
                            "unknown jingle form '五言'"),
    "jingle form as a list": ("kind: jingle\nid: j\nform: [三三七]\nlines: [一二三]\n", 3,
                              "“form”的值写得不对（写成了一串条目） — 请写：这几个之一：三三七", "'form' has the wrong kind"),
    "jingle without lines": ("kind: jingle\nid: j\nform: 三三七\n", 3, "顺口溜缺少句子", "a jingle needs its lines"),
    "jingle line not text": ("kind: jingle\nid: j\nform: 三三七\nlines:\n  - 一二三\n  - {a: b}\n", 6,
                             "顺口溜的第 2 句不是文字", "line 2 of the jingle is not text"),
    "empty emphasis": ("id: a\ntext: 你好。\nemphasis: ['']\n", 3, "第 1 项不是一句话", "emphasis item 1"),
    "missing music": ("id: a\ntext: 你好。\nmusic: bg.mp3\n", 3, "找不到音乐文件“bg.mp3”", "music file 'bg.mp3' not found"),
}

# Messages whose first half is made in speech/ (translated there): checked in full only once the
# catalog has their Chinese; the var and line named here are this module's part.
SPEECH = {
    "invalid time in vars": (NUCLEIC.replace("'8:00'", "'25:00'"), 6, "（变量 start）", "(variable start)",
                             "invalid time '{value}'"),
    "invalid date in vars": (NUCLEIC.replace("10月27日", "2月30日"), 5, "（变量 date）", "(variable date)",
                             "invalid date '{value}'"),
    "unknown voice": ("id: a\ntext: 你好。\nvoice: mandrin\n", 3, "是不是想写“mandarin”？", "did you mean 'mandarin'?",
                      "unknown voice '{name}'"),
}


def _check(run, tmp_path, text: str | bytes) -> tuple:
    path = tmp_path / "村里" / "bad.yaml"
    if isinstance(text, bytes):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text)
    else:
        write(path, text)
    return path, run("check", path)


@pytest.mark.parametrize("name", list(CASES))
def test_a_malformed_notice_is_explained_in_chinese(run, tmp_path, monkeypatch, name):
    text, line, zh, en = CASES[name]
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, text)
    message = _one_line(path, r, line)
    assert zh in message, message
    assert not _prose(message), f"English left: {_prose(message)} in {message}"
    assert not _python(message, chinese=True), message
    assert re.search(r"[\u4e00-\u9fff]", message.split(" — ")[1]), "the fix is in Chinese too: " + message


@pytest.mark.parametrize("name", list(CASES))
def test_the_same_notice_gets_english_with_lang_c(run, tmp_path, monkeypatch, name):
    text, line, zh, en = CASES[name]
    _locale(monkeypatch, "C")
    path, r = _check(run, tmp_path, text)
    message = _one_line(path, r, line)
    assert en in message, message
    assert zh not in message
    assert not _python(message, chinese=False), message


@pytest.mark.parametrize("name", list(SPEECH))
def test_speech_mistakes_in_vars_name_the_var_and_its_line(run, tmp_path, monkeypatch, name):
    from broadcaster.i18n import _

    text, line, zh, en, speech_msgid = SPEECH[name]
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, text)
    message = _one_line(path, r, line)
    assert zh in message, message
    assert not _python(message, chinese=True), message
    if _(speech_msgid) != speech_msgid:  # speech/ has its Chinese: then no English may be left at all
        assert not _prose(message), f"English left: {_prose(message)} in {message}"
    _locale(monkeypatch, "C")
    path, r = _check(run, tmp_path, text)
    assert en in _one_line(path, r, line)


def test_several_mistakes_in_one_file_each_in_chinese(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, "id: A B\ntitel: 标题\ntext: 你好。\nrepeat: 两次\npriority: high\n")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [f"{path}:{n}" for n in (1, 2, 4, 5)], lines
    for line in lines:
        assert not _prose(line) and not _python(line, chinese=True), line


def test_a_notice_saved_as_utf16_by_notepad_is_read(run, tmp_path, monkeypatch):
    _locale(monkeypatch, "zh_CN.UTF-8")
    path, r = _check(run, tmp_path, "id: a\ntext: 各位村民请注意。\n".encode("utf-16"))
    assert r.code == 0 and "没问题" in r.out, r.err


