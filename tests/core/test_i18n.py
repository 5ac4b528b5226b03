"""Messages in the user's language: complete catalogs, language choice, and every --help translated."""
from __future__ import annotations

import re

import pytest

from broadcaster.catalog import all_messages, untranslated
from broadcaster.i18n import language
from tests.zhtext import _help_prose as _prose


def test_every_message_has_a_chinese_translation():
    missing = untranslated("zh_CN")
    assert not missing, "untranslated (run scripts/catalog): " + "; ".join(
        f"{where[0]}: {msgid!r}" for msgid, where in list(missing.items())[:20])


@pytest.mark.parametrize("env, expected", [
    ({"BROADCASTER_LANG": "zh_CN"}, "zh_CN"),
    ({"BROADCASTER_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8"}, "zh_CN"),
    ({"LC_MESSAGES": "zh_CN.GB18030"}, "zh_CN"),
    ({"LANG": "zh_CN.UTF-8"}, "zh_CN"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({}, "en"),
])
def test_language_comes_from_broadcaster_lang_then_the_locale(monkeypatch, env, expected):
    for var in ("BROADCASTER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert language() == expected


def _commands():
    from broadcaster.cli import cli

    def walk(command, path):
        yield path
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            yield from walk(sub, [*path, name])

    return list(walk(cli, []))


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "broadcaster")
def test_every_help_screen_is_translated(run, monkeypatch, path):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    zh = run(*path, "--help")
    assert zh.code == 0
    assert "用法" in zh.out
    assert not _prose(zh.out), f"English left in `{' '.join(path)} --help`: {_prose(zh.out)}"
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    en = run(*path, "--help")
    assert en.code == 0 and "Usage:" in en.out
    assert not re.search(r"用法|选项|显示这段帮助", en.out)


def test_usage_errors_follow_the_language(run, monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("BROADCASTER_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    zh = run("render", "x.yaml", "--engine", "nope", "-o", "out")
    assert zh.code == 2
    assert "的值不对" in zh.err and "请看 `broadcaster render --help`" in zh.err
    monkeypatch.setenv("LANG", "C")
    en = run("render", "x.yaml", "--engine", "nope", "-o", "out")
    assert en.code == 2 and "Invalid value for '--engine'" in en.err


def test_catalog_covers_every_help_text_and_click_message():
    messages = all_messages()
    assert "Show this message and exit." in messages
    assert any("Render notices and jingles" in str(m) for m in messages)
