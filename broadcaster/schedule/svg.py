"""A day's plan as an SVG timeline: one lane per channel, plays coloured by priority and labelled with their
titles, quiet hours shaded, a legend, the day in words and, on today's picture, the current time."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from broadcaster.i18n import N_, _
from broadcaster.schedule.model import Play
from broadcaster.schedule.when import WEEKDAY_WORDS

COLOURS = {"emergency": "#d62728", "urgent": "#ff7f0e", "normal": "#1f77b4", "background": "#7f7f7f"}
STATUS_LABELS = {"planned": N_("on time"), "moved": N_("moved"), "dropped": N_("dropped")}
PRIORITY_WORDS = {"emergency": N_("emergency"), "urgent": N_("urgent"), "normal": N_("normal"),
                  "background": N_("background")}
NOW_COLOUR = "#c00000"

# Drawn to be read when shrunk to a page or a phone: one SVG unit a minute across the day,
# text of 16 units, each lane a row of titles above its blocks and one below.
WIDTH, LEFT, RIGHT = 1440, 150, 30
FONT = 16
HEAD, LEGEND, TOP = 26, 56, 96        # baselines of the day and the legend; where the first lane starts
LANE, BLOCK_Y, BLOCK_H = 88, 28, 30   # a lane's height; its blocks' top (from the lane's top) and height
LABEL_Y = (BLOCK_Y - 8, BLOCK_Y + BLOCK_H + 19)  # baselines of the two rows of titles in a lane
CLUSTER_GAP = 4.0                     # minutes: plays closer than this are labelled together (a loop)


def text_width(text: str, size: float = FONT) -> float:
    """About how wide `text` is drawn: a Chinese character is square, a Latin one about half as wide."""
    return sum(size if ord(c) > 0x2e80 else size * 0.6 for c in text)


def fit(text: str, room: float, size: float = FONT) -> str:
    """`text` cut with … to fit `room` units ('' when not even one character and … fit)."""
    if text_width(text, size) <= room:
        return text
    out = ""
    for c in text:
        if text_width(out + c + "…", size) > room:
            break
        out += c
    return out + "…" if out else ""


def day_label(day: date, today: date | None = None) -> str:
    """The day as people say it: 2026年12月7日 星期一（今天） in Chinese, 'Monday, 2026-12-07 (today)' in English."""
    label = _("{weekday}, {year}-{month:02}-{day:02}").format(
        weekday=_(WEEKDAY_WORDS[day.weekday()]), year=day.year, month=day.month, day=day.day)
    return _("{day} (today)").format(day=label) if day == today else label


def _clusters(plays: list[Play], x) -> list[list[Play]]:
    """A lane's plays in runs: a play starting within CLUSTER_GAP minutes of the last one's end joins its run."""
    runs: list[list[Play]] = []
    for p in plays:
        if runs and x(p.start) - x(runs[-1][-1].end) < CLUSTER_GAP:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _run_label(run: list[Play]) -> tuple[str, str]:
    """(head, titles): '07:00 ' and the title of one play; '08:00-10:51, 18 plays: ' and the titles of a run."""
    first = f"{run[0].start:%H:%M}"
    if len(run) == 1:
        return f"{first} ", run[0].title or run[0].notice
    titles = list(dict.fromkeys(p.title or p.notice for p in run))
    head = _("{start}-{end}, {n} plays: ").format(start=first, end=f"{run[-1].end:%H:%M}", n=len(run))
    return head, _(", ").join(titles)


def _needs(run: list[Play]) -> float:
    """The least room a run's title may have: its head and two characters of its titles."""
    head, titles = _run_label(run)
    return text_width(head + titles[:2] + "…")


def _groups(runs: list[list[Play]], x, right: float) -> list[list[Play]]:
    """Runs joined until each has the room its title needs (a title may reach to the run after next):
    crowded plays (every 10 minutes) get one title for the lot instead of none each."""
    groups = [list(r) for r in runs]
    i = 0
    while i < len(groups) - 1:
        room = (x(groups[i + 2][0].start) if i + 2 < len(groups) else right) - x(groups[i][0].start) - 6
        if room < _needs(groups[i]):
            groups[i] += groups.pop(i + 1)
        else:
            i += 1
    return groups


def _labels(runs: list[list[Play]], x, right: float) -> list[tuple[float, int, str]]:
    """(x, row, text) for each run's title, in two rows, neighbours never overlapping: a title reaches at
    most to where the run after next starts, so when a run comes, at most one row is still taken."""
    out = []
    ends = [float("-inf"), float("-inf")]
    starts = [x(r[0].start) for r in runs]
    for i, run in enumerate(runs):
        row = 0 if ends[0] <= starts[i] else 1
        full = "".join(_run_label(run))
        at = starts[i]
        if i + 2 >= len(runs) and at + text_width(full) > right:  # late in the day: the title ends at the edge
            at = max(ends[row], right - text_width(full), LEFT)
        room = min(starts[i + 2] if i + 2 < len(runs) else right, right) - at - 6
        text = fit(full, room)
        if text:
            ends[row] = at + text_width(text) + 6
            out.append((at, row, text))
    return out


