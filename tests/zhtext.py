"""What the Chinese-message tests share: finding English prose or Python names left in a message for a
Chinese official, choosing the language, and the small inputs several of those tests start from.

The names keep the leading underscore they had in the test files these helpers came from (the tests
call them so). The three finders differ on purpose: a help screen, a one-line error and a command's
report each hold different things typed as they are (flags, ids, file names).
"""
from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import write

ENGLISH_PROSE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;]+[A-Za-z]{2,}){3,}\b")  # four English words in a row


def _locale(monkeypatch, lang: str) -> None:
    """The official's machine: only LANG says the language."""
    for var in ("BROADCASTER_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", lang)


def _both(run, monkeypatch, *args):
    """The command run under BROADCASTER_LANG=zh_CN, then under en: (zh, en)."""
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    zh = run(*args)
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    en = run(*args)
    return zh, en


def _chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


# ---------------------------------------------------------------- one-line error messages (check, loaders)
# Python's and the parsers' names; "list" and "object" only count in a Chinese message
PYTHON_NAMES = re.compile(r"Error|Exception|Traceback|\bNone(Type)?\b|\bTrue\b|\bFalse\b|\bdict\b|\bstr\b|\bint\b"
                          r"|__\w+__|jinja|constructor|undefined|mapping|scalar")
PYTHON_WORDS = re.compile(r"\blist\b|\bobject\b|\btuple\b|\bfloat\b|\bbool\b")


def _typed(message: str) -> str:
    """The message without what an official types as it is: `code`, paths, names and values in
    quotes, and lists of choices after a colon (a, b, c)."""
    text = re.sub(r"`[^`]*`|“[^”]*”|'[^']*'|\S*/\S*|\S+\.(?:yaml|j2|mp3|csv)\b|--?[\w-]+", " ", message)
    return re.sub(r"(?<=：)\s*[\w-]+(?:, [\w-]+)+", " ", text)


def _prose(message: str) -> list[str]:
    """English prose left in a Chinese message."""
    return ENGLISH_PROSE.findall(_typed(message))


def _python(message: str, chinese: bool) -> list[str]:
    """Python or parser names in a message (in a Chinese one, also list/object/... as words)."""
    text = _typed(message)
    return PYTHON_NAMES.findall(text) + (PYTHON_WORDS.findall(text) if chinese else [])


def _one_line(path, r, line: int) -> str:
    """`check`'s one line about `path` at `line` (exit 2, a fix after " — "), without its place."""
    assert r.code == 2, (r.code, r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith(f"{path}:{line}: "), lines[0]
    assert " — " in lines[0]
    return lines[0][len(f"{path}:{line}: "):]


def _lines_without_english(text: str) -> list[str]:
    """Lines of a command's output that still hold English prose (paths, code and ids aside)."""
    return [line for line in text.splitlines() if _prose(line)]


# ---------------------------------------------------------------- help screens and listings
HELP_PYTHON_NAMES = re.compile(r"\b(?:\w*Error|None|Traceback|Exception|dict|str)\b")


def _help_prose(text: str) -> list[str]:
    """English prose left in a help screen: lines that are not examples, with flags and code removed."""
    found = []
    for line in text.splitlines():
        if line.strip().startswith(("broadcaster ", "->", "用法", "Usage:")):
            continue  # an example command line is typed as it is, in any language
        line = re.sub(r"`[^`]*`|--?[\w-]+|\[[^\]]*\]|<[^>]*>|\S+\.(?:yaml|mp3|txt|json|csv|sqlite)\b|\S*/\S*", " ", line)
        found += ENGLISH_PROSE.findall(line)
    return found


def _clean(text: str) -> None:
    assert not _help_prose(text), f"English left: {_help_prose(text)} in\n{text}"
    assert not HELP_PYTHON_NAMES.search(text), text


# ---------------------------------------------------------------- what render, plan and batch print
OUTPUT_PYTHON_NAMES = re.compile(r"Error|None|Traceback|\bdict\b|\bstr\b")
IDS = re.compile(r"\b(?:loudspeaker|truck|loop-player|archive|espeak|mandarin|urgent)\b")  # typed as they are


def prose(text: str) -> list[str]:
    """English prose left in what a command printed, after removing `code`, --options and paths."""
    found = []
    for line in IDS.sub(" ", text).splitlines():
        line = re.sub(r"`[^`]*`|--?[\w-]+|\S+\.(?:yaml|mp3|wav|txt|json|csv)\b|\S*/\S*", " ", line)
        found += ENGLISH_PROSE.findall(line)
    return found


def chinese_only(text: str) -> None:
    assert not prose(text), f"English left: {prose(text)} in {text!r}"
    assert not OUTPUT_PYTHON_NAMES.search(text), text


# ---------------------------------------------------------------- inputs several tests start from
WATER = "id: water\ntitle: 停水通知\ntext: 各位村民请注意，明天上午停水。\nrepeat: 1\n"
HESUAN = "id: hesuan\ntitle: 核酸检测\ntext: 请到村委会做核酸。\nrepeat: 1\n"
SCHEDULE = """\
timezone: Asia/Shanghai
quiet_hours: ["22:00-06:00"]
channels:
  village: {name: 大喇叭, sink: null}
programs:
  - notice: w.yaml
    channel: village
    times: ["08:00", "23:00"]
  - notice: h.yaml
    channel: village
    times: ["08:00"]
    priority: urgent
"""

# a schedule's pieces: one channel, one program, its rule
CHANNELS = "channels:\n  village: {name: 大喇叭}\n"
PROGRAM = "programs:\n  - notice: notices/a.yaml\n    channel: village\n"
TIMES = "    times: ['07:00']\n"


def _folder(tmp_path: Path) -> Path:
    """A folder with a Chinese name holding notices/a.yaml."""
    folder = tmp_path / "村里"
    write(folder / "notices" / "a.yaml", "id: hs\ntitle: 通知\ntext: 各位村民请注意，今天下午停水。\n")
    return folder
