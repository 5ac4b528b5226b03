"""The desk is a form, not a file editor (issue 23), over HTTP: mistakes at their fields in form words, the
file name asked for in our words, the list after a save, placeholders with real examples, the schedule
form's days and times as notices write them with the quiet-hours warning of the planner's own rule, and
choices in plain words."""
from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("starlette")
pytest.importorskip("ruamel.yaml")

from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402
from broadcaster.schedule.load import load_schedule  # noqa: E402
from broadcaster.schedule.when import parse_days  # noqa: E402

from tests.helpers import ROOT  # noqa: E402
from tests.helpers import wait_for_job as _wait  # noqa: E402
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
TEMPLATE = {"template": "nucleic-test", "title": "第九轮核酸检测",
            "vars": {"village": "宏福苑社区", "date": "10月28日", "start": "8:00", "end": "11:30", "place": "北门广场"}}
LOCATION = re.compile(r"\.ya?ml:\d+|draft")  # a file and line, or the draft's name: never in a form's words


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "village")
    return tmp_path / "village"


@pytest.fixture
def client(folder, tmp_path):
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", engine="espeak",
                            log_path=tmp_path / "asrun.sqlite", secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as c:
        c.headers.update(ZH)
        c.headers["X-CSRF-Token"] = re.search(r'name="csrf-token" content="([^"]+)"', c.get("/write").text).group(1)
        yield c


# ---------------------------------------------------------------- write: form words
def test_an_empty_field_is_asked_for_by_its_label_without_file_line_or_yaml_advice(client):
    errors = []
    for change in ({"place": ""}, {"start": "25:00"}):
        errors += client.post("/api/check", json={**TEMPLATE, "vars": {**TEMPLATE["vars"], **change}}).json()["errors"]
    by_field = {e["field"]: e for e in errors}
    assert by_field["vars.place"]["message"] == "请填写检测地点"
    assert "25:00" in by_field["vars.start"]["message"]
    for e in errors:
        assert not LOCATION.search(e["message"]), e
        assert "vars" not in e["message"] and "加上" not in e["message"] and "引号" not in e["message"], e
        assert "`" not in e["message"], e
    # what `broadcaster check` says stays on hand, with its line
    assert re.match(r"notices/draft\.yaml:\d+: ", by_field["vars.place"]["detail"])


def test_a_free_notice_without_text_asks_for_the_text(client):
    errors = client.post("/api/check", json={"name": "tingshui", "title": "停水通知", "text": ""}).json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [("text", "请填写要播的内容")]


