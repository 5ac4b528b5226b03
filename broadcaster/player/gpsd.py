"""The gpsd client: fixes from gpsd's JSON over TCP, every line judged as untrusted.

gpsd speaks newline-delimited JSON on TCP port 2947: after `?WATCH={"enable":true,"json":true}`
it sends a TPV ("time-position-velocity") object per fix. That is all we need, so the client
is our own rather than a PyPI package: the packages there are unmaintained (gps3,
gpsd-py3) or asyncio-only, and none reconnects by itself after gpsd restarts. Every line from
gpsd is untrusted (whoever answers on the address controls it): `read_report` judges each one
and never raises, lines are capped, and no line ends the reader. The route logic that uses the
fixes is player/position.py.
"""
from __future__ import annotations

import json
import math
import socket
import threading
import time
from dataclasses import dataclass

from broadcaster.i18n import _, ngettext
from broadcaster.player.position import Fix, plausible

GPSD_PORT = 2947

# gpsd's own longest report is 10240 bytes (GPS_JSON_RESPONSE_MAX in gpsd 3.2x); anything much
# longer is not from gpsd. The cap bounds the reader's memory and the JSON parser's work.
MAX_LINE = 64 * 1024
# Beyond any road vehicle; a receiver's glitch or a forged report. Only the speed is dropped.
MAX_SPEED = 150.0  # m/s
FIX_MODES = (2, 3)  # gpsd's `mode`: 0 unknown, 1 no fix, 2 2D fix, 3 3D fix


@dataclass(frozen=True)
class Unusable:
    """A line from gpsd that cannot be used: not gpsd's JSON, or a TPV report whose fix cannot be one.

    Ignored like a report without a fix; the client counts them and the player warns once.
    """

    what: str  # what was wrong, for the warning (short: values are cut)


