"""Today's village work (issue 23): the new templates, each with Chinese variable descriptions and
examples, a checked example notice and a rendered one; wording that follows the place and the vaccine."""
from __future__ import annotations

import json
import re

import pytest

from tests.helpers import EXAMPLES, write

from broadcaster.notice import load_notice
from broadcaster.examine import prepare
from broadcaster.script import builtin_templates

HAN = re.compile(r"[\u4e00-\u9fff]")
TWENTY_FOUR = re.compile(r"(?<![一二三四五六七八九十])(?:十[三四五六七八九]|二十[一二三四]?)[点时]")

# template -> its example and the key facts the loudspeaker must say, the village way, at least
# `times` times in one reading of the body (said twice: the official's "再说一遍")
VILLAGE_WORK = {
    "water-outage": ("water-outage.yaml", "十二月十五日早上八点到下午五点", 2),
    "power-outage": ("power-outage.yaml", "十二月十七日早上七点半到晚上六点", 2),
    "fire-winter": ("fire-winter.yaml", "打幺幺九", 2),
    "fire-forest": ("fire-forest.yaml", "不烧纸", 2),
    "flood-evacuation": ("flood-evacuation.yaml", "转移到村小学", 2),
    "straw-burning": ("straw-burning.yaml", "不准烧", 2),
    "insurance-payment": ("insurance-payment.yaml", "每人四百元，十二月三十一日前交完", 2),
    "vaccination": ("vaccination-flu.yaml", "十二月十八日早上八点半到下午四点半", 2),
    "anti-fraud": ("anti-fraud.yaml", "是骗子", 3),
    "conscription": ("conscription.yaml", "二零二七年八月十五日前", 2),
    "migrant-registration": ("migrant-registration.yaml", "二零二七年三月十日前", 2),
    "villagers-meeting": ("villagers-meeting.yaml", "十二月二十日上午九点", 2),
}


def _templates() -> dict:
    return {t.name: t for t in builtin_templates()}


def test_at_least_ten_templates_for_todays_village_work():
    have = _templates()
    assert set(VILLAGE_WORK) <= set(have)
    assert len([name for name in VILLAGE_WORK if name != "vaccination"]) >= 10


@pytest.mark.parametrize("name", sorted(VILLAGE_WORK))
def test_each_template_explains_its_variables_in_chinese_with_an_example(name):
    info = _templates()[name]
    assert HAN.search(info.title) and HAN.search(info.description)
    for var, meaning in {**info.required, **info.optional}.items():
        assert HAN.search(meaning), (name, var)
        assert "如 " in meaning or "如“" in meaning, f"{name}: '{var}' has no example ({meaning})"


def test_the_templates_command_lists_them(run):
    r = run("templates", "--json")
    names = {t["name"] for t in json.loads(r.out)}
    assert set(VILLAGE_WORK) <= names


@pytest.mark.parametrize("name", sorted(VILLAGE_WORK))
def test_each_has_an_example_that_checks_and_says_the_key_facts_twice(run, name):
    example, fact, times = VILLAGE_WORK[name]
    path = EXAMPLES / "notices" / example
    notice = load_notice(path)
    assert notice.template == name
    r = run("check", path)
    assert r.code == 0, r.err
    prepared = prepare(notice)
    body = prepared.transcript()
    one_reading = body.count(fact) // notice.repeat
    assert one_reading >= times, f"{example} says {fact!r} {one_reading} times a reading:\n{body}"
    assert not TWENTY_FOUR.search(body), f"a 24-hour time in {example}: {TWENTY_FOUR.findall(body)}"


# ---------------------------------------------------------------- wording follows the place and the vaccine
def _said(tmp_path, template: str, **variables) -> str:
    lines = "".join(f"  {k}: \"{v}\"\n" for k, v in variables.items())
    notice = write(tmp_path / f"{template}.yaml", f"id: n\ntitle: t\nrepeat: 1\ntemplate: {template}\nvars:\n{lines}")
    return prepare(load_notice(notice)).transcript()


VACCINE = {"date": "12月18日", "time": "8:30-16:30", "place": "卫生室"}


