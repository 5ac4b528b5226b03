"""The as-run log (播出记录): an append-only SQLite (WAL) record of what really aired.

The same database carries the daemon's control tables: which daemons are running
(with a heartbeat), play requests from `broadcaster play`, and the daemon's answers.
Rows in `asrun` are never changed or deleted (triggers refuse it); a slot's outcome is
its rows. A play that was on air when the process died is found through `onair`, the
journal written as each play starts.
"""
from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from broadcaster.errors import LogUnavailable
from broadcaster.i18n import N_, _
# the report's names and the statuses are also re-exported for branches that still import them from here
# (the cli package imports them from asrun_report.py and vocabulary.py)
from broadcaster.player.asrun_report import ROW_FIELDS, TOTAL_FIELDS, csv_bytes, daily_totals  # noqa: F401
from broadcaster.vocabulary import STATUSES, TIMEZONE, status_label  # noqa: F401


def _sqlite_reason(exc: Exception) -> str:
    """SQLite's English reason in plain words for the common cases (the rest as SQLite says it)."""
    text = str(exc).lower()
    for marks, reason in ((("locked", "busy"), N_("another program is using it")),
                          (("readonly", "read-only"), N_("it is read-only")),
                          (("full",), N_("the disk is full")),
                          (("unable to open",), N_("it cannot be opened (check the folder and its permissions)")),
                          (("disk i/o",), N_("the disk could not be read or written")),
                          (("not a database", "malformed"), N_("it is damaged"))):
        if any(m in text for m in marks):
            return _(reason)
    return str(exc)
SCHEMA_VERSION = 3
# Version 1's tables, as first released; later versions are the migrations below, applied in
# order on open, so a log written by an older version keeps its rows and stays readable.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS asrun (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slot TEXT NOT NULL, channel TEXT NOT NULL, notice TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'normal',
  planned REAL, planned_iso TEXT,
  actual_start REAL, actual_start_iso TEXT,
  actual_end REAL, actual_end_iso TEXT,
  status TEXT NOT NULL CHECK (status IN ('played','late','missed','skipped','failed','interrupted')),
  reason TEXT NOT NULL DEFAULT '',
  file TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '', sink TEXT NOT NULL DEFAULT '',
  cut_by TEXT NOT NULL DEFAULT '',
  replay INTEGER NOT NULL DEFAULT 0,
  onair INTEGER, daemon INTEGER, logged REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS asrun_slot ON asrun(slot);
