"""One benchmark result: a measured value against its target; the example texts benches speak."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ASCII_ALNUM = re.compile(r"[0-9A-Za-z]")


@dataclass
class Measure:
    name: str
    value: float
    target: float
    unit: str = "x"          # "x" for ratios, "s" or "ms" for times, "MB" for memory
    higher_is_better: bool = False
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def line(self) -> str:
        cmp = ">=" if self.higher_is_better else "<="
        mark = "ok  " if self.ok else "MISS"
        return f"{mark} {self.name}: {self.value:.3g} {self.unit} (target {cmp} {self.target:g} {self.unit}) {self.detail}"


def notice_texts(root: Path) -> list[str]:
    """Each example notice's spoken sentences (those a voice can read: no digits left), joined."""
    from broadcaster.examine import load_all

    prepared, errors = load_all(sorted((root / "examples" / "notices").glob("*.yaml")))
    assert not errors, errors
    out = []
    for p in prepared:
        text = "".join(s.text for s in p.spoken.values() if not _ASCII_ALNUM.search(s.text))
        if text:
            out.append(text)
    return out
