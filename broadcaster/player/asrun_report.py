"""The as-run log as people read it: daily totals, times as `broadcaster log` prints them, CSV for a
spreadsheet (what `log --csv` and the desk's download write, byte for byte), and the report for the
township (`log --report` and the desk's 下载报表, byte for byte too)."""
from __future__ import annotations

from datetime import datetime

from broadcaster.i18n import N_, _
from broadcaster.vocabulary import ON_AIR, STATUSES, priority_label, status_label

# a report row's fields, in the order docs/player.md lists them (and `log --csv` writes them)
ROW_FIELDS = ("planned", "actual_start", "actual_end", "channel", "notice", "title", "priority", "status",
              "reason", "sha256", "file", "sink", "slot")
TOTAL_FIELDS = ("day", "channel", *STATUSES, "total", "seconds_on_air")
# the report's columns, in the user's language (日期, 时间, 频道, 通知, 结果, 说明 in Chinese)
REPORT_COLUMNS = (N_("date"), N_("time"), N_("channel"), N_("notice"), N_("result"), N_("remarks"))
ASKED_FOR = ("request:", "direct:")  # slots of plays asked for by hand (`play`, the desk's emergency button)
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


def cut_in(row: dict) -> bool:
    """Whether a play broke into the schedule (插播): asked for by hand, or of emergency priority."""
    return row.get("priority") == "emergency" or str(row.get("slot") or "").startswith(ASKED_FOR)


def report_row(row: dict) -> tuple[str, str, str, str, str, str]:
    """One as-run row as the township reads it: the day and time it aired (else was planned), the
    channel's name, the notice's title, the outcome in words, and why, with 插播 marked."""
    when = row.get("actual_start") or row.get("planned") or ""
    try:
        moment = datetime.fromisoformat(when)  # in the zone it was logged in
        day, clock = moment.strftime("%Y-%m-%d"), moment.strftime("%H:%M:%S")
    except ValueError:  # not written by this log: shown as it is
        day, clock = row.get("day") or "", when
    reason = row.get("reason") or ""
    if cut_in(row):
        mark = priority_label(row.get("priority") or "")
        remarks = (_("cut-in ({priority}): {reason}").format(priority=mark, reason=reason) if reason
                   else _("cut-in ({priority})").format(priority=mark))
    else:
        remarks = reason
    return (day, clock, row.get("channel_name") or row.get("channel") or "", row.get("title") or row.get("notice")
            or "", status_label(row.get("status") or ""), remarks)


def report_bytes(rows: list[dict]) -> bytes:
    """The report for the township as a CSV file's bytes: headers in the user's language, one line per
    play, UTF-8 with a BOM, CRLF, formula-like cells neutralised (as `csv_bytes`)."""
    columns = tuple(_(c) for c in REPORT_COLUMNS)
    return csv_bytes([dict(zip(columns, report_row(r))) for r in rows], columns)