CREATE INDEX IF NOT EXISTS asrun_planned ON asrun(planned);
CREATE INDEX IF NOT EXISTS asrun_onair ON asrun(onair);
CREATE TRIGGER IF NOT EXISTS asrun_no_update BEFORE UPDATE ON asrun
  BEGIN SELECT RAISE(ABORT, 'the as-run log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS asrun_no_delete BEFORE DELETE ON asrun
  BEGIN SELECT RAISE(ABORT, 'the as-run log is append-only'); END;
CREATE TABLE IF NOT EXISTS onair (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slot TEXT NOT NULL, channel TEXT NOT NULL, notice TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'normal', planned REAL, actual_start REAL NOT NULL,
  file TEXT NOT NULL DEFAULT '', sha256 TEXT NOT NULL DEFAULT '', sink TEXT NOT NULL DEFAULT '',
  tz TEXT NOT NULL, daemon INTEGER
);
CREATE TABLE IF NOT EXISTS daemons (
  id INTEGER PRIMARY KEY AUTOINCREMENT, pid INTEGER NOT NULL, host TEXT NOT NULL,
  started REAL NOT NULL, heartbeat REAL NOT NULL, stopped REAL,
  channels TEXT NOT NULL, schedule TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, channel TEXT NOT NULL,
  file TEXT NOT NULL, notice TEXT NOT NULL, title TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL, mode TEXT NOT NULL, wait REAL NOT NULL DEFAULT 0, daemon INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
  request INTEGER PRIMARY KEY, at REAL NOT NULL, accepted INTEGER NOT NULL, note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, level TEXT NOT NULL,
  channel TEXT NOT NULL DEFAULT '', message TEXT NOT NULL, daemon INTEGER
);
"""

# version -> statements that bring a log from the version before up to it
_MIGRATIONS = {
    2: ("ALTER TABLE asrun ADD COLUMN lat REAL",      # where the truck was as the play started
        "ALTER TABLE asrun ADD COLUMN lon REAL",      # (GPS routes; null on fixed loudspeakers)
        "ALTER TABLE asrun ADD COLUMN speed REAL"),   # metres per second
    # the channel's name as the schedule gave it when the row was written (长乐村大喇叭), so a report of
    # last month still names the channels (null: written before, or with no schedule, e.g. `play` alone)
    3: ("ALTER TABLE asrun ADD COLUMN channel_name TEXT",
        "ALTER TABLE daemons ADD COLUMN names TEXT"),  # JSON channel -> name: `play` and the desk answer with it
}
POSITION_COLUMNS = ("lat", "lon", "speed")

ANSWER_ALREADY = 2     # answers.accepted for "the same emergency is already airing": not played again
HEARTBEAT_STALE = 5.0  # seconds without a heartbeat after which a daemon counts as gone
_SQLITE_HEADER = b"SQLite format 3\x00"


def iso(ts: float | None, tz: ZoneInfo) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Entry:
    """One as-run row: what happened to one play of one slot."""

    slot: str
    channel: str
    notice: str
    status: str
    planned: float | None = None
    actual_start: float | None = None
    actual_end: float | None = None
    reason: str = ""
    title: str = ""
    priority: str = "normal"
    file: str = ""
    sha256: str = ""
    sink: str = ""
    cut_by: str = ""
    replay: bool = False      # True: the slot may still be played again (cut by an urgent play)
    onair: int | None = None  # the onair journal row this closes
    logged: float = field(default=0.0)
    lat: float | None = None    # the truck's position and speed (m/s) as it started, from GPS
    lon: float | None = None
    speed: float | None = None
    channel_name: str = ""      # the schedule's name for the channel ('' when none is known)


@dataclass(frozen=True)
class AsRunReport:
    rows: list[dict]
    totals: list[dict]


@dataclass(frozen=True)
class DaemonInfo:
    id: int
    pid: int
    host: str
    channels: tuple[str, ...]
    heartbeat: float
    schedule: str
    names: dict = field(default_factory=dict)  # channel -> the schedule's name for it

    def name(self, channel: str) -> str:
        """The channel as people know it (长乐村大喇叭), else its id."""
        return self.names.get(channel) or channel


@dataclass(frozen=True)
class Request:
    id: int
    created: float
    channel: str
    file: str
    notice: str
    title: str
    priority: str
    mode: str      # cut | next | wait
    wait: float


class AsRunLog:
    """The database. Writes that fail are kept and retried; nothing here prints.

    `append` never raises: when the disk is full or the file is locked or unwritable it
    keeps the row in memory, remembers the error in `problem`, and `retry()` writes the
    backlog later. The daemon reports `problem` loudly and keeps playing.
    """

    def __init__(self, path: str | Path, timezone: str = TIMEZONE, busy_ms: int = 100) -> None:
        self.path = Path(path)
        self.tz = ZoneInfo(timezone)
        self.busy_ms = busy_ms
        self._db: sqlite3.Connection | None = None
        self.backlog: list[Entry] = []
        self.problem: str = ""
        self.daemon_id: int | None = None  # set by register(); stamped on the rows this process writes

    # ------------------------------------------------------------ connection
    def connect(self) -> sqlite3.Connection:
        """The open database; LogUnavailable when it cannot be opened or set up."""
        if self._db is not None:
            return self._db
        # Two processes creating a brand-new log at once (the daemon and `play`, or the daemon and
        # a report) can meet SQLite's lock while one switches the file to WAL: try again briefly.
        deadline = time.monotonic() + 2.0
        while True:
            try:
                db = self._set_up()
                break
            except sqlite3.OperationalError as exc:
                transient = any(w in str(exc).lower() for w in ("locked", "busy", "disk i/o"))
                if not transient or time.monotonic() > deadline:
                    raise LogUnavailable(_("cannot open the as-run log {path}: {reason}").format(
                        path=self.path, reason=_sqlite_reason(exc))) from None
                time.sleep(0.05)
            except (sqlite3.Error, OSError) as exc:
                raise LogUnavailable(_("cannot open the as-run log {path}: {reason}").format(
                    path=self.path, reason=_sqlite_reason(exc))) from None
        self._db = db
        return db

    def _set_up(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(str(self.path), timeout=self.busy_ms / 1000, isolation_level=None,
                             check_same_thread=False)
        try:
            db.row_factory = sqlite3.Row
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.DatabaseError(_("this disk does not allow the log's write-ahead mode (WAL; got "
                                              "{mode}): put the log on a local disk").format(mode=mode))
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', '1')")
            _migrate(db)
        except BaseException:
            db.close()
            raise
        return db

    def damage(self) -> str:
        """Why the file is not a readable as-run log ("" when it is, or is absent, locked or busy).

        Empty, not SQLite, corrupt or unreadable are damage; a lock held by another program is
        not (that passes), so a busy log is never moved aside.
        """
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(_SQLITE_HEADER))
        except FileNotFoundError:
            return ""
        except PermissionError:
            return _("it cannot be read (permission denied)")
        except OSError:
            return ""  # a folder, a device: connect() says what is wrong
        if not head:
            return _("it is empty (0 bytes)")
        if head != _SQLITE_HEADER:
            return _("it is not an SQLite database")
        db = None
        try:
            db = sqlite3.connect(str(self.path), timeout=self.busy_ms / 1000, isolation_level=None)
            problems = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
        except sqlite3.OperationalError:
            return ""  # locked, busy, read-only: not damage
        except sqlite3.DatabaseError as exc:  # SQLITE_CORRUPT, SQLITE_NOTADB
            return _("it is damaged ({problem})").format(problem=exc)
        finally:
            if db is not None:
                db.close()
        if problems != ["ok"]:
            return _("it is damaged ({problem})").format(problem=problems[0])
        return ""

    def set_aside(self, now: float) -> Path:
        """Rename the log (with its -wal and -shm) to `<name>.damaged-<local time>`; overwrite nothing.

        The -wal goes too: left beside a new database, SQLite would replay its pages into it.
        LogUnavailable when it cannot be renamed.
        """
        self.close()
        stamp = datetime.fromtimestamp(now, self.tz).strftime("%Y%m%dT%H%M%S")
        target, n = self.path.with_name(f"{self.path.name}.damaged-{stamp}"), 1
        while any(Path(f"{target}{s}").exists() for s in ("", "-wal", "-shm")):
            n += 1
            target = self.path.with_name(f"{self.path.name}.damaged-{stamp}-{n}")
        try:
            for suffix in ("-wal", "-shm", ""):  # the database last: while it stays, nothing is lost
                part = Path(f"{self.path}{suffix}")
                if part.exists():
                    os.rename(part, f"{target}{suffix}")
        except OSError as exc:
            raise LogUnavailable(_("cannot move the damaged as-run log {path} aside: {error}").format(
                path=self.path, error=exc.strerror or exc)) from None
        return target

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _write(self, sql: str, params: tuple) -> int:
        db = self.connect()
        try:
            return db.execute(sql, params).lastrowid
        except sqlite3.Error as exc:
            raise LogUnavailable(_("cannot write the as-run log {path}: {reason}").format(
                path=self.path, reason=_sqlite_reason(exc))) from None

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        db = self.connect()
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise LogUnavailable(_("cannot read the as-run log {path}: {reason}").format(
                path=self.path, reason=_sqlite_reason(exc))) from None

    # ------------------------------------------------------------ as-run rows
    def append(self, entry: Entry) -> bool:
        """Log one outcome; False (and kept for retry) when the log cannot be written now."""
        if self.backlog and not self.retry():
            self.backlog.append(entry)
            return False
        try:
            self._insert(entry)
        except LogUnavailable as exc:
            self.backlog.append(entry)
            self.problem = str(exc)
            return False
        self.problem = ""
        return True

    def retry(self) -> bool:
        """Write the backlog in order; True when it is empty afterwards."""
        while self.backlog:
            try:
                self._insert(self.backlog[0])
            except LogUnavailable as exc:
                self.problem = str(exc)
                return False
            self.backlog.pop(0)
        self.problem = ""
        return True

    def _insert(self, e: Entry) -> None:
        self._write(
            "INSERT INTO asrun (slot, channel, notice, title, priority, planned, planned_iso, actual_start,"
            " actual_start_iso, actual_end, actual_end_iso, status, reason, file, sha256, sink, cut_by, replay,"
            " onair, daemon, logged, lat, lon, speed, channel_name)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (e.slot, e.channel, e.notice, e.title, e.priority, e.planned, iso(e.planned, self.tz),
             e.actual_start, iso(e.actual_start, self.tz), e.actual_end, iso(e.actual_end, self.tz),
             e.status, e.reason, e.file, e.sha256, e.sink, e.cut_by, int(e.replay), e.onair, self.daemon_id,
             e.logged or time.time(), e.lat, e.lon, e.speed, e.channel_name or None))

    def journal_start(self, slot: str, channel: str, notice: str, title: str, priority: str,
                      planned: float | None, started: float, file: str, sha256: str, sink: str) -> int | None:
        """Note that a play went on air (so a crash mid-play is known afterwards); None if unwritable."""
        try:
            oid = self._write(
                "INSERT INTO onair (slot, channel, notice, title, priority, planned, actual_start, file, sha256,"
                " sink, tz, daemon) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (slot, channel, notice, title, priority, planned, started, file, sha256, sink, self.tz.key,
                 self.daemon_id))
        except LogUnavailable as exc:
            self.problem = str(exc)
            return None
        return oid

    def slot_states(self) -> dict[str, bool]:
        """slot -> settled. Settled: it has an outcome that forbids playing it again."""
        rows = self._read("SELECT slot, MIN(replay) AS replay FROM asrun GROUP BY slot")
        pending = {e.slot: e.replay for e in self.backlog}
        states = {r["slot"]: not r["replay"] for r in rows}
        for slot, replay in pending.items():
            states[slot] = states.get(slot, False) or not replay
        return states

    def orphans(self, channels: list[str], live: list[int]) -> list[sqlite3.Row]:
        """Plays that started but never got an outcome (their daemon died), on these channels.

        `live` are the ids of daemons still running: their plays are theirs to log.
        """
        marks = ",".join("?" * len(channels))
        rows = self._read(
            f"SELECT o.*, d.heartbeat AS last_seen FROM onair o LEFT JOIN daemons d ON d.id = o.daemon"
            f" WHERE o.channel IN ({marks})"
            f" AND NOT EXISTS (SELECT 1 FROM asrun a WHERE a.onair = o.id) ORDER BY o.id", tuple(channels))
        return [r for r in rows if r["daemon"] not in live]

    def history_start(self, channels: list[str]) -> float | None:
        """When a daemon first started for any of these channels (None: never).

        From then on every planned slot has an outcome here or is still owed one: a slot that
        fell due while an urgent play held the channel, and then the player was killed, has
        no row yet, and the next start must still account for it.
        """
        rows = self._read("SELECT channels, started FROM daemons ORDER BY id")
        starts = [r["started"] for r in rows if set(json.loads(r["channels"])) & set(channels)]
        return min(starts) if starts else None

    def first_starts(self, channels: list[str]) -> dict[str, float]:
        """channel -> when a player first started for it with this log (channels never served: absent).

        A slot planned before that moment was never this player's to air: after a start it is
        not played late (a new village's first start must not replay the last ten minutes).
        """
        out: dict[str, float] = {}
        for r in self._read("SELECT channels, started FROM daemons ORDER BY id"):
            for ch in json.loads(r["channels"]):
                if ch in channels and (ch not in out or r["started"] < out[ch]):
                    out[ch] = r["started"]
        return out

    def aired_since(self, channel: str, priority: str, since: float) -> list[dict]:
        """Plays of this priority on this channel that aired to their end after `since` (rows still
        waiting in the backlog included): what the player checks a repeated emergency against."""
        # a play that ended since then was planned at most a day before it (grace and length are far
        # shorter): the bound lets SQLite use the planned index instead of reading a year of rows
        rows = [dict(r) for r in self._read(
            "SELECT notice, title, sha256, actual_start, actual_end FROM asrun WHERE planned >= ? AND channel = ?"
            " AND priority = ? AND status IN ('played', 'late') AND actual_end >= ?",
            (since - 86400, channel, priority, since))]
        rows.sort(key=lambda r: r["actual_end"])  # (ORDER BY id would make SQLite read the whole table)
        rows += [{"notice": e.notice, "title": e.title, "sha256": e.sha256, "actual_start": e.actual_start,
                  "actual_end": e.actual_end} for e in self.backlog
                 if e.channel == channel and e.priority == priority and e.status in ("played", "late")
                 and e.actual_end is not None and e.actual_end >= since]
        return rows

    def daemon_spans(self, channels: list[str]) -> list[tuple[float, float]]:
        """(started, last heartbeat) of each earlier daemon on any of these channels."""
        rows = self._read("SELECT channels, started, heartbeat FROM daemons ORDER BY id")
        return [(r["started"], r["heartbeat"]) for r in rows if set(json.loads(r["channels"])) & set(channels)]

    def unfinished_requests(self, channels: list[str], live: list[int]) -> list[sqlite3.Row]:
        """Play requests a daemon accepted (its answer is written before `play` sees it) that have
        no outcome, because that daemon died before it played them; not those of live daemons."""
        marks = ",".join("?" * len(channels))
        rows = self._read(
            f"SELECT r.* FROM requests r JOIN answers a ON a.request = r.id AND a.accepted = 1"
            f" WHERE r.channel IN ({marks}) AND NOT EXISTS (SELECT 1 FROM asrun s"
            f" WHERE s.slot = 'request:' || r.daemon || ':' || r.id AND s.replay = 0) ORDER BY r.id",
            tuple(channels))
        return [r for r in rows if r["daemon"] not in live]

    # ------------------------------------------------------------ daemons and requests
    def register(self, channels: list[str], schedule: str, now: float, names: dict | None = None) -> int:
        self.daemon_id = self._write("INSERT INTO daemons (pid, host, started, heartbeat, channels, schedule,"
                                     " names) VALUES (?,?,?,?,?,?,?)",
                                     (os.getpid(), socket.gethostname(), now, now, json.dumps(channels),
                                      schedule, json.dumps(names or {}, ensure_ascii=False)))
        return self.daemon_id

    def rename(self, daemon_id: int, names: dict) -> None:
        """The channels' names after a schedule edit (what `play` and the desk show)."""
        self._write("UPDATE daemons SET names = ? WHERE id = ?", (json.dumps(names, ensure_ascii=False), daemon_id))

    def heartbeat(self, daemon_id: int, now: float) -> None:
        self._write("UPDATE daemons SET heartbeat = ? WHERE id = ?", (now, daemon_id))

    def unregister(self, daemon_id: int, now: float) -> None:
        self._write("UPDATE daemons SET stopped = ?, heartbeat = ? WHERE id = ?", (now, now, daemon_id))

    def live_daemons(self, now: float | None = None) -> list[DaemonInfo]:
        """Daemons that are running now (recent heartbeat, and the process exists on this host)."""
        now = time.time() if now is None else now
        rows = self._read("SELECT * FROM daemons WHERE stopped IS NULL AND heartbeat > ?",
                          (now - HEARTBEAT_STALE,))
        out = []
        for r in rows:
            if r["host"] == socket.gethostname() and not _pid_alive(r["pid"]):
                continue
            out.append(DaemonInfo(r["id"], r["pid"], r["host"], tuple(json.loads(r["channels"])),
                                  r["heartbeat"], r["schedule"], _names(r)))
        return out

    def owners(self) -> dict[str, sqlite3.Row]:
        """channel -> the latest player registered for it (running or not): who `play` should reach."""
        out: dict[str, sqlite3.Row] = {}
        for r in self._read("SELECT * FROM daemons ORDER BY id"):
            for ch in json.loads(r["channels"]):
                out[ch] = r
        return out

    def send(self, channel: str, file: str, notice: str, title: str, priority: str, mode: str,
             wait: float, daemon_id: int, now: float | None = None) -> int:
        return self._write("INSERT INTO requests (created, channel, file, notice, title, priority, mode, wait,"
                           " daemon) VALUES (?,?,?,?,?,?,?,?,?)",
                           (time.time() if now is None else now, channel, file, notice, title, priority,
                            mode, wait, daemon_id))

    def requests(self, daemon_id: int, after: int) -> list[Request]:
        rows = self._read("SELECT r.* FROM requests r WHERE r.daemon = ? AND r.id > ?"
                          " AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.request = r.id) ORDER BY r.id",
                          (daemon_id, after))
        return [Request(r["id"], r["created"], r["channel"], r["file"], r["notice"], r["title"],
                        r["priority"], r["mode"], r["wait"]) for r in rows]

    def answer(self, request_id: int, accepted: bool, note: str, now: float, already: bool = False) -> bool:
        """Claim a request with the daemon's answer; False if it was answered already.

        `already`: not played because the same emergency is airing, waiting or just aired; stored
        as accepted = 2, so it counts as done for the requester and is never owed a play.
        """
        try:
            self._write("INSERT INTO answers (request, at, accepted, note) VALUES (?,?,?,?)",
                        (request_id, now, ANSWER_ALREADY if already else int(accepted), note))
        except LogUnavailable:
            return False
        return True

    def answer_of(self, request_id: int) -> tuple[bool, str] | None:
        rows = self._read("SELECT accepted, note FROM answers WHERE request = ?", (request_id,))
        return (bool(rows[0]["accepted"]), rows[0]["note"]) if rows else None

    def answer_state(self, request_id: int) -> tuple[str, str] | None:
        """('accepted' | 'refused' | 'already', note), or None while the daemon has not answered."""
        rows = self._read("SELECT accepted, note FROM answers WHERE request = ?", (request_id,))
        if not rows:
            return None
        state = {0: "refused", ANSWER_ALREADY: "already"}.get(rows[0]["accepted"], "accepted")
        return state, rows[0]["note"]

    def outcome_of(self, slot: str) -> list[dict]:
        return [dict(r) for r in self._read("SELECT * FROM asrun WHERE slot = ? ORDER BY id", (slot,))]

    def event(self, level: str, channel: str, message: str, now: float) -> None:
        """Note a daemon event (reload errors, sink trouble); ignored when the log is unwritable."""
        try:
            self._write("INSERT INTO events (at, level, channel, message, daemon) VALUES (?,?,?,?,?)",
                        (now, level, channel, message, self.daemon_id))
        except LogUnavailable:
            pass

    def events(self, since: float = 0.0) -> list[dict]:
        return [dict(r) for r in self._read("SELECT * FROM events WHERE at >= ? ORDER BY id", (since,))]

    # ------------------------------------------------------------ reports
    def report(self, start: date | None = None, end: date | None = None,
               channel: str | None = None) -> AsRunReport:
        """Rows between two local dates (inclusive, by planned time or else start), with daily totals.

        A row's `channel_name` is the name the schedule gave its channel when it was written; a row
        written without one (before names were kept, or by `play` with no player) gets the latest name
        the log knows for that channel, else ''."""
        rows = []
        known = {r["channel"]: r["channel_name"] for r in self._read(
            "SELECT channel, channel_name FROM asrun WHERE channel_name IS NOT NULL AND channel_name != ''"
            " ORDER BY id")}  # the last row of each channel wins
        for r in self._read("SELECT * FROM asrun ORDER BY COALESCE(planned, actual_start), id"):
            when = r["planned_iso"] or r["actual_start_iso"] or ""
            day = date.fromisoformat(when[:10]) if when else None
            if day is None or (start and day < start) or (end and day > end):
                continue
            if channel and r["channel"] != channel:
                continue
            rows.append({
                "planned": r["planned_iso"], "actual_start": r["actual_start_iso"],
                "actual_end": r["actual_end_iso"], "channel": r["channel"], "notice": r["notice"],
                "channel_name": r["channel_name"] or known.get(r["channel"], ""),
                "title": r["title"], "priority": r["priority"], "status": r["status"], "reason": r["reason"],
                "sha256": r["sha256"], "file": r["file"], "sink": r["sink"], "slot": r["slot"],
                "day": day.isoformat(),
                **{c: r[c] if c in r.keys() else None for c in POSITION_COLUMNS},
                "seconds": round(r["actual_end"] - r["actual_start"], 3)
                if r["actual_end"] is not None and r["actual_start"] is not None else 0.0,
            })
        return AsRunReport(rows=rows, totals=daily_totals(rows))


def _migrate(db: sqlite3.Connection) -> None:
    """Bring an older log up to SCHEMA_VERSION (adding nullable columns only: old rows stay as they were)."""
    version = int(db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0])
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            for sql in _MIGRATIONS[target]:
                table, column = sql.split()[2], sql.split()[5]  # ALTER TABLE <table> ADD COLUMN <name>
                have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
                if column not in have:  # another process may have added it
                    db.execute(sql)
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(target),))
            db.execute("COMMIT")
        except sqlite3.Error:
            db.execute("ROLLBACK")
            raise


def _names(row: sqlite3.Row) -> dict:
    """A daemons row's channel names ({} for a row written before they were kept, or unreadable)."""
    try:
        names = json.loads(row["names"] or "{}")
    except (IndexError, ValueError):
        return {}
    return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this machine."""
    return _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