def test_a_flu_notice_never_says_xinguan(tmp_path):
    said = _said(tmp_path, "vaccination", village="长乐村", vaccine="流感疫苗", **VACCINE)
    assert "流感疫苗" in said and "新冠" not in said
    plain = _said(tmp_path, "vaccination", village="长乐村", **VACCINE)
    assert "打疫苗" in plain and "新冠" not in plain  # no vaccine named: the generic word


@pytest.mark.parametrize("village,people,committee,wrong", [
    ("宏福苑社区", "各位居民请注意", "社区居委会", ("村民", "村委会")),
    ("芙蓉里社区西区", "各位居民请注意", "社区居委会", ("村民", "村委会")),
    ("长乐村", "各位村民请注意", "村委会", ("居民", "社区")),
    ("城关镇", "各位居民请注意", "镇政府", ("村民", "村委会")),
    ("东风街道", "各位居民请注意", "街道办事处", ("村民", "村委会")),
])
def test_wording_follows_the_place(tmp_path, village, people, committee, wrong):
    said = _said(tmp_path, "nucleic-test", village=village, date="10月27日", start="8:00", end="11:30", place="广场")
    assert said.startswith(people) and committee in said
    assert not any(w in said.replace(village, "") for w in wrong), said
    meeting = _said(tmp_path, "villagers-meeting", village=village, date="12月20日", time="9:00", place="大院",
                    topics="商量修路")
    assert people.replace("各位", "").replace("请注意", "") + "大会" in meeting


def test_the_lead_line_follows_the_place_too(tmp_path):
    """A free text for a 社区 gets 各位居民请注意 as its lead, not the profile's 各位村民请注意."""
    notice = write(tmp_path / "n.yaml", "id: n\ntitle: t\nrepeat: 1\ntext: 明天停水。\nvars:\n  village: 宏福苑社区\n")
    said = prepare(load_notice(notice)).transcript()
    assert said.startswith("各位居民请注意") and "村民" not in said
    # a template that opens with the greeting is not greeted twice
    said = _said(tmp_path, "water-outage", village="宏福苑社区", date="明天", start="8:00", end="17:00")
    assert said.count("请注意") == 1 and "全社区停水" in said


def test_a_notice_may_name_its_own_committee(tmp_path):
    said = _said(tmp_path, "villagers-meeting", village="长乐村", date="12月20日", time="9:00", place="大院",
                 topics="商量修路", committee="村两委")
    assert "跟村两委说一声" in said


# ---------------------------------------------------------------- rendered with eSpeak
@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every example of today's village work rendered once with the eSpeak engine."""
    from broadcaster.cli import main

    out = tmp_path_factory.mktemp("village") / "out"
    files = [str(EXAMPLES / "notices" / example) for example, _, _ in VILLAGE_WORK.values()]
    assert main(["render", *files, "-o", str(out), "--engine", "espeak"]) == 0
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(VILLAGE_WORK))
def test_the_rendered_example_is_a_whole_notice_said_the_village_way(rendered, name):
    from tests.audiotools import decode, hanzi, probe

    example, fact, times = VILLAGE_WORK[name]
    notice = load_notice(EXAMPLES / "notices" / example)
    mp3, txt = rendered / f"{notice.id}.mp3", rendered / f"{notice.id}.txt"
    said = txt.read_text(encoding="utf-8")
    assert said.count(fact) >= times * notice.repeat
    assert not TWENTY_FOUR.search(said) and not re.search(r"[0-9:]", said)
    seconds = len(decode(mp3)) / 16000
    assert abs(seconds - probe(mp3).duration) < 1.0
    # slow and clear for elderly listeners, but no stalls: 2 to 5 characters a second, pauses and chime included
    per_second = hanzi(said) / seconds
    assert 2.0 <= per_second <= 5.0, f"{example}: {hanzi(said)} characters in {seconds:.1f} s"
    entry = next(e for e in json.loads((rendered / "manifest.json").read_text(encoding="utf-8"))["notices"]
                 if e["id"] == notice.id)
    assert entry["engine"] == "espeak" and abs(entry["duration"] - seconds) < 1.0
