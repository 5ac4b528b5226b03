"""Simulated truck drives written as NMEA 0183 ($GPRMC + $GPGGA, real checksums) for gpsfake."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from broadcaster.geo import distance_m, offset

KNOTS = 1 / 0.514444  # knots per m/s


@dataclass(frozen=True)
class Sample:
    lat: float
    lon: float
    speed: float        # m/s
    valid: bool = True  # False: the receiver has no fix (tunnel, antenna unplugged)


def sentence(body: str) -> str:
    """`$body*CS` with the NMEA checksum: XOR of every character between $ and *."""
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return f"${body}*{cs:02X}\r\n"


def _coord(value: float, width: int, hemis: str) -> tuple[str, str]:
    a = abs(value)
    deg = int(a)
    return f"{deg:0{width}d}{(a - deg) * 60:07.4f}", hemis[0] if value >= 0 else hemis[1]


def nmea(samples: list[Sample], start: datetime) -> str:
    """One RMC + GGA pair per sample, one (GPS) second apart."""
    out = []
    for i, s in enumerate(samples):
        t = start.astimezone(timezone.utc) + timedelta(seconds=i)
        hms = t.strftime("%H%M%S") + ".00"
        lat, ns = _coord(s.lat, 2, "NS")
        lon, ew = _coord(s.lon, 3, "EW")
        if s.valid:
            out.append(sentence(f"GPRMC,{hms},A,{lat},{ns},{lon},{ew},{s.speed * KNOTS:.1f},90.0,{t:%d%m%y},,,A"))
            out.append(sentence(f"GPGGA,{hms},{lat},{ns},{lon},{ew},1,08,0.9,300.0,M,-25.0,M,,"))
        else:
            out.append(sentence(f"GPRMC,{hms},V,,,,,,,{t:%d%m%y},,,N"))
            out.append(sentence(f"GPGGA,{hms},,,,,0,00,99.9,,M,,M,,"))
    return "".join(out)


class Drive:
    """Builds a track step by step: each sample is one fix (gpsfake sends them `step` seconds apart)."""

    def __init__(self, lat: float, lon: float) -> None:
        self.lat, self.lon = lat, lon
        self.samples: list[Sample] = []

    def wait(self, fixes: int, jitter: list[tuple[float, float]] | None = None) -> "Drive":
        """Stand still; `jitter` offsets (north m, east m) cycle over the fixes (GPS noise)."""
        for i in range(fixes):
            lat, lon = offset(self.lat, self.lon, *jitter[i % len(jitter)]) if jitter else (self.lat, self.lon)
            self.samples.append(Sample(lat, lon, 0.0))
        return self

    def to(self, lat: float, lon: float, metres_per_fix: float) -> "Drive":
        d = distance_m(self.lat, self.lon, lat, lon)
        n = max(1, math.ceil(d / metres_per_fix))
        for i in range(1, n + 1):
            self.samples.append(Sample(self.lat + (lat - self.lat) * i / n, self.lon + (lon - self.lon) * i / n,
                                       metres_per_fix))
        self.lat, self.lon = lat, lon
        return self

    def outage(self, fixes: int) -> "Drive":
        self.samples.extend(Sample(0.0, 0.0, 0.0, valid=False) for _ in range(fixes))
        return self

    def write(self, path: Path, start: datetime) -> Path:
        path.write_text(nmea(self.samples, start), encoding="ascii")
        return path
