"""Numbers as a loudspeaker says them: cardinals (via cn2an), digit strings, 两 vs 二."""
from __future__ import annotations

import re
from functools import lru_cache

import yaml

from broadcaster.resources import data_path

DATA = data_path("speech")
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


def group_digits(value: str) -> list[str]:
    """A long digit string cut where listeners expect the pauses, so no digit gets lost.

    Mobile numbers 3-4-4 (138 1234 5678); 7 and 8 digits 3-4 and 4-4; a landline with its area
    code (0851 1234 5678; 010, 02x take 3 digits); an identity number 6-8-4 (region, birth
    date, serial); other long strings in fours. Up to 6 digits stay whole (12345, 110).
    """
    n = len(value)
    if n <= 6:
        return [value]
    if n == 11 and value.startswith("1"):
        return [value[:3], value[3:7], value[7:]]
    if n == 18:
        return [value[:6], value[6:14], value[14:]]
    if value.startswith("0") and 10 <= n <= 12:
        area = 3 if value[1] in "12" else 4
        return [value[:area]] + group_digits(value[area:])
    if n == 7:
        return [value[:3], value[3:]]
    parts = [value[i:i + 4] for i in range(0, n, 4)]
    if len(parts[-1]) == 1:  # never a lone digit at the end: 123456789 -> 1234 56789
        parts[-2:] = [parts[-2] + parts[-1]]
    return parts


_DIGIT_NAMES = "零幺一二三四五六七八九"
_DIGIT_RUN = re.compile(f"[{_DIGIT_NAMES}]{{7,}}")
_DIGIT_VALUE = {"零": "0", "幺": "1", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
                "七": "7", "八": "8", "九": "9"}


def pause_digit_runs(text: str) -> str:
    """Long runs of digits read one by one (phones, ID numbers) get a short pause between groups.

    幺三九幺幺幺幺二二二二 -> 幺三九，幺幺幺幺，二二二二 (3-4-4). Done at the engine stage, not in the
    written-to-spoken text: the transcript keeps the number whole, the voice breathes in it.
    """
    def cut(m: re.Match) -> str:
        run = m.group(0)
        parts, at = [], 0
        for group in group_digits("".join(_DIGIT_VALUE[c] for c in run)):
            parts.append(run[at:at + len(group)])
            at += len(group)
        return "，".join(parts)

    return _DIGIT_RUN.sub(cut, text)


@lru_cache(maxsize=4096)
def cardinal(value: str) -> str:
    """A number as a quantity: 12 -> 十二, 2.5 -> 二点五, 2000 -> 两千, 0.5 -> 零点五."""
    import cn2an  # a well-kept library for the part every pass needs: integer/decimal reading

    whole, _, frac = value.partition(".")
    whole = whole.lstrip("0") or "0"
    if len(whole) > 12:  # beyond 千亿 nobody reads it as a quantity: digits (paused in groups by the engine stage)
        return digits(whole) + ("点" + digits(frac) if frac else "")
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
        return digits(whole) + ("点" + digits(frac) if frac else "")
    spoken = cn2an.an2cn(whole, "low")
    return spoken + ("点" + digits(frac) if frac else "")


def count(value: str, after: str) -> str:
    """A quantity followed by `after`: a lone 2 before a measure word is 两 (两米, 两天)."""
    if value in ("2", "02") and after.startswith(measure_words()):
        return "两"
    return cardinal(value)
