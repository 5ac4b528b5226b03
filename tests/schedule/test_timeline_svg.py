"""The day's timeline (schedule/svg.py) reads on its own: titles at the blocks, never overlapping, a legend,
the day with its weekday, and the current time on today's picture."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from broadcaster.i18n import _, use_language
from broadcaster.schedule.model import Play
from broadcaster.schedule.svg import COLOURS, FONT, PRIORITY_WORDS, text_width, timeline

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2021, 10, 28)  # a Thursday
NS = "{http://www.w3.org/2000/svg}"
QUIET = ((22 * 3600, 6 * 3600),)


def _play(hh: int, mm: int, title: str, channel: str = "village", seconds: int = 90, priority: str = "normal",
          status: str = "planned") -> Play:
    start = datetime(2021, 10, 28, hh, mm, tzinfo=TZ)
    return Play(start, start + timedelta(seconds=seconds), channel, title, f"{title}.mp3", priority, status, "",
                title, f"s{hh}{mm}{channel}")


def _svg(plays, now=None, lang="zh_CN") -> ET.Element:
    use_language(lang)
    try:
        text = timeline(plays, DAY, {"village": "宏福苑大喇叭", "truck": "物资配送车"}, QUIET, TZ, now)
    finally:
        use_language(None)
    return ET.fromstring(text)


def _texts(svg: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in svg.iter(f"{NS}text") if e.get("class") == cls]


def test_each_play_is_labelled_with_its_time_and_title():
    plays = [_play(7, 0, "第八轮全员核酸检测通知", priority="urgent"), _play(12, 0, "停水通知"),
             _play(15, 0, "物资车到达", channel="truck")]
    labels = [e.text for e in _texts(_svg(plays), "title")]
    assert labels == ["07:00 第八轮全员核酸检测通知", "12:00 停水通知", "15:00 物资车到达"]


def test_titles_never_overlap_even_when_plays_crowd_a_lane():
    # every 10 minutes for three hours, and a loop of back-to-back plays on the truck
    plays = [_play(8 + n // 6, n % 6 * 10, f"芙蓉里社区物资配送通知{n}") for n in range(18)]
    loop = datetime(2021, 10, 28, 9, 0, tzinfo=TZ)
    for n in range(40):
        start = loop + timedelta(seconds=100 * n)
        plays.append(Play(start, start + timedelta(seconds=100), "truck", "a", "a.mp3", "normal", "planned", "",
                          "物资车到达" if n % 2 else "黔江防疫三三七", f"loop{n}"))
    svg = _svg(plays)
    boxes = []
    for e in _texts(svg, "title"):
        x, y = float(e.get("x")), float(e.get("y"))
        boxes.append((y, x, x + text_width(e.text, FONT)))
    for i, (y, a, b) in enumerate(boxes):
        for y2, a2, b2 in boxes[:i]:
            assert y != y2 or b <= a2 or b2 <= a, f"overlapping titles at y={y}: {a}-{b} and {a2}-{b2}"
    # every play is under a title: its own, or its group's (time span and count) when the lane is crowded
    spans = []
    for e in _texts(svg, "title"):
        m = re.match(r"(\d\d):(\d\d)(?:-(\d\d):(\d\d))?", e.text)
        a = int(m.group(1)) * 60 + int(m.group(2))
        spans.append((a, int(m.group(3)) * 60 + int(m.group(4)) if m.group(3) else a, float(e.get("y")), e.text))
    for p in plays:
        minute = p.start.hour * 60 + p.start.minute
        assert any(a <= minute <= b for a, b, _y, _t in spans), p
    assert any(re.search(r"共 1\d 次：芙蓉里社区物资配送通知0", t) for *_s, t in spans), spans
    loop_label = [t for *_s, t in spans if "共 40 次" in t]
    assert loop_label and "物资车到达" in loop_label[0] and "黔江防疫三三七" in loop_label[0]


def test_a_legend_names_the_colours_and_marks():
    svg = _svg([_play(7, 0, "通知")])
    items = [g for g in svg.iter(f"{NS}g") if g.get("class") == "legend-item"]
    words = ["".join(t.itertext()) for g in items for t in g.iter(f"{NS}text")]
    use_language("zh_CN")
    try:  # the priorities in the words the rest of broadcaster uses for them
        said = [_(PRIORITY_WORDS[p]) for p in ("emergency", "urgent", "normal", "background")]
    finally:
        use_language(None)
    assert words[:4] == said and all(re.fullmatch(r"[\u4e00-\u9fff]+", w) for w in said), words
    assert "挪后" in words and "静音时段" in words
    assert "现在" in words and any(w.startswith("取消") for w in words)
    fills = [g.find(f"{NS}rect").get("fill") for g in items[:4]]
    assert fills == [COLOURS[p] for p in ("emergency", "urgent", "normal", "background")]
    english = _svg([_play(7, 0, "通知")], lang="en")
    assert "emergency" in ET.tostring(english, encoding="unicode")


def test_the_day_is_named_with_its_weekday_and_today_gets_the_current_time():
    plays = [_play(7, 0, "通知")]
    day = _texts(_svg(plays), "day")[0].text
    assert day == "2021年10月28日 星期四"
    assert _texts(_svg(plays, lang="en"), "day")[0].text == "Thursday, 2021-10-28"
    now = datetime(2021, 10, 28, 16, 12, tzinfo=TZ)
    svg = _svg(plays, now)
    assert _texts(svg, "day")[0].text == "2021年10月28日 星期四（今天）"
    marks = [g for g in svg.iter(f"{NS}g") if g.get("class") == "now"]
    assert len(marks) == 1
    line = marks[0].find(f"{NS}line")
    assert float(line.get("x1")) == 150 + 16 * 60 + 12  # LEFT + minutes since midnight
    assert "现在 16:12" in "".join(marks[0].itertext())
    other_day = _svg(plays, now + timedelta(days=1))
    assert not [g for g in other_day.iter(f"{NS}g") if g.get("class") == "now"]
    assert "今天" not in _texts(other_day, "day")[0].text


def test_the_picture_scales_to_any_width():
    svg = _svg([_play(7, 0, "通知")])
    assert re.fullmatch(r"0 0 \d+ \d+", svg.get("viewBox"))
    assert svg.get("viewBox").split()[2:] == [svg.get("width"), svg.get("height")]