def _legend(y: float) -> list[str]:
    out = []
    x = 10.0

    def item(swatch: str, words: str) -> None:
        nonlocal x
        out.append(f'<g class="legend-item" transform="translate({x:.0f},{y - 14})">{swatch}'
                   f'<text x="26" y="14">{escape(words)}</text></g>')
        x += 26 + text_width(words) + 22
    for priority in ("emergency", "urgent", "normal", "background"):
        item(f'<rect width="18" height="18" fill="{COLOURS[priority]}"/>', _(PRIORITY_WORDS[priority]))
    item('<rect width="18" height="18" fill="#1f77b4" stroke="#000" stroke-dasharray="3,2"/>', _("moved"))
    item('<rect width="18" height="18" fill="#1f77b4" fill-opacity="0.25" stroke="#d62728"/>'
         '<text x="3" y="15" fill="#d62728">✕</text>', _("dropped: will not play"))
    item('<rect width="18" height="18" fill="#000" fill-opacity="0.08" stroke="#ccc"/>', _("quiet hours"))
    item(f'<rect x="8" width="3" height="18" fill="{NOW_COLOUR}"/>', _("now"))
    return out


def timeline(plays: list[Play], day: date, channels: dict, quiet: tuple, tz, now: datetime | None = None) -> str:
    """SVG text for `day`: x is time of day (one unit a minute), a lane per channel; `now` (a time on
    that day) is drawn as a line, and names the day 'today'."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    lanes = list(channels) or sorted({p.channel for p in plays})
    bottom = TOP + LANE * len(lanes)
    height = bottom + 30
    x = lambda t: LEFT + (t - start).total_seconds() / 60  # noqa: E731
    right = LEFT + WIDTH + RIGHT - 4
    heading = escape(_("Broadcast plan {day}").format(day=day.isoformat()))
    today = now.astimezone(tz).date() if now is not None else None
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + RIGHT}" height="{height}" '
           f'viewBox="0 0 {LEFT + WIDTH + RIGHT} {height}" font-family="sans-serif" font-size="{FONT}">',
           f'<title>{heading}</title>',
           f'<text class="day" x="10" y="{HEAD}" font-size="{FONT + 4}" font-weight="bold">'
           f'{escape(day_label(day, today))}</text>']
    out += _legend(LEGEND)
    quiet_label = escape(_("quiet hours"))
    for a, b in quiet:
        spans = [(a, b)] if a < b else [(a, 86400), (0, b)]
        for s, e in spans:
            out.append(f'<rect class="quiet" x="{LEFT + s / 60:.1f}" y="{TOP}" width="{(e - s) / 60:.1f}" '
                       f'height="{LANE * len(lanes)}" fill="#000" fill-opacity="0.08"><title>{quiet_label}</title></rect>')
    for h in range(25):
        out.append(f'<line x1="{LEFT + h * 60}" y1="{TOP}" x2="{LEFT + h * 60}" y2="{bottom}" stroke="#ccc"/>')
        if h % 2 == 0:  # every other hour: the numbers stay apart when the day is shrunk to a phone
            out.append(f'<text x="{LEFT + h * 60}" y="{bottom + 20}" text-anchor="middle">{h:02d}</text>')
    for i, ch in enumerate(lanes):
        y = TOP + i * LANE
        name = str(channels.get(ch, ch) if isinstance(channels, dict) else ch)
        out.append(f'<line x1="10" y1="{y + LANE}" x2="{right}" y2="{y + LANE}" stroke="#eee"/>')
        out.append(f'<text class="channel" x="10" y="{y + BLOCK_Y + BLOCK_H / 2 + 6}"><title>{escape(name)}</title>'
                   f'{escape(fit(name, LEFT - 16))}</text>')
        mine = [p for p in plays if p.channel == ch and start <= p.start < start + timedelta(days=1)]
        for p in mine:
            w = max((p.end - p.start).total_seconds() / 60, 1.5)
            style = {"planned": "", "moved": ' stroke="#000" stroke-dasharray="3,2"',
                     "dropped": ' fill-opacity="0.25" stroke="#d62728"'}[p.status]
            said = _("{start}-{end} {title} ({priority}, {status})").format(
                start=f"{p.start:%H:%M:%S}", end=f"{p.end:%H:%M:%S}", title=p.title or p.notice,
                priority=p.priority, status=_(STATUS_LABELS[p.status]) if p.status in STATUS_LABELS else p.status)
            tip = escape(_("{said}: {reason}").format(said=said, reason=p.reason) if p.reason else said)
            out.append(f'<rect class="play {p.status}" x="{x(p.start):.2f}" y="{y + BLOCK_Y}" width="{w:.2f}" '
                       f'height="{BLOCK_H}" fill="{COLOURS[p.priority]}"{style}><title>{tip}</title></rect>')
            if p.status == "dropped":
                out.append(f'<text x="{x(p.start) - 5:.1f}" y="{y + BLOCK_Y + BLOCK_H / 2 + 6}" '
                           f'fill="#d62728">✕</text>')
        for lx, row, text in _labels(_groups(_clusters(mine, x), x, right), x, right):
            out.append(f'<text class="title" x="{lx:.1f}" y="{y + LABEL_Y[row]}">{escape(text)}</text>')
    if today == day:
        nx = x(now.astimezone(tz))
        said = _("now {time}").format(time=f"{now.astimezone(tz):%H:%M}")
        out.append(f'<g class="now"><line x1="{nx:.1f}" y1="{TOP - 8}" x2="{nx:.1f}" y2="{bottom}" '
                   f'stroke="{NOW_COLOUR}" stroke-width="3"/>'
                   f'<text x="{nx + 4:.1f}" y="{TOP - 8}" fill="{NOW_COLOUR}" font-weight="bold">'
                   f'{escape(said)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
