"""Atomic writes (fsutil.py): outputs appear whole or not at all; a disk error is one line naming the file,
in the user's language."""
from __future__ import annotations

import errno
import os

import pytest

from broadcaster.fsutil import atomic_path, write_text
from tests.zhtext import chinese_only


def test_failed_write_leaves_neither_target_nor_temp(tmp_path):
    target = tmp_path / "a.mp3"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half a file")
            raise RuntimeError("disk went away")
    assert list(tmp_path.iterdir()) == []


def test_replacing_keeps_old_file_until_complete(tmp_path):
    target = tmp_path / "a.txt"
    write_text(target, "old")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) != oct(0o600)


@pytest.mark.parametrize("code, zh_text, en_text", [
    (errno.ENOSPC, "没有剩余空间了 — 请清理出一些空间，或写到另一块磁盘", "no space left on"),
    (errno.EROFS, "无法写入 {file}：磁盘是只读的 — 请把它改为可写", "cannot write {file}: the disk is read-only"),
    (errno.EIO, "无法写入 {file}：磁盘读写出错（是不是坏了，或者被拔出了？）", "cannot write {file}: the disk could not be read or written"),
], ids=["full", "read-only", "failing"])
def test_disk_errors_are_one_chinese_line_naming_the_file(monkeypatch, tmp_path, code, zh_text, en_text):
    from broadcaster.fsutil import could_not_write

    target = tmp_path / "out" / "water.mp3"
    exc = OSError(code, os.strerror(code), str(target))
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    line = str(could_not_write(exc, target))
    assert zh_text.format(file=target) in line and str(target) in line
    chinese_only(line.replace(str(target), ""))
    monkeypatch.setenv("BROADCASTER_LANG", "en")
    assert en_text.format(file=target) in str(could_not_write(exc, target))


def test_an_os_error_reaching_the_command_line_is_chinese(zh):
    from broadcaster.fsutil import os_error_line

    line = os_error_line(FileNotFoundError(errno.ENOENT, "No such file or directory", "村委会/通知.yaml"))
    assert line == "村委会/通知.yaml：没有这个文件或文件夹"
