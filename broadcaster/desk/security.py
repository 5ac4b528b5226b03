"""What keeps the desk safe on a village office LAN: the password, the session secret, CSRF
tokens, and paths from the browser that must stay inside the desk's folder."""
from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from broadcaster.errors import BadInput
from broadcaster.i18n import _

PASSWORD_FILE = "desk-password"   # an argon2 hash, never the password itself
SECRET_FILE = "desk-secret"       # signs the session cookie
MIN_PASSWORD = 8


def config_dir() -> Path:
    """The user's config folder (e.g. ~/.config/broadcaster), where config.yaml lives too."""
    from broadcaster.config import config_path

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
    from broadcaster.fsutil import atomic_path

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
    path = (folder or config_dir()) / PASSWORD_FILE
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


class OutsideFolder(Exception):
    """A path from the browser that would leave the desk's folder (HTTP 403)."""


def inside(folder: Path, relative: str, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> Path:
    """The file `relative` names inside `folder`, resolved (symlinks followed).

    BadInput (400) for a malformed name, OutsideFolder (403) for anything that would leave
    `folder`, by `..`, an absolute path or a symlink pointing out.
    """
    if not isinstance(relative, str) or not relative.strip() or "\x00" in relative:
        raise BadInput(_("no file name given"), _("choose a file from the list"))
    if suffixes and not relative.lower().endswith(suffixes):
        raise BadInput(_("'{name}' is not a YAML file").format(name=relative),
                       _("the name must end in .yaml"))
    root = folder.resolve()
    candidate = Path(relative)
    if candidate.is_absolute() or candidate.drive:
        raise OutsideFolder(relative)
    path = (root / candidate).resolve()
    if path != root and root not in path.parents:
        raise OutsideFolder(relative)
    return path


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a), str(b))
