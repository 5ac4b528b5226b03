"""A day's plan as an SVG timeline: one lane per channel, plays coloured by priority, quiet hours shaded."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape

from broadcaster.i18n import N_, _
from broadcaster.schedule.model import Play

COLOURS = {"emergency": "#d62728", "urgent": "#ff7f0e", "normal": "#1f77b4", "background": "#7f7f7f"}
WIDTH, LEFT, LANE, TOP = 1440, 140, 56, 40
STATUS_LABELS = {"planned": N_("on time"), "moved": N_("moved"), "dropped": N_("dropped")}


def timeline(plays: list[Play], day: date, channels: dict, quiet: tuple, tz) -> str:
    """SVG text for `day`: x is time of day (one pixel a minute), a lane per channel."""
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    lanes = list(channels) or sorted({p.channel for p in plays})
    height = TOP + LANE * len(lanes) + 40
    x = lambda t: LEFT + (t - start).total_seconds() / 60  # noqa: E731
    heading = escape(_("Broadcast plan {day}").format(day=day.isoformat()))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 20}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<title>{heading}</title>',
           f'<text x="10" y="20" font-size="16">{heading}</text>']
    quiet_label = escape(_("quiet hours"))
    for a, b in quiet:
        spans = [(a, b)] if a < b else [(a, 86400), (0, b)]
        for s, e in spans:
            out.append(f'<rect class="quiet" x="{LEFT + s / 60:.1f}" y="{TOP}" width="{(e - s) / 60:.1f}" '
                       f'height="{LANE * len(lanes)}" fill="#000" fill-opacity="0.08"><title>{quiet_label}</title></rect>')
    for h in range(25):
        out.append(f'<line x1="{LEFT + h * 60}" y1="{TOP}" x2="{LEFT + h * 60}" y2="{TOP + LANE * len(lanes)}" '
                   f'stroke="#ccc"/><text x="{LEFT + h * 60 - 8}" y="{TOP + LANE * len(lanes) + 16}">{h:02d}</text>')
    for i, ch in enumerate(lanes):
        y = TOP + i * LANE
        name = channels.get(ch, ch) if isinstance(channels, dict) else ch
        out.append(f'<text x="10" y="{y + LANE / 2 + 4}">{escape(str(name))}</text>')
        for p in plays:
            if p.channel != ch or not (start <= p.start < start + timedelta(days=1)):
                continue
            w = max((p.end - p.start).total_seconds() / 60, 1.5)
            style = {"planned": "", "moved": ' stroke="#000" stroke-dasharray="3,2"',
                     "dropped": ' fill-opacity="0.25" stroke="#d62728"'}[p.status]
            said = _("{start}-{end} {title} ({priority}, {status})").format(
                start=f"{p.start:%H:%M:%S}", end=f"{p.end:%H:%M:%S}", title=p.title or p.notice,
                priority=p.priority, status=_(STATUS_LABELS[p.status]) if p.status in STATUS_LABELS else p.status)
            tip = escape(_("{said}: {reason}").format(said=said, reason=p.reason) if p.reason else said)
            out.append(f'<rect class="play {p.status}" x="{x(p.start):.2f}" y="{y + 8}" width="{w:.2f}" '
                       f'height="{LANE - 16}" fill="{COLOURS[p.priority]}"{style}><title>{tip}</title></rect>')
            if p.status == "dropped":
                out.append(f'<text x="{x(p.start):.1f}" y="{y + 6}" fill="#d62728">✕</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
