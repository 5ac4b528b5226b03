"""What keeps the desk safe on a village office LAN: the password, sessions kept on the server, a
limit on login attempts, the host names it answers to, CSRF tokens, and paths from the browser that
must stay inside the desk's folder."""
from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from broadcaster.config import config_path
from broadcaster.errors import BadInput, OutsideFolder
from broadcaster.fsutil import atomic_path
from broadcaster.i18n import _

PASSWORD_FILE = "desk-password"   # an argon2 hash, never the password itself
SECRET_FILE = "desk-secret"       # signs the session cookie
MIN_PASSWORD = 8
NAME_MAX = 255    # bytes in one file or folder name (Linux, and most file systems)
PATH_MAX = 4000   # bytes in a whole path from the browser (the system's limit is 4096)


def config_dir() -> Path:
    """The user's config folder (e.g. ~/.config/broadcaster), where config.yaml lives too."""
    return config_path().parent


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the desk on this computer only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (0600 from the start, then renamed into place)."""
    with atomic_path(path) as tmp:
        os.chmod(tmp, 0o600)
        tmp.write_text(text, encoding="utf-8")
    os.chmod(path, 0o600)


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def set_password(password: str, folder: Path | None = None) -> Path:
    """Store the password's hash in the config folder; BadInput when it is too short."""
    if len(password) < MIN_PASSWORD:
        raise BadInput(_("the password is too short ({n} characters)").format(n=len(password)),
                       _("use at least {n} characters").format(n=MIN_PASSWORD))
    path = (folder or config_dir()) / PASSWORD_FILE
    _write_private(path, hash_password(password) + "\n")
    return path


def stored_password_hash(folder: Path | None = None) -> str | None:
    return read_password_hash((folder or config_dir()) / PASSWORD_FILE)


def read_password_hash(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def verify_password(stored_hash: str, password: str) -> bool:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def session_secret(folder: Path | None = None) -> str:
    """The key that signs session cookies: made once, kept readable by its owner only."""
    path = (folder or config_dir()) / SECRET_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
        if len(text) >= 32:
            return text
    except OSError:
        pass
    secret = secrets.token_urlsafe(48)
    _write_private(path, secret + "\n")
    return secret


def inside(folder: Path, relative: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """The file `relative` names inside `folder`, resolved (symlinks followed).

    BadInput (400) for a malformed name, OutsideFolder (403) for anything that would leave
    `folder`, by `..`, an absolute path or a symlink pointing out.
    """
    if not isinstance(relative, str) or not relative.strip() or "\x00" in relative:
        raise BadInput(_("no file name given"), _("choose a file from the list"))
    try:
        encoded = os.fsencode(relative)
    except UnicodeError:  # a lone surrogate from JSON: no file can have that name
        raise BadInput(_("the file name '{name}' holds a character no file name can have").format(
            name=relative.encode("utf-8", "replace").decode()), _("choose a file from the list")) from None
    longest = max(encoded.split(b"/"), key=len)
    if len(longest) > NAME_MAX or len(encoded) > PATH_MAX:
        # the system would refuse it (ENAMETOOLONG) deep inside a page or job: say so here
        whole = len(longest) <= NAME_MAX
        shown = relative if whole else os.fsdecode(longest)
        raise BadInput(_("the file name '{name}' is too long ({n} bytes; at most {max})").format(
            name=shown if len(shown) <= 100 else shown[:100] + "…", n=len(encoded if whole else longest),
            max=PATH_MAX if whole else NAME_MAX),
            _("choose a shorter name (a Chinese character takes 3 bytes)"))
    if suffixes and not relative.lower().endswith(suffixes):
        raise BadInput(_("'{name}' is not a YAML file").format(name=relative),
                       _("the name must end in .yaml"))
    root = folder.resolve()
    candidate = Path(relative)
    outside = _("'{name}' is outside the desk's folder").format(name=relative)
    if candidate.is_absolute() or candidate.drive:
        raise OutsideFolder(outside, _("choose a file from the list"))
    path = (root / candidate).resolve()
    if path != root and root not in path.parents:
        raise OutsideFolder(outside, _("choose a file from the list"))
    return path


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a), str(b))


