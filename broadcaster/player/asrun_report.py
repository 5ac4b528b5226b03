"""The as-run log as people read it: daily totals, times as `broadcaster log` prints them, and CSV for a
spreadsheet (what `log --csv` and the desk's download write, byte for byte)."""
from __future__ import annotations

from datetime import datetime

from broadcaster.vocabulary import ON_AIR, STATUSES

# a report row's fields, in the order docs/player.md lists them (and `log --csv` writes them)
ROW_FIELDS = ("planned", "actual_start", "actual_end", "channel", "notice", "title", "priority", "status",
              "reason", "sha256", "file", "sink", "slot")
TOTAL_FIELDS = ("day", "channel", *STATUSES, "total", "seconds_on_air")
# a spreadsheet takes a cell starting with one of these as a formula (or strips the blank and then does)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def daily_totals(rows: list[dict]) -> list[dict]:
    """Per day and channel: how many plays ended in each status, and the seconds on air."""
    out: dict[tuple[str, str], dict] = {}
    for r in rows:
        key = (r["day"], r["channel"])
        t = out.setdefault(key, {"day": key[0], "channel": key[1], **{s: 0 for s in STATUSES},
                                 "total": 0, "seconds_on_air": 0.0})
        t[r["status"]] += 1
        t["total"] += 1
        if r["status"] in ON_AIR:
            t["seconds_on_air"] = round(t["seconds_on_air"] + r["seconds"], 3)
    return [out[k] for k in sorted(out)]


def row_times(row: dict) -> tuple[str, str]:
    """A report row's planned and actual start as `broadcaster log` shows them, in the zone they were
    logged in: "2021-10-27 07:00:00" and "07:00:00.123" ('' for a time the row has not)."""
    def local(text: str | None, fmt: str, cut: slice) -> str:
        if not text:
            return ""
        try:
            return datetime.fromisoformat(text).strftime(fmt)[cut]
        except ValueError:  # not written by this log: shown as it is
            return text
    return (local(row.get("planned"), "%Y-%m-%d %H:%M:%S", slice(None)),
            local(row.get("actual_start"), "%H:%M:%S.%f", slice(None, -3)))


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet will show as text: a leading ' where it would start a formula.

    Titles, reasons and file names come from files and error messages anyone may have
    written; `=HYPERLINK(...)` in a title must not become a live link in the report.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(rows: list[dict], columns: tuple[str, ...]) -> str:
    """Rows as CSV for a spreadsheet: Excel's CRLF lines, formula-like cells neutralised (no BOM)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # CR and LF inside a cell are then quoted too
    writer.writerow(columns)
    for r in rows:
        writer.writerow([spreadsheet_safe(r.get(c)) for c in columns])
    return buf.getvalue()


def csv_bytes(rows: list[dict], columns: tuple[str, ...] = ROW_FIELDS) -> bytes:
    """The report as a CSV file's bytes: UTF-8 with a BOM (so Excel on a village PC reads the
    Chinese), CRLF lines, formula-like cells neutralised. `log --csv` and the desk's download both
    write exactly these bytes."""
    return ("\ufeff" + csv_text(rows, columns)).encode("utf-8")
