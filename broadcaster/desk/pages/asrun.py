"""The as-run log page (/report, kept for bookmarks): a day's rows, the same rows as CSV (`log --csv`), and
the report for the township (下载报表: `log --report`)."""
from __future__ import annotations

from datetime import date
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from broadcaster.desk.common import asrun_path, page
from broadcaster.errors import BadInput
from broadcaster.i18n import _
from broadcaster.player.asrun import AsRunLog
from broadcaster.player.asrun_report import csv_bytes, report_bytes, row_times
from broadcaster.player.control import parse_day
from broadcaster.vocabulary import status_label


def _day_rows(request: Request) -> tuple[date, list[dict]]:
    day = parse_day(request.query_params.get("day") or "today", "day")
    path = asrun_path(request)
    if not path.exists():
        return day, []
    return day, AsRunLog(path).report(day, day).rows


async def asrun_page(request: Request) -> Response:
    try:
        day, rows = _day_rows(request)
        error = ""
    except BadInput as exc:
        day, rows, error = date.today(), [], exc.message()
    rows = [{**r, "status_text": status_label(r["status"]),  # the row's class keeps the English value
             **dict(zip(("planned_text", "started_text"), row_times(r)))} for r in rows]
    return page(request, "asrun.html", day=day.isoformat(), rows=rows, error=error)


async def asrun_csv(request: Request) -> Response:
    day, rows = _day_rows(request)  # the same rows and bytes as `broadcaster log --from DAY --to DAY --csv`
    return Response(csv_bytes(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="asrun-{day.isoformat()}.csv"'})


async def asrun_report(request: Request) -> Response:
    day, rows = _day_rows(request)  # the same bytes as `broadcaster log --from DAY --to DAY --report`
    name = _("as-run report {day}.csv").format(day=day.isoformat())
    return Response(report_bytes(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="report-{day.isoformat()}.csv"; '
                               f"filename*=UTF-8''{quote(name)}"})