# ---------------------------------------------------------------- the password, read again when it changes
class Password:
    """The desk's password hash: the one it started with, or the stored file's whenever that changes.

    A password set while the desk runs (`serve --set-password` elsewhere) counts at once: logins
    check the new one, and sessions made under the old one end.
    """

    def __init__(self, initial: str | None, file: Path | None = None) -> None:
        self._hash, self._file = initial, file
        self._seen: tuple | None = None
        self._lock = threading.Lock()

    @property
    def required(self) -> bool:
        return self._hash is not None or self._file is not None

    def current(self) -> str | None:
        """The hash to check against; None when the file went missing (then nobody gets in)."""
        if self._file is None:
            return self._hash
        try:
            st = self._file.stat()
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            return None
        with self._lock:
            if stamp != self._seen:
                self._hash = read_password_hash(self._file)
                self._seen = stamp
            return self._hash


def fingerprint(password_hash: str | None) -> str:
    """A short digest that changes with the password (argon2 salts each hash anew)."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:32]


# ---------------------------------------------------------------- sessions kept on the server
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class _Session:
    password: str    # fingerprint of the password it was opened with
    expires: float


class Sessions:
    """Logged-in sessions by id. The cookie only names one: logging out ends it here, a new password
    ends every one opened before, and a restart of the desk ends them all."""

    def __init__(self, lifetime: float = SESSION_SECONDS, clock: Callable[[], float] = time.time) -> None:
        self.lifetime, self._clock = lifetime, clock
        self._live: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def open(self, password_hash: str | None) -> str:
        now = self._clock()
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._live = {k: v for k, v in self._live.items() if v.expires > now}
            self._live[sid] = _Session(fingerprint(password_hash), now + self.lifetime)
        return sid

    def valid(self, sid: object, password_hash: str | None) -> bool:
        if not isinstance(sid, str) or password_hash is None:
            return False
        with self._lock:
            found = self._live.get(sid)
        return (found is not None and found.expires > self._clock()
                and secrets.compare_digest(found.password, fingerprint(password_hash)))

    def close(self, sid: object) -> None:
        if isinstance(sid, str):
            with self._lock:
                self._live.pop(sid, None)


# ---------------------------------------------------------------- login attempts
class LoginThrottle:
    """Wrong passwords per client address: a few typos are free, then each further try must wait
    twice as long as the one before (up to a cap). A right password clears the count."""

    FREE = 3              # wrong passwords in a row with no wait
    FIRST = 2.0           # seconds to wait after the first one past FREE
    CAP = 600.0           # the longest wait
    FORGET = 24 * 3600.0  # a client's count is dropped this long after its last wrong password
    MAX_CLIENTS = 4096    # memory bound: the oldest counts go first

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failed: dict[str, tuple[int, float]] = {}  # client -> (wrong in a row, time of the last)
        self._lock = threading.Lock()

    @classmethod
    def delay(cls, wrong: int) -> float:
        """Seconds a client must wait after `wrong` wrong passwords in a row."""
        if wrong < cls.FREE:
            return 0.0
        return min(cls.FIRST * 2 ** (wrong - cls.FREE), cls.CAP)

    def wrong(self, client: str) -> int:
        with self._lock:
            return self._failed.get(client, (0, 0.0))[0]

    def wait(self, client: str) -> float:
        """Seconds until `client` may try again (0: now)."""
        now = self._clock()
        with self._lock:
            count, last = self._failed.get(client, (0, 0.0))
        if not count or now - last > self.FORGET:
            return 0.0
        return max(0.0, last + self.delay(count) - now)

    def failed(self, client: str) -> tuple[int, float]:
        """Count a wrong password; (wrong in a row, seconds before the next try)."""
        now = self._clock()
        with self._lock:
            count, last = self._failed.get(client, (0, 0.0))
            count = 1 if now - last > self.FORGET else count + 1
            self._failed[client] = (count, now)
            if len(self._failed) > self.MAX_CLIENTS:
                for old in sorted(self._failed, key=lambda k: self._failed[k][1])[:len(self._failed) // 4]:
                    del self._failed[old]
        return count, self.delay(count)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failed.pop(client, None)


# ---------------------------------------------------------------- host names
def host_name(header: str) -> str:
    """The name in a Host header, without its port, lower case ('[::1]:8750' -> '::1')."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    if header.count(":") == 1:
        header = header.partition(":")[0]
    return header.rstrip(".")


def serves_host(header: str, names: tuple[str, ...]) -> bool:
    """Whether the desk answers a request for `header`: any IP address, or one of `names`.

    An address is safe: a page that rebinds its own DNS name to the desk's address still sends
    that name (browsers do not let a page choose the Host header). So only names are checked.
    """
    name = host_name(header)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return name in {n.lower().rstrip(".") for n in names}
