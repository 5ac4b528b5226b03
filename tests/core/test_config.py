"""User settings (config.py): a broken config.yaml is one line at its place, in the user's language."""
from __future__ import annotations

from tests.helpers import write
from tests.zhtext import _both


def test_a_broken_settings_file(run, monkeypatch, tmp_path):
    from broadcaster.config import config_path

    write(config_path(), "cache:\n  max_mb: lots\n")
    zh, en = _both(run, monkeypatch, "cache", "trim")
    assert zh.code == en.code == 2
    assert zh.err.strip() == f"{config_path()}:2: cache max_mb 的值“lots”不对 — 请填 0 到 1e+07 之间的数"
    assert en.err.strip() == f"{config_path()}:2: cache max_mb is 'lots' — give a number from 0 to 1e+07"