def test_an_empty_file_name_is_refused_in_our_words_at_its_field(client, folder):
    before = sorted(p.name for p in (folder / "notices").iterdir())
    got = client.post("/api/save", json={**TEMPLATE, "name": ""})
    assert got.status_code == 422
    assert got.json()["errors"] == [{"field": "name", "message": "请给文件起个名字，比如 停水通知",
                                     "detail": "请给文件起个名字，比如 停水通知"}]
    bad = client.post("/api/save", json={**TEMPLATE, "name": "My Notice"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "name"
    assert sorted(p.name for p in (folder / "notices").iterdir()) == before
    # and the page leaves the name to us: no browser rule (required, pattern) on the field
    html = client.get("/write", params={"template": "nucleic-test"}).text
    name = re.search(r'<input id="f-name"[^>]*>', html).group(0)
    assert "required" not in name and "pattern=" not in name
    assert re.search(r'<form id="notice-form"[^>]*novalidate', html)


def test_a_save_with_mistakes_says_so_and_a_good_save_returns_the_new_list(client, folder):
    refused = client.post("/api/save", json={**TEMPLATE, "name": "hesuan-round9",
                                             "vars": {**TEMPLATE["vars"], "place": ""}})
    assert refused.status_code == 422 and refused.json()["error"] == "没有保存：请看标红的地方。"
    saved = client.post("/api/save", json={**TEMPLATE, "name": "hesuan-round9"})
    assert saved.status_code == 200, saved.text
    files = saved.json()["files"]
    assert {"path": "notices/hesuan-round9.yaml", "title": "第九轮核酸检测"} in files
    # the same list a reload of the page shows
    reloaded = re.findall(r'<li><a href="/write\?file=([^"]+)">', client.get("/write").text)
    assert [f["path"] for f in files] == [unquote(p) for p in reloaded]


def test_placeholders_are_the_templates_own_examples(client):
    html = client.get("/write", params={"template": "nucleic-test"}).text
    assert re.search(r'<input id="var-place"[^>]*placeholder="如 北门广场"', html)
    assert re.search(r'<input id="var-start"[^>]*placeholder="如 8:00"', html)
    assert re.search(r'<input id="f-name"[^>]*placeholder="如 停水通知"', html)
    assert re.search(r'<input id="f-title"[^>]*placeholder="如 核酸检测通知"', html)
    # a variable without an example gets no empty "如"
    assert not re.search(r'placeholder="如 ?"', html)
    free = client.get("/write", params={"free": "1"}).text
    assert re.search(r'<textarea id="f-text"[^>]*placeholder="如 各位村民请注意', free)


# ---------------------------------------------------------------- schedule: days, times, quiet hours
def _today() -> datetime:
    return datetime.now(ZoneInfo("Asia/Shanghai"))


def test_the_schedule_form_reads_days_and_times_as_notices_write_them(client, folder, run):
    rel = "schedules/village.yaml"
    got = client.post("/api/schedule/when", json={"file": rel, "dates": "12月12日（星期六）" if parse_days(
        "12月12日", _today().date()).first.weekday() == 5 else "12月12日", "times": "8点、下午3点半"}).json()
    day = parse_days("12月12日", _today().date()).first
    assert got["errors"] == [] and got["warnings"] == []
    assert got["said"]["dates"].startswith(f"{day.year}年12月12日 星期") and got["said"]["times"] == "08:00、15:30"
    added = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/supplies.yaml", "channel": "village",
                                                   "dates": "12月12日", "times": "8点、下午3点半"})
    assert added.status_code == 200, added.text
    assert added.json()["first"] == day.isoformat()
    rule = load_schedule(folder / rel).programs[-1]
    assert rule.dates == frozenset({day}) and [t.isoformat("minutes") for t in rule.times] == ["08:00", "15:30"]
    text = (folder / rel).read_text(encoding="utf-8")
    assert f'dates: "{day.isoformat()}"' in text
    assert run("check", str(folder / rel)).code == 0


def test_a_span_and_a_list_of_days_become_the_files_forms(client, folder):
    rel = "schedules/village.yaml"
    for dates in ("12月12日到14日", "12月12日、12月14日"):
        got = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/supplies.yaml",
                                                     "channel": "village", "dates": dates, "times": "15:00"})
        assert got.status_code == 200, got.text
    first = parse_days("12月12日", _today().date()).first
    rules = load_schedule(folder / rel).programs
    assert rules[-2].date_range == (first, first + timedelta(days=2))
    assert rules[-1].dates == frozenset({first, first + timedelta(days=2)})


def test_a_time_in_quiet_hours_is_warned_about_at_once_as_the_planner_would_drop_it(client, folder):
    rel = "schedules/village.yaml"  # quiet hours 22:00-06:00 and 12:30-14:30
    for times, warned in (("晚上11点", "23:00"), ("13:00", "13:00"), ("凌晨5点半", "05:30")):
        got = client.post("/api/schedule/when", json={"file": rel, "dates": "明天", "times": times}).json()
        assert [w["field"] for w in got["warnings"]] == ["times"], got
        message = got["warnings"][0]["message"]
        assert message.startswith(f"{warned} 在静音时段（") and "不会播出" in message, message
    for times in ("下午3点", "12:00", "晚上9点"):
        got = client.post("/api/schedule/when", json={"file": rel, "dates": "明天", "times": times}).json()
        assert got["warnings"] == [], (times, got)
    emergency = client.post("/api/schedule/when", json={"file": rel, "dates": "明天", "times": "晚上11点",
                                                        "priority": "emergency"}).json()
    assert emergency["warnings"] == []  # only emergencies play in quiet hours
    # a new schedule has the default quiet hours
    new = client.post("/api/schedule/when", json={"file": "schedules/new.yaml", "dates": "明天",
                                                  "times": "晚上11点"}).json()
    assert "22:00-06:00" in new["warnings"][0]["message"]


