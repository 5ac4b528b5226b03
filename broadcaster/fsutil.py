"""Atomic file writes: a temporary name in the same folder, renamed when complete.

Also what keeps an output folder safe when several runs share it or one was killed: a lock
around read-modify-write files (manifest.json), writes that leave an unchanged file alone,
and the removal of temporary files that a killed run left behind. Failed writes become one
plain CouldNotDo line that names the file (read-only disk, full disk, no permission).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.i18n import N_, _

try:  # POSIX: a writer holds a lock on its temporary file, so a cleaning run can tell it is alive
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which protects a live writer
    fcntl = None  # type: ignore[assignment]

# `.name.xxxxxxxx.tmp`: what tempfile.mkstemp makes with our prefix and suffix (8 of [a-z0-9_])
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
_NEARLY_FULL = 1 << 20  # bytes: a write that failed with less than this free ran out of space


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one step.

    A crash or kill leaves only a `.name.xxxx.tmp` file, never a half file under the
    real name that a player could broadcast; the next render in that folder removes it
    (`remove_stale_temps`). OSError (and a writer such as ffmpeg failing on a full disk)
    becomes a CouldNotDo that names `target`.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise could_not_write(exc, target) from None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel when this process dies, even by kill -9
        except OSError:
            pass  # a file system without locks: the cleaner then goes by age alone
    tmp_path = Path(tmp)
    try:
        try:
            os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; players and shares need to read
            yield tmp_path
            with open(tmp_path, "rb") as fh:
                os.fsync(fh.fileno())
            if fcntl is None:  # Windows cannot rename a file that is open
                os.close(fd)
                fd = -1
            os.replace(tmp_path, target)
        except OSError as exc:
            raise could_not_write(exc, target) from None
        except CouldNotDo as exc:  # e.g. ffmpeg writing the temporary file stopped on a full disk
            if _out_of_space(exc, target.parent):
                raise could_not_write(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), target) from None
            raise
    finally:
        try:
            if tmp_path.exists():
                tmp_path.unlink()
        except OSError:
            pass  # a disk that turned read-only keeps it; the next run there removes it
        if fd >= 0:
            os.close(fd)


def _out_of_space(exc: Exception, folder: Path) -> bool:
    """Whether a failed write ran out of space (ffmpeg's message does not always say so)."""
    if "No space left on device" in str(exc):
        return True
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    free = st.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else st.f_bavail  # root may use the reserve
    return free * st.f_frsize < _NEARLY_FULL


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def could_not_write(exc: OSError, target: str | Path) -> CouldNotDo | BadInput:
    """One plain line for a failed write of `target` (BadInput when a folder in its path is a file)."""
    target = Path(target)
    code = exc.errno
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return CouldNotDo(_("no space left on {disk} while writing {file} — free some space there or "
                            "write to another disk").format(disk=_mount_point(target.parent), file=target))
    if code == errno.EROFS:
        return CouldNotDo(_("cannot write {file}: the disk is read-only — make it writable (is the card's lock "
                            "switch on?) or choose another folder").format(file=target))
    if code in (errno.EACCES, errno.EPERM):
        return CouldNotDo(_("cannot write {file}: permission denied — choose a folder you may write to")
                          .format(file=target))
    if code in (errno.ENOTDIR, errno.EEXIST):
        blocker = next((p for p in [target, *target.parents] if p.exists() and not p.is_dir()), target.parent)
        return BadInput(_("'{path}' is a file, not a folder").format(path=blocker),
                        _("choose another output folder"))
    if code == errno.ENAMETOOLONG:
        return CouldNotDo(_("cannot write {file}: the name is too long — use a shorter id or folder name")
                          .format(file=target))
    return CouldNotDo(_("cannot write {file}: {reason}").format(file=target, reason=os_reason(exc)))


# the system's own words for these are English whatever the locale: ours are translated
_OS_REASONS = {
    errno.ENOENT: N_("no such file or folder"),
    errno.EISDIR: N_("that is a folder, not a file"),
    errno.EIO: N_("the disk could not be read or written (is it failing, or was it removed?)"),
    errno.EBUSY: N_("the file or device is busy"),
    errno.ENODEV: N_("the device is not there"),
    errno.ENXIO: N_("the device is not there"),
    errno.EMFILE: N_("too many files are open"),
    errno.ETXTBSY: N_("the file is in use"),
}


def os_reason(exc: OSError) -> str:
    """Why an OSError happened, in the user's language where we know the words."""
    if exc.errno in _OS_REASONS:
        return _(_OS_REASONS[exc.errno])
    return str(exc.strerror or exc)


def os_error_line(exc: OSError) -> str:
    """One plain line for an OSError that reached the CLI (it names the file when the error does)."""
    if exc.filename is not None and exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM,
                                                  errno.ENOTDIR, errno.ENAMETOOLONG):
        return str(could_not_write(exc, exc.filename))
    if exc.filename is not None:
        return _("{file}: {reason}").format(file=exc.filename, reason=os_reason(exc))
    return os_reason(exc)