def _shown(value: object) -> str:
    """A value as JSON, cut short (a hostile report may hold a 400-digit number)."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 24 else text[:20] + "…"


def _number(value: object) -> float | None:
    """A JSON number as a float; None for anything else (bool, text, a number too big for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def parse_tpv(line: str, now: float) -> Fix | None:
    """A gpsd JSON line -> Fix when it is a TPV report with a usable 2D/3D fix; None for anything else."""
    got = read_report(line, now)
    return got if isinstance(got, Fix) else None


def read_report(line: str, now: float) -> Fix | Unusable | None:
    """One line from gpsd: a usable Fix, None for a report without one (SKY, VERSION, mode 1), or Unusable.

    Unusable is a line that is not gpsd's JSON, or a TPV report that claims a fix which cannot be
    used (NaN or infinite or out-of-range degrees, a mode that is not gpsd's, a number JSON
    allows and a float cannot hold). Whatever the line holds, this returns; it never raises.
    """
    try:
        return _read_report(line, now)
    except Exception as exc:  # noqa: BLE001 - a line we failed to foresee is one more unusable report
        return Unusable(_("a report that could not be read ({error})").format(error=type(exc).__name__))


def _read_report(line: str, now: float) -> Fix | Unusable | None:
    if not line.strip():
        return None  # gpsd ends lines with CR LF; a blank line says nothing
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: a line of ten thousand `[`
        return Unusable(_("a line that is not gpsd's JSON"))
    if not isinstance(msg, dict) or msg.get("class") != "TPV":
        return None
    mode = msg.get("mode", 0)
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 3:
        return Unusable(_("a TPV report with mode {value}").format(value=_shown(mode)))
    if mode not in FIX_MODES:
        return None  # gpsd says so itself: no fix
    lat, lon = _number(msg.get("lat")), _number(msg.get("lon"))
    if lat is None or lon is None or not plausible(lat, lon):
        return Unusable(_("an impossible position: lat {lat}, lon {lon}").format(
            lat=_shown(msg.get("lat")), lon=_shown(msg.get("lon"))))
    speed = _number(msg.get("speed"))
    if speed is not None and not (math.isfinite(speed) and 0.0 <= speed <= MAX_SPEED):
        speed = None
    stamp = msg.get("time", "")
    return Fix(at=now, lat=lat, lon=lon, speed=speed,
               gps_time=stamp if isinstance(stamp, str) and len(stamp) <= 40 else "")


class LineSplitter:
    """Cuts a byte stream into lines of at most `limit` bytes; a longer line is skipped to its newline.

    Each byte is looked at once (the old reader split the whole buffer again on every read:
    quadratic on a line without end), and no more than `limit` bytes of one line are held.
    """

    def __init__(self, limit: int = MAX_LINE) -> None:
        self.limit = limit
        self._parts: list[bytes] = []
        self._size = 0
        self._skipping = False  # inside a line that was too long: drop bytes up to its newline

    @property
    def held(self) -> int:
        """Bytes of an unfinished line kept for the next chunk (never more than `limit`)."""
        return self._size

    def feed(self, chunk: bytes) -> tuple[list[bytes], int]:
        """(the complete lines in `chunk`, with what came before it; how many lines were too long)."""
        lines: list[bytes] = []
        too_long = 0
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not self._skipping:
                if self._size + len(piece) > self.limit:
                    too_long += 1
                    self._skipping = True
                    self._parts, self._size = [], 0
                elif end >= 0:
                    lines.append(b"".join(self._parts) + piece if self._parts else piece)
                    self._parts, self._size = [], 0
                elif piece:
                    self._parts.append(piece)
                    self._size += len(piece)
            if end < 0:
                return lines, too_long
            self._skipping = False
            start = end + 1


class GpsdClient:
    """Reads TPV reports from gpsd in a thread; `latest()` is the newest usable fix. Reconnects on its own.

    Every line is untrusted: an unusable one is counted (`ignored`, the first kept in
    `ignored_first`) and never ends the reader; a fault of ours in the reader is reported in
    `problem` and the reader connects again.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = GPSD_PORT, retry: float = 1.0) -> None:
        self.host, self.port, self.retry = host, port, retry
        self.ignored = 0            # unusable reports and lines since start
        self.ignored_first = ""     # what the first of them was
        self._since_fix = 0         # unusable ones since the last usable fix
        self._link = ""             # why the connection is down or was lost ("" when fine)
        self._fix: Fix | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def problem(self) -> str:
        """Why there may be no fresh fix ("" when nothing is known to be wrong)."""
        if self._thread is not None and not self._thread.is_alive() and not self._stop.is_set():
            return _("the gpsd reader stopped")
        if self._link:
            return self._link
        if self._since_fix:
            return ngettext("{n} report from gpsd could not be used: {what}",
                            "{n} reports from gpsd could not be used, the first: {what}",
                            self._since_fix).format(n=self._since_fix, what=self.ignored_first)
        return ""

    def latest(self) -> Fix | None:
        return self._fix

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gpsd", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5) as sock:
                    sock.sendall(b'?WATCH={"enable":true,"json":true}\n')
                    sock.settimeout(1.0)
                    self._link = ""  # connected: an earlier refusal is no longer the reason
                    self._read(sock)
            except OSError as exc:
                self._link = _("gpsd at {host}:{port} cannot be reached ({error})").format(
                    host=self.host, port=self.port, error=exc.strerror or exc)
            except Exception as exc:  # noqa: BLE001 - a fault of ours must not end the reader for good
                self._link = _("the gpsd reader failed ({error}); connecting again").format(
                    error=f"{type(exc).__name__}: {exc}"[:200])
            self._stop.wait(self.retry)

    def _read(self, sock: socket.socket) -> None:
        lines = LineSplitter()
        while not self._stop.is_set():
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                self._link = _("gpsd at {host}:{port} closed the connection").format(host=self.host,
                                                                                     port=self.port)
                return
            complete, too_long = lines.feed(chunk)
            if too_long:
                self._ignore(Unusable(_("a line longer than {limit} bytes").format(limit=MAX_LINE)), too_long)
            for line in complete:
                got = read_report(line.decode("utf-8", "replace"), time.time())
                if isinstance(got, Fix):
                    self._fix = got
                    self._link = ""
                    self._since_fix = 0
                elif got is not None:
                    self._ignore(got)

    def _ignore(self, what: Unusable, n: int = 1) -> None:
        if not self.ignored:
            self.ignored_first = what.what
        self.ignored += n
        self._since_fix += n


def parse_address(text: str) -> tuple[str, int]:
    """'HOST:PORT', 'HOST' or ':PORT' -> (host, port); ValueError when the port is not a number."""
    host, _sep, port = text.rpartition(":") if ":" in text else (text, "", "")
    return host or "127.0.0.1", int(port) if port else GPSD_PORT
