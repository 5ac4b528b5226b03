"""One benchmark result: a measured value against its target."""
from __future__ import annotations

from dataclasses import dataclass


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