@pytest.mark.slow
def test_what_the_form_warns_about_is_what_the_plan_drops(client, folder):
    rel = "schedules/warned.yaml"
    tomorrow = _today().date() + timedelta(days=1)
    added = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/free-text.yaml",
                                                   "channel": "village", "dates": "明天", "times": "晚上11点、9点"})
    assert added.status_code == 200, added.text
    assert [w["message"][:5] for w in added.json()["warnings"]] == ["23:00"]
    job = client.post("/api/plan", json={"file": rel, "from": tomorrow.isoformat()}).json()
    done = _wait(client, job["id"])
    assert done["state"] == "done", done
    svg = client.get(f"/jobs/{job['id']}/{done['result']['days'][0]['svg']}").text
    assert len(re.findall(r'class="play dropped"', svg)) == 1 and len(re.findall(r'class="play planned"', svg)) == 1


def test_schedule_mistakes_are_in_form_words_at_their_fields(client, folder):
    rel = "schedules/village.yaml"
    before = (folder / rel).read_text(encoding="utf-8")
    bad = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/supplies.yaml", "channel": "village",
                                                 "dates": "12月32日", "times": "25点"})
    assert bad.status_code == 422
    errors = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert errors["dates"].startswith("没有“12月32日”这一天")
    assert errors["times"].startswith("“25点”不是") and "下午3点" in errors["times"]
    for message in errors.values():
        assert "引号" not in message and not LOCATION.search(message), message
    empty = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/supplies.yaml",
                                                   "channel": "village", "dates": "", "times": ""})
    assert {e["field"]: e["message"] for e in empty.json()["errors"]} == {"times": "请填写时间"}
    # no days: every day, as a rule without `dates:` in the file
    every = client.post("/api/schedule/when", json={"file": rel, "dates": "", "times": "8点"}).json()
    assert every["errors"] == [] and every["said"]["dates"] == "每天"
    assert (folder / rel).read_text(encoding="utf-8") == before


# ---------------------------------------------------------------- choices in plain words
def test_choices_are_plain_words_and_engine_trouble_is_a_note_beside_the_list(client):
    from html import unescape

    from broadcaster.engines.base import available_engines
    from broadcaster.i18n import use_language

    html = unescape(client.get("/hear").text)
    select = re.search(r'<select id="r-engine".*?</select>', html, re.S).group(0)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select)
    assert options[0] == "自动选择：用这台电脑上最好的"
    use_language("zh_CN")
    try:
        off = [why for _name, ok, why in available_engines() if not ok]
    finally:
        use_language(None)
    assert off  # tests run offline: edge cannot be used
    note = re.search(r'<details class="note" id="r-engines-off">.*?</details>', html, re.S).group(0)
    for why in off:  # the reason is beside the list, on demand, never inside an option
        assert why and why in note and all(why not in o for o in options)
    assert len(re.findall(r"<option[^>]*disabled[^>]*>[^<]*（现在用不了）</option>", select)) == len(off)
    assert all(len(o) <= 30 for o in options), options
    assert re.search(r'<option value="male">男声</option>', html) and re.search(r'<option value="female">女声</option>', html)
    profiles = re.search(r'<select id="r-profile".*?</select>', client.get("/hear").text, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", profiles) == ["大喇叭（平常用这个）", "宣传车喇叭", "TF卡、U盘循环播放器",
                                                         "存档（WAV 原声）"]
    schedule = client.get("/schedule", params={"file": "schedules/village.yaml"}).text
    channels = re.search(r'<select id="a-channel".*?</select>', schedule, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", channels) == ["宏福苑大喇叭", "物资配送车（宣传车）"]
