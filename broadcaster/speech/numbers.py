"""Numbers as a loudspeaker says them: cardinals (via cn2an), digit strings, 两 vs 二."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
DIGITS = "零一二三四五六七八九"
_LIANG_START = re.compile(r"^二(?=[百千万亿])")
_LIANG_AFTER = re.compile(r"(?<=[万亿])二(?=[千万])")


@lru_cache(maxsize=1)
def number_data() -> dict:
    return yaml.safe_load((DATA / "numbers.yaml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def measure_words() -> tuple[str, ...]:
    return tuple(sorted(number_data()["measure_words"], key=len, reverse=True))


def digits(value: str, yao: bool = False) -> str:
    """Digit by digit: 2022 -> 二零二二; with yao, 1 is 幺 (phone, room numbers)."""
    table = DIGITS.replace("一", "幺") if yao else DIGITS
    return "".join(table[int(c)] if c.isdigit() else c for c in value)


@lru_cache(maxsize=4096)
def cardinal(value: str) -> str:
    """A number as a quantity: 12 -> 十二, 2.5 -> 二点五, 2000 -> 两千, 0.5 -> 零点五."""
    import cn2an  # a well-kept library for the part every pass needs: integer/decimal reading

    whole, _, frac = value.partition(".")
    whole = whole.lstrip("0") or "0"
    if len(whole) > 12:  # beyond 千亿 nobody reads it as a quantity
        return digits(value.replace(".", "点"))
    spoken = cn2an.an2cn(whole, "low")
    spoken = _LIANG_AFTER.sub("两", _LIANG_START.sub("两", spoken))
    if frac:
        spoken += "点" + digits(frac)
    return spoken


@lru_cache(maxsize=4096)
def ordinal(value: str) -> str:
    """A number that names a position or label: keeps 二 (第二, 二号, 二单元, 十二)."""
    import cn2an

    whole, _, frac = value.partition(".")
    whole = whole.lstrip("0") or "0"
    if len(whole) > 12:
        return digits(value)
    spoken = cn2an.an2cn(whole, "low")
    return spoken + ("点" + digits(frac) if frac else "")


def count(value: str, after: str) -> str:
    """A quantity followed by `after`: a lone 2 before a measure word is 两 (两米, 两天)."""
    if value in ("2", "02") and after.startswith(measure_words()):
        return "两"
    return cardinal(value)
