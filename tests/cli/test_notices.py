"""The notice commands' own lines (cli/notices.py): `check` says what each file it passed is, in the user's
language."""
from __future__ import annotations

import re


def test_check_says_ok_in_chinese_for_notices_jingles_and_schedules(run, monkeypatch):
    from tests.helpers import EXAMPLES

    files = [EXAMPLES / "notices" / "hesuan-round8.yaml", EXAMPLES / "jingles" / "qianjiang-337.yaml",
             EXAMPLES / "schedules" / "village.yaml"]
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    r = run("check", *files)
    assert r.code == 0, r.err
    out = r.out.splitlines()
    assert f"没问题  {files[0]}  （通知“hesuan-round8”，声音 mandarin）" in out
    assert f"没问题  {files[1]}  （顺口溜“qianjiang-337”，声音 sichuan_chongqing）" in out
    assert any(re.fullmatch(rf"没问题  {re.escape(str(files[2]))}  （播放表：\d+ 个频道，\d+ 个节目）", o) for o in out), out
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    r = run("check", *files)
    assert f"ok  {files[0]}  (notice 'hesuan-round8', voice mandarin)" in r.out.splitlines()
    assert "没问题" not in r.out