def check_folder(folder: str | Path) -> Path:
    """Prove before any work that files can be made in `folder` (or where it would be made),
    creating nothing: one line if not (read-only disk, no permission, a file in the way)."""
    folder = Path(folder)
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        with tempfile.TemporaryFile(dir=existing):  # unnamed where the system allows: nothing appears
            pass
    except OSError as exc:
        raise could_not_write(exc, folder) from None
    return folder


def remove_stale_temps(folder: str | Path, started: float) -> list[Path]:
    """Remove temporary files (our `.name.xxxxxxxx.tmp` only) that a killed run left in `folder`.

    Only files last changed before `started` (this run's start) and not held by a live
    writer: another render still running in the same folder keeps its files.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed  # no folder yet: nothing left over
    for entry in entries:
        if not TEMP_NAME.match(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat().st_mtime >= started:
                continue
            path = Path(entry.path)
            if fcntl is not None:
                with open(path, "rb") as fh:
                    try:
                        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        continue  # a live writer holds it
                    except OSError:
                        pass  # a file system without locks: its age alone decides
                    path.unlink()
            else:
                path.unlink()  # fails while a writer has it open
            removed.append(path)
        except OSError:
            continue  # gone already, held, or not ours to remove: leave it
    return removed


@contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold the lock of the folder holding `path` for a read-modify-write that parallel runs share
    (one lock per folder: do not nest two of them for files of one folder).

    POSIX: an flock on the folder itself, so nothing is left in it (an output folder, copied to a
    TF card as it is, should hold only outputs), and every process that can open the folder takes
    the same lock, whoever runs it. A lock file that is removed after use would not do: a waiter
    already holding the old file open would lock that one while a newcomer locks a new file of the
    same name. filelock cannot lock a folder (it opens a file), hence fcntl here. Where folders
    cannot be locked (some network shares) and on Windows: filelock's `.name.lock` beside `path`
    (Windows removes it on release; a share keeps it, the price of a lock other computers see).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        held = _lock_folder(path.parent)
        if held is None:
            from filelock import FileLock

            with FileLock(str(_lock_file(path))):
                yield
            return
        try:
            _remove_old_lock_file(path)
            yield
        finally:
            os.close(held)  # the kernel releases the flock with it (also on kill -9)
    except OSError as exc:
        raise could_not_write(exc, path) from None


def _lock_file(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def _lock_folder(folder: Path) -> int | None:
    """An open descriptor of `folder` holding an exclusive flock (waits for it); None where
    folders cannot be locked (Windows, a file system without flock on folders)."""
    if fcntl is None:
        return None
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EBADF, errno.ENOLCK, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            return None  # NFS, for one, locks only what is open for writing
        raise
    return fd


def _remove_old_lock_file(path: Path) -> None:
    """The `.name.lock` that versions before the folder lock left beside `path`: nobody locks it now."""
    old = _lock_file(path)
    try:
        if old.is_file() and not old.is_symlink():
            old.unlink()
    except OSError:
        pass  # not ours to remove (permissions): it does no harm


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(target: str | Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | Path, text: str) -> None:
    write_bytes(target, text.encode("utf-8"))


def write_text_if_changed(target: str | Path, text: str) -> bool:
    """write_text unless the file already holds exactly this text (its mtime then stays); True if written."""
    data = text.encode("utf-8")
    try:
        if Path(target).read_bytes() == data:
            return False
    except OSError:
        pass
    write_bytes(target, data)
    return True


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes (manifests and the as-run log record it)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_stamp(path: str | Path) -> dict:
    """A small JSON record written beside outputs (input hashes); {} when missing or damaged."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# Line breaks (incl. U+2028/9 and NEL), tabs, escapes and other C0/C1 controls: in a crontab,
# unit file, playlist or calendar one of these starts a new line or hides what follows.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """Text for a single line of a written file: each run of control characters becomes one space."""
    return re.sub(r"\s*" + CONTROL_RE.pattern + r"+\s*", " ", text).strip() if CONTROL_RE.search(text) else text
