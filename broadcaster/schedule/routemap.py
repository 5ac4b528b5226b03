"""A GPS route as an SVG map: the stops' circles, and where each notice really played (from the as-run log)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from broadcaster.geo import EARTH_RADIUS_M
from broadcaster.i18n import _
from broadcaster.vocabulary import status_label

WIDTH, HEIGHT, MARGIN = 900, 640, 60
STATUS_COLOURS = {"played": "#2ca02c", "late": "#ff7f0e", "interrupted": "#7f7f7f"}


@dataclass(frozen=True)
class MapStop:
    place: str
    at: str         # clock time, "15:00"
    lat: float
    lon: float
    radius: float
    notice: str     # the stop's notice id in the log (`<id>-stop01` ...)


@dataclass(frozen=True)
class MapRoute:
    title: str
    channels: tuple[str, ...]
    stops: tuple[MapStop, ...]
    filler: str = ""  # the between-stops notice id ('' when none)


def route_map(routes: list[MapRoute], rows: list[dict]) -> str:
    """SVG text: each route's stops (circle to scale, place and time), and the logged plays with a position.

    `rows` are as-run report rows (lat, lon, speed, notice, status, actual_start). A stop notice
    is a filled dot in the stop's colour, a between-stops play a small grey dot.
    """
    stop_ids = {s.notice: s for r in routes for s in r.stops}
    fillers = {r.filler for r in routes if r.filler}
    plays = [r for r in rows if _drawable(r.get("lat"), r.get("lon"))
             and (r["notice"] in stop_ids or r["notice"] in fillers)]
    points = [(s.lat, s.lon, s.radius) for r in routes for s in r.stops] + [(p["lat"], p["lon"], 0.0) for p in plays]
    lat0 = sum(p[0] for p in points) / len(points) if points else 0.0
    lon0 = sum(p[1] for p in points) / len(points) if points else 0.0
    k = math.cos(math.radians(lat0))

    def metres(lat: float, lon: float) -> tuple[float, float]:
        return math.radians(lon - lon0) * k * EARTH_RADIUS_M, math.radians(lat - lat0) * EARTH_RADIUS_M

    xs = [metres(a, b)[0] + s * d for a, b, r in points for s, d in ((1, r), (-1, r))] or [0.0]
    ys = [metres(a, b)[1] + s * d for a, b, r in points for s, d in ((1, r), (-1, r))] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 100.0)
    scale = min(WIDTH, HEIGHT) - 2 * MARGIN
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def px(lat: float, lon: float) -> tuple[float, float]:
        x, y = metres(lat, lon)
        return WIDTH / 2 + (x - cx) / span * scale, HEIGHT / 2 - (y - cy) / span * scale  # north is up

    title = " / ".join(r.title for r in routes) or "—"
    heading = escape(_("Truck route {title}").format(title=title))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
           f'font-size="12">', f'<title>{heading}</title>',
           f'<text x="10" y="20" font-size="16">{heading}</text>']
    bar = 10 ** math.floor(math.log10(span / 4)) if span > 0 else 100
    out.append(f'<line class="scale" x1="10" y1="{HEIGHT - 16}" x2="{10 + bar / span * scale:.1f}" '
               f'y2="{HEIGHT - 16}" stroke="#000" stroke-width="2"/>'
               f'<text x="10" y="{HEIGHT - 22}">{bar:g} m</text>')
    for r in routes:
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (px(s.lat, s.lon) for s in r.stops))
        out.append(f'<polyline class="order" points="{line}" fill="none" stroke="#aaa" stroke-dasharray="4,3"/>')
        for n, s in enumerate(r.stops, 1):
            x, y = px(s.lat, s.lon)
            out.append(f'<circle class="stop" cx="{x:.1f}" cy="{y:.1f}" r="{s.radius / span * scale:.1f}" '
                       f'fill="#1f77b4" fill-opacity="0.12" stroke="#1f77b4"><title>'
                       + escape(_("{place} {time} (radius {radius:g} m)").format(place=s.place, time=s.at,
                                                                              radius=s.radius))
                       + '</title></circle>')
            out.append(f'<text x="{x + 4:.1f}" y="{y - 4:.1f}">{n}. {escape(s.place)} {s.at}</text>')
    for p in plays:
        x, y = px(p["lat"], p["lon"])
        speed = f", {p['speed'] * 3.6:.0f} km/h" if _finite(p.get("speed")) else ""
        tip = escape(f"{(p.get('actual_start') or '')[11:19]} {p.get('title') or p['notice']} "
                     + _("({status}{speed})").format(status=status_label(p["status"]), speed=speed))
        if p["notice"] in stop_ids:
            colour = STATUS_COLOURS.get(p["status"], "#d62728")
            out.append(f'<circle class="play stop-play" cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" '
                       f'stroke="#000"><title>{tip}</title></circle>')
        else:
            out.append(f'<circle class="play fill-play" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#7f7f7f">'
                       f'<title>{tip}</title></circle>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _drawable(lat: object, lon: object) -> bool:
    """A logged position that can be placed on the map (a log from an older player may hold Inf)."""
    return _finite(lat) and _finite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
