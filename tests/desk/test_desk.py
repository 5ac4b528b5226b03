"""The web desk over HTTP: the same checks as the CLI, atomic YAML writes, background jobs, and its guards
(CSRF, paths inside the folder, LAN only with a password, conflicting saves, upload size).

Over 600 lines: its sections (write, guards, language, the other pages, a real server) share one client
on a copy of examples/ and its helpers; the next page's tests are the moment to split it by section."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.guards import require_desk

require_desk()

from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402
from broadcaster.errors import BadInput  # noqa: E402
from broadcaster.notice import load_notice  # noqa: E402
from tests.helpers import ROOT  # noqa: E402
from tests.helpers import free_port as _free_port  # noqa: E402
from tests.helpers import wait_for_job as _wait  # noqa: E402

NUCLEIC = {"template": "nucleic-test", "name": "hesuan-round9", "title": "第九轮核酸检测",
           "vars": {"village": "宏福苑社区", "date": "10月28日", "start": "25:00", "end": "11:30", "place": "北门广场"}}


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "village")
    return tmp_path / "village"


def _client(folder: Path, tmp_path: Path, **extra) -> TestClient:
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", engine="espeak",
                            log_path=tmp_path / "asrun.sqlite", secret="s" * 40, **{"testing": True, **extra})
    return TestClient(create_app(settings))


@pytest.fixture
def client(folder, tmp_path):
    with _client(folder, tmp_path) as c:
        c.headers["X-CSRF-Token"] = _token(c)
        yield c


def _token(c: TestClient, page: str = "/write") -> str:
    html = c.get(page).text
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


# ---------------------------------------------------------------- write: check and save
def test_check_places_the_loaders_mistake_at_its_field_and_shows_the_spoken_text(client):
    bad = client.post("/api/check", json=NUCLEIC).json()
    assert [e["field"] for e in bad["errors"]] == ["vars.start"]
    assert "'25:00'" in bad["errors"][0]["message"] and bad["spoken"] == ""
    missing = client.post("/api/check", json={**NUCLEIC, "vars": {**NUCLEIC["vars"], "place": ""}}).json()
    assert any(e["field"] == "vars.place" and e["message"] == "Fill in 检测地点" and "place" in e["detail"]
               for e in missing["errors"])
    good = client.post("/api/check", json={**NUCLEIC, "vars": {**NUCLEIC["vars"], "start": "8:00"}}).json()
    assert good["errors"] == []
    assert "八点到十一点半在北门广场" in good["spoken"]  # normalize's reading, as `broadcaster normalize` gives it


def test_save_writes_the_checked_yaml_which_the_cli_loads(client, folder, run):
    form = {**NUCLEIC, "vars": {**NUCLEIC["vars"], "start": "8:00"}}
    refused = client.post("/api/save", json=NUCLEIC)
    assert refused.status_code == 422 and not (folder / "notices" / "hesuan-round9.yaml").exists()
    saved = client.post("/api/save", json=form)
    assert saved.status_code == 200, saved.text
    path = folder / "notices" / "hesuan-round9.yaml"
    assert saved.json()["file"] == "notices/hesuan-round9.yaml"
    notice = load_notice(path)
    assert notice.vars["start"] == "8:00" and notice.template == "nucleic-test"
    assert run("check", str(path)).code == 0
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_editing_a_file_keeps_its_comments_and_other_fields(client, folder):
    path = folder / "notices" / "hesuan-round8.yaml"
    path.write_text("# 第八轮，村委会写的\n" + path.read_text(encoding="utf-8").replace(
        "place: 北门广场", "place: 北门广场   # 下雨改到礼堂"), encoding="utf-8")
    page = client.get("/write", params={"file": "notices/hesuan-round8.yaml"}).text
    digest = re.search(r'data-digest="([0-9a-f]+)"', page).group(1)
    got = client.post("/api/save", json={"file": "notices/hesuan-round8.yaml", "digest": digest,
                                         "template": "nucleic-test", "title": "第八轮全员核酸检测通知",
                                         "vars": {"place": "礼堂"}})
    assert got.status_code == 200, got.text
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 第八轮，村委会写的\n")
    assert re.search(r"\n  place: 礼堂 +# 下雨改到礼堂\n", text)
    notice = load_notice(path)
    assert notice.vars["bring"] == "身份证和手机" and notice.id == "hesuan-round8" and notice.voice == "mandarin"


def test_a_conflicting_save_gets_409_and_keeps_the_other_change(client, folder):
    rel = "notices/hesuan-round8.yaml"
    path = folder / rel
    digest = re.search(r'data-digest="([0-9a-f]+)"', client.get("/write", params={"file": rel}).text).group(1)
    path.write_text(path.read_text(encoding="utf-8").replace("北门广场", "南门广场"), encoding="utf-8")
    got = client.post("/api/save", json={"file": rel, "digest": digest, "template": "nucleic-test",
                                         "vars": {"place": "东门"}})
    assert got.status_code == 409
    assert "changed" in got.json()["error"]
    assert "南门广场" in path.read_text(encoding="utf-8")
    again = client.post("/api/save", json={**NUCLEIC, "vars": {**NUCLEIC["vars"], "start": "8:00"},
                                           "name": "hesuan-round8"})
    assert again.status_code == 409  # a new notice never overwrites an existing file


def _digest(c: TestClient, rel: str) -> str:
    return re.search(r'data-digest="([0-9a-f]*)"', c.get("/write", params={"file": rel}).text).group(1)


BROKEN = """\
# 停水通知：村委会手写，勿删
title: 停水通知
text: "明天上午八点到十二点停水，请提前储水。
priority: urgent
voice: mandarin
repeat: 3
"""


def test_a_file_the_desk_cannot_read_is_refused_never_overwritten(client, folder):
    rel = "notices/water.yaml"
    (folder / rel).write_text(BROKEN, encoding="utf-8")
    before = (folder / rel).read_bytes()
    form = {"file": rel, "digest": _digest(client, rel), "title": "停水通知", "text": "明天上午停水。"}
    for api in ("/api/save", "/api/check"):
        got = client.post(api, json=form)
        assert got.status_code == 422, (api, got.text)
        # the loader's own line, as `broadcaster check` prints it, with the path inside the folder
        assert got.json()["error"].startswith("notices/water.yaml:3: "), got.json()
        assert (folder / rel).read_bytes() == before
    # a schedule likewise: adding a program never replaces a broken schedule with a new one
    schedule = folder / "schedules" / "village.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace("channel: village\n", "channel: 'village\n", 1),
                        encoding="utf-8")
    before = schedule.read_bytes()
    got = client.post("/api/schedule/add", json={"file": "schedules/village.yaml", "notice": "notices/supplies.yaml",
                                                 "channel": "village", "dates": "2021-10-30", "times": "07:30"})
    assert got.status_code == 422 and got.json()["error"].startswith("schedules/village.yaml:"), got.text
    assert schedule.read_bytes() == before


def test_a_gbk_notice_is_checked_and_saved_in_gbk(client, folder, run):
    rel = "notices/gbk.yaml"
    (folder / rel).write_bytes("# 村委会\ntitle: 停水通知\ntext: 明天上午停水。\nrepeat: 3\n".encode("gbk"))
    checked = client.post("/api/check", json={"file": rel, "title": "停水通知", "text": "明天上午八点停水。"})
    assert checked.status_code == 200 and checked.json()["errors"] == [], checked.text
    saved = client.post("/api/save", json={"file": rel, "digest": _digest(client, rel), "title": "停水通知",
                                           "text": "明天上午八点停水。"})
    assert saved.status_code == 200, saved.text
    data = (folder / rel).read_bytes()
    assert data.decode("gbk").startswith("# 村委会\ntitle: 停水通知\ntext: 明天上午八点停水。\n")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # still GBK: the editor it came from still reads it
    assert load_notice(folder / rel).repeat == 3 and run("check", str(folder / rel)).code == 0
    # the digest returned is the one of the bytes written: a second save from the same page is no conflict
    again = client.post("/api/save", json={"file": rel, "digest": saved.json()["digest"], "title": "停水通知",
                                           "text": "明天上午九点停水。"})
    assert again.status_code == 200, again.text
    assert "九点" in (folder / rel).read_bytes().decode("gbk")


def test_a_chinese_browser_gets_each_mistake_at_its_field(client, folder):
    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    rel = "notices/round9.yaml"
    head = "title: 第九轮核酸检测\ntemplate: nucleic-test\n"
    (folder / rel).write_text(head + 'vars: {village: 宏福苑社区, date: 10月28日, start: "8:00", end: "11:30", '
                              "place: 北门广场}\n", encoding="utf-8")
    form = {"file": rel, "title": "第九轮核酸检测", "template": "nucleic-test",
            "vars": {"village": "宏福苑社区", "date": "10月28日", "start": "8:00", "end": "11:70", "place": "北门广场"}}
    bad_time = client.post("/api/check", json=form).json()["errors"]
    assert [e["field"] for e in bad_time] == ["vars.end"], bad_time  # all the vars are on one line
    assert "“11:70”" in bad_time[0]["message"]
    # a misspelt variable name in the file: the mistake is shown at the variable the template needs
    (folder / rel).write_text(head + "vars:\n  village: 宏福苑社区\n  date: 10月28日\n  start: \"8:00\"\n"
                              "  end: \"11:30\"\n  plac: 北门广场\n", encoding="utf-8")
    typo = {**form, "vars": {**form["vars"], "end": "11:30", "place": ""}}
    for lang in ("zh-CN", "en"):
        errors = client.post("/api/check", json=typo, headers={"Accept-Language": lang}).json()["errors"]
        assert [e["field"] for e in errors] == ["vars.place"], (lang, errors)
        assert "plac" in errors[0]["detail"] and ":8: " in errors[0]["detail"]
    assert client.post("/api/check", json=typo).json()["errors"][0]["message"] == "请填写检测地点"
    assert "缺少变量“place”" in client.post("/api/check", json=typo).json()["errors"][0]["detail"]


def test_the_desk_refuses_a_schedule_whose_sink_runs_a_program_as_check_does(client, folder, run):
    path = folder / "schedules" / "village.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "village: {name: 宏福苑大喇叭, kind: loudspeaker, sink: auto}",
        "village: {name: 宏福苑大喇叭, kind: loudspeaker, sink: [command, aplay, \"{file}\"]}"), encoding="utf-8")
    before = path.read_bytes()
    cli = run("check", str(path))
    assert cli.code == 2 and "cannot run a program" in cli.err
    got = client.post("/api/schedule/add", json={"file": "schedules/village.yaml", "notice": "notices/supplies.yaml",
                                                 "channel": "village", "dates": "2021-10-30", "times": "07:30"})
    assert got.status_code == 422 and "cannot run a program" in got.json()["error"], got.text
    line = cli.err.strip().splitlines()[0]
    assert got.json()["errors"][0]["detail"] == line.replace(str(folder) + "/", "")  # the very line `check` prints
    assert path.read_bytes() == before


def test_choices_and_job_failures_are_whole_messages_in_the_browsers_language(client, tmp_path):
    from tests.zhtext import _help_prose as _prose

    from broadcaster.desk.jobs import Jobs
    from broadcaster.i18n import use_language

    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
    for got in (client.post("/api/render", json={"file": "notices/supplies.yaml", "engine": "robot"}),
                client.post("/api/render", json={"file": "notices/supplies.yaml", "voice": "robot"}),
                client.post("/api/schedule/add", json={"notice": "notices/supplies.yaml", "priority": "asap"})):
        message = got.json()["error"]
        assert got.status_code == 400 and re.search(r"[\u4e00-\u9fff]", message), message
        assert not re.search(r"\b(engine|voice|priority)\b", message), message  # no English word glued in
    assert "不认识的引擎“robot”" in client.post("/api/render", json={"file": "notices/supplies.yaml",
                                                                  "engine": "robot"}).json()["error"]
    # a job that fails for a reason of ours: plain words in the page's language, no Python names
    use_language("zh_CN")
    try:
        jobs = Jobs(tmp_path / "jobs-bug")
        job = jobs.submit("render", lambda folder, progress: {}["no-such-key"])
        deadline = time.monotonic() + 30
        while jobs.get(job.id).state == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        failed = jobs.get(job.id)
        jobs.shutdown()
    finally:
        use_language(None)
    assert failed.state == "failed" and "KeyError" not in failed.message and "no-such-key" not in failed.message
    assert re.search(r"[\u4e00-\u9fff]", failed.message) and not _prose(failed.message), failed.message


def test_the_jingle_page_says_a_notice_is_no_jingle_in_the_browsers_language(client):
    html = client.get("/jingles", params={"file": "notices/supplies.yaml"},
                      headers={"Accept-Language": "zh-CN"}).text
    assert "这个文件是通知，不是顺口溜" in html and "not a jingle" not in html


def test_the_test_client_host_name_is_refused_unless_the_app_is_made_for_tests(folder, tmp_path):
    with _client(folder, tmp_path, testing=False) as c:  # TestClient sends Host: testserver
        assert c.get("/write").status_code == 400
        assert c.get("/write", headers={"Host": "127.0.0.1"}).status_code == 200


# ---------------------------------------------------------------- guards
def test_a_change_without_the_csrf_token_is_refused(folder, tmp_path):
    with _client(folder, tmp_path) as c:
        c.get("/write")
        form = {**NUCLEIC, "vars": {**NUCLEIC["vars"], "start": "8:00"}}
        assert c.post("/api/save", json=form).status_code == 403
        assert c.post("/api/save", json=form, headers={"X-CSRF-Token": "forged"}).status_code == 403
        assert c.post("/api/schedule/add", json={"notice": "notices/supplies.yaml"}).status_code == 403
        assert c.post("/api/render", json={"file": "notices/supplies.yaml"}).status_code == 403
    assert not (folder / "notices" / "hesuan-round9.yaml").exists()


def test_paths_outside_the_folder_are_refused(client, folder, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("title: x\ntext: 不该被改\n", encoding="utf-8")
    (folder / "notices" / "link.yaml").symlink_to(outside)
    for name in ("../elsewhere.yaml", str(outside), "notices/../../elsewhere.yaml", "notices/link.yaml"):
        got = client.post("/api/save", json={"file": name, "digest": "", "text": "改了"})
        assert got.status_code == 403, (name, got.text)
        assert client.get("/write", params={"file": name}).status_code == 403
        assert client.post("/api/render", json={"file": name}).status_code == 403
    assert client.post("/api/save", json={"file": "notices/x.sh", "text": "t"}).status_code == 400
    assert client.get("/jobs/0123456789abcdef/..%2F..%2Fetc%2Fpasswd").status_code in (403, 404)
    assert outside.read_text(encoding="utf-8") == "title: x\ntext: 不该被改\n"


def test_overlong_names_and_deeply_nested_forms_get_400_with_a_message(folder, tmp_path):
    long_zh = "notices/" + "第九轮全员核酸检测通知" * 8 + "宏福苑社区.yaml"  # 93 characters, 279 bytes
    assert len(long_zh.split("/")[1].encode()) > 255
    with _client(folder, tmp_path) as c:
        c.headers["X-CSRF-Token"] = _token(c)
        for name in (long_zh, "notices/" + "a" * 300 + ".yaml", "a/" * 2100 + "x.yaml"):
            for got in (c.get("/write", params={"file": name}), c.get("/schedule", params={"file": name}),
                        c.get("/jingles", params={"file": name}),
                        c.post("/api/render", json={"file": name}), c.post("/api/emergency", json={"file": name}),
                        c.post("/api/save", json={"file": name, "digest": "", "title": "长", "text": "测试"}),
                        c.post("/api/check", json={"file": name, "title": "长", "text": "测试"}),
                        c.post("/api/schedule/add", json={"notice": name})):
                assert got.status_code == 400 and "too long" in got.text, (name[:20], got.request.url, got.text)
        zh = c.post("/api/render", json={"file": long_zh}, headers={"Accept-Language": "zh-CN"}).json()["error"]
        assert "太长" in zh
        for deep in ("[" * 100_000 + "]" * 100_000, '{"a":' * 30_000 + "1" + "}" * 30_000,
                     '{"file": ' + "[" * 5000 + "]" * 5000 + "}"):
            for api in ("/api/check", "/api/save", "/api/render", "/api/schedule/add", "/api/compose"):
                got = c.post(api, content=deep.encode(), headers={"Content-Type": "application/json"})
                assert got.status_code == 400 and got.json()["error"], (api, got.text[:200])
        got = c.post("/api/save", content=b'{"file": "\\ud800.yaml", "text": "x"}',
                     headers={"Content-Type": "application/json"})
        assert got.status_code == 400 and got.json()["error"], got.text
    assert not [p for p in folder.rglob("*") if len(p.name.encode()) > 200]


def test_a_new_file_from_the_browser_follows_the_name_rule(client, folder):
    form = {"digest": "", "title": "停水", "text": "明天停水。"}
    for name in ("new/deep/dir/ok.yaml", "Ünïcode dir/ok.yaml", "notices/Water-Cut.yaml", "notices/water cut.yaml",
                 "notices/water.YAML", "notices/water.yml", ".hidden/ok.yaml", "out/ok.yaml"):
        got = client.post("/api/save", json={**form, "file": name})
        assert got.status_code == 400 and got.json()["error"], (name, got.text)
        assert not (folder / name).exists() and not (folder / name.split("/")[0]).is_dir() or name.startswith(
            "notices/"), name
    assert "a-z, 0-9" in client.post("/api/save", json={**form, "file": "notices/Water-Cut.yaml"}).json()["error"]
    assert "notices/" in client.post("/api/save", json={**form, "file": "new/ok.yaml"}).json()["error"]
    for name in ("x/y/sched.yaml", "schedules/Week 2.yaml"):
        got = client.post("/api/schedule/add", json={"file": name, "notice": "notices/supplies.yaml",
                                                     "channel": "village", "dates": "2030-01-01", "times": "08:00"})
        assert got.status_code == 400, (name, got.text)
    assert not (folder / "x").exists() and not (folder / "schedules" / "Week 2.yaml").exists()
    # what the rule allows still works: a new file in a folder the desk lists, and every existing file
    saved = client.post("/api/save", json={**form, "file": "notices/water-cut.yaml"})
    assert saved.status_code == 200 and (folder / "notices" / "water-cut.yaml").is_file(), saved.text
    (folder / "notices" / "Old Name.yaml").write_text("id: old-name\ntitle: 旧\ntext: 旧的通知。\n", encoding="utf-8")
    edited = client.post("/api/save", json={**form, "file": "notices/Old Name.yaml",
                                            "digest": _digest(client, "notices/Old Name.yaml")})
    assert edited.status_code == 200, edited.text
    added = client.post("/api/schedule/add", json={"file": "schedules/week-2.yaml", "notice": "notices/water-cut.yaml",
                                                   "channel": "village", "dates": "2030-01-01", "times": "08:00"})
    assert added.status_code == 200 and (folder / "schedules" / "week-2.yaml").is_file(), added.text


def test_job_answers_show_paths_relative_to_the_desks_folder(client, folder, tmp_path):
    (folder / "notices" / "half.yaml").write_text("title: 核酸\ntemplate: nucleic-test\nvars: {village: 宏福苑}\n",
                                                  encoding="utf-8")
    job = client.post("/api/render", json={"file": "notices/half.yaml", "engine": "espeak"}).json()
    _wait(client, job["id"])
    answer = client.get(f"/api/jobs/{job['id']}")
    failed = answer.json()
    assert failed["state"] == "failed" and failed["message"].startswith("notices/half.yaml:3: "), failed
    assert len(failed["errors"]) > 1 and all(e.startswith("notices/half.yaml:3: ") for e in failed["errors"])
    assert str(tmp_path) not in answer.text and str(folder.resolve()) not in answer.text


def test_uploads_over_the_limit_are_refused(client):
    big = b"village_id,village\n" + b"a" * (1 << 20)
    got = client.post("/api/batch", files={"villages": ("v.csv", big, "text/csv")},
                      data={"notice": "notices/hesuan-round8.yaml", "csrf_token": client.headers["X-CSRF-Token"]})
    assert got.status_code == 413


def test_lan_mode_without_a_password_refuses_to_start(run, folder):
    got = run("serve", str(folder), "--host", "0.0.0.0", "--port", "1")
    assert got.code == 2
    lines = got.err.strip().splitlines()
    assert len(lines) == 1 and "password" in lines[0] and "--set-password" in lines[0]


@pytest.mark.slow
def test_lan_mode_needs_a_login(folder, tmp_path):
    from broadcaster.desk import security

    stored = security.hash_password("gengdi-2021")
    with _client(folder, tmp_path, password_hash=stored) as c:
        assert c.get("/write", follow_redirects=False).headers["location"] == "/login"
        assert c.post("/api/check", json=NUCLEIC).status_code == 401
        token = _token(c, "/login")
        c.post("/login", data={"password": "wrong-one", "csrf_token": token})
        assert c.get("/write", follow_redirects=False).status_code == 303
        c.post("/login", data={"password": "gengdi-2021", "csrf_token": token})
        assert c.get("/write", follow_redirects=False).status_code == 200


def _log_in(c: TestClient, password: str) -> int:
    """Post the login form; the status (303 when it let us in)."""
    token = _token(c, "/login")
    return c.post("/login", data={"password": password, "csrf_token": token}, follow_redirects=False).status_code


def _in(c: TestClient) -> bool:
    return c.get("/write", follow_redirects=False).status_code == 200


def test_logout_ends_the_session_on_the_server(folder, tmp_path):
    from broadcaster.desk import security

    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", log_path=tmp_path / "asrun.sqlite",
                            secret="s" * 40, testing=True, password_hash=security.hash_password("gengdi-2021"))
    app = create_app(settings)
    with TestClient(app) as c:
        assert _log_in(c, "gengdi-2021") == 303 and _in(c)
        kept = c.cookies.get("broadcaster_desk")  # what a thief (or a shared PC's browser) keeps
        token = _token(c)
        assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert not _in(c)
    with TestClient(app, cookies={"broadcaster_desk": kept}) as replay:
        assert replay.get("/write", follow_redirects=False).headers["location"] == "/login"
        assert replay.post("/api/check", json=NUCLEIC, headers={"X-CSRF-Token": token}).status_code == 401


@pytest.mark.slow
def test_a_new_password_ends_every_earlier_session(folder, tmp_path):
    from broadcaster.desk import security

    config = tmp_path / "config"
    config.mkdir()
    security.set_password("gengdi-2021", config)
    base = dict(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", log_path=tmp_path / "asrun.sqlite",
                secret="s" * 40, testing=True)
    with TestClient(create_app(DeskSettings(**base, password_hash=security.stored_password_hash(config)))) as c:
        assert _log_in(c, "gengdi-2021") == 303 and _in(c)
        kept = c.cookies.get("broadcaster_desk")
    # `serve --set-password` then starts the desk again with the new password (and the same secret)
    security.set_password("xin-mima-2022", config)
    restarted = DeskSettings(**base, password_hash=security.stored_password_hash(config))
    with TestClient(create_app(restarted), cookies={"broadcaster_desk": kept}) as c:
        assert not _in(c)

    # a password set while the desk runs (by another `serve --set-password`) counts at once
    running = create_app(DeskSettings(**base, password_hash=security.stored_password_hash(config),
                                      password_file=config / security.PASSWORD_FILE))
    with TestClient(running) as a, TestClient(running, client=("10.0.0.7", 50000)) as b:
        assert _log_in(a, "xin-mima-2022") == 303 and _in(a)
        assert _log_in(b, "xin-mima-2022") == 303 and _in(b)
        security.set_password("third-mima-2023", config)
        assert not _in(a) and not _in(b)
        assert _log_in(a, "xin-mima-2022") == 200 and not _in(a)  # the old password is wrong now
        assert _log_in(a, "third-mima-2023") == 303 and _in(a)
        (config / security.PASSWORD_FILE).unlink()  # no password at all: nobody gets in, nothing is open
        assert not _in(a) and _log_in(a, "third-mima-2023") == 200


@pytest.mark.slow
def test_login_attempts_are_limited_per_client_with_a_growing_delay_and_logged(folder, tmp_path, caplog):
    import logging

    from broadcaster.desk import security

    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", log_path=tmp_path / "asrun.sqlite",
                            secret="s" * 40, testing=True, password_hash=security.hash_password("gengdi-2021"))
    app = create_app(settings)
    now = [1000.0]
    app.state.throttle = security.LoginThrottle(clock=lambda: now[0])  # the test moves time on, not waits
    caplog.set_level(logging.INFO, logger="broadcaster.desk")
    guesser = TestClient(app, client=("192.168.1.66", 50000))
    with guesser, TestClient(app, client=("192.168.1.20", 50000)) as clerk:
        for _n in range(2):  # a typo or two costs nothing
            page = guesser.post("/login", data={"password": "guess-123", "csrf_token": _token(guesser, "/login")})
            assert page.status_code == 200 and "wrong password — try again" in page.text
        page = guesser.post("/login", data={"password": "guess-124", "csrf_token": _token(guesser, "/login")})
        assert page.status_code == 200 and "wait 2 s before the next try" in page.text
        # while it waits even the right password is refused, unchecked
        got = guesser.post("/login", data={"password": "gengdi-2021", "csrf_token": _token(guesser, "/login")},
                           follow_redirects=False)
        assert got.status_code == 429 and got.headers["retry-after"] == "2" and "wait 2 s" in got.text
        assert not _in(guesser)
        assert _log_in(clerk, "gengdi-2021") == 303 and _in(clerk)  # another computer is not held up
        now[0] += 2.5
        page = guesser.post("/login", data={"password": "guess-125", "csrf_token": _token(guesser, "/login")})
        assert page.status_code == 200 and "wait 4 s before the next try" in page.text  # twice as long
        now[0] += 1
        got = guesser.post("/login", data={"password": "gengdi-2021", "csrf_token": _token(guesser, "/login")},
                           follow_redirects=False)
        assert got.status_code == 429 and got.headers["retry-after"] == "3"
        zh = guesser.post("/login", data={"password": "x", "csrf_token": _token(guesser, "/login")},
                          headers={"Accept-Language": "zh-CN"})
        assert zh.status_code == 429 and "请等" in zh.text
        now[0] += 3
        assert _log_in(guesser, "gengdi-2021") == 303 and _in(guesser)  # and the count starts again
    lines = [r.getMessage() for r in caplog.records if r.name == "broadcaster.desk"]
    assert "wrong desk password from 192.168.1.66 (4 in a row)" in lines, lines
    assert any(line.startswith("login from 192.168.1.66 refused: 4 wrong passwords in a row") for line in lines)
    assert "192.168.1.20 logged in to the desk" in lines
    delays = [security.LoginThrottle.delay(n) for n in range(1, 20)]
    assert delays[:3] == [0, 0, 2] and all(a < b for a, b in zip(delays[2:10], delays[3:11]))  # after 1, 2, 3...
    assert max(delays) == security.LoginThrottle.CAP and delays[-1] == security.LoginThrottle.CAP


def test_other_host_names_and_frames_are_refused(folder, tmp_path):
    from broadcaster.desk import security

    with _client(folder, tmp_path, password_hash=security.hash_password("gengdi-2021"),
                 names=("localhost", "guangbo.lan")) as c:
        for host in ("192.168.1.10:8750", "[fe80::1]:8750", "localhost:8750", "GuangBo.lan:8750", "127.0.0.2"):
            assert c.get("/login", headers={"Host": host}).status_code == 200, host
        for host in ("evil.example", "evil.example:8750", "192.168.1.10.nip.io:8750", "", "localhost.evil"):
            got = c.get("/login", headers={"Host": host, "Accept-Language": "zh-CN"})
            assert got.status_code == 400 and "--name" in got.text and "工作台" in got.text, (host, got.text)
            assert got.headers["x-frame-options"] == "DENY"
        for page in ("/login", "/static/desk.js", "/write"):
            got = c.get(page, follow_redirects=False)
            assert got.headers["x-frame-options"] == "DENY", page
            assert got.headers["content-security-policy"] == "frame-ancestors 'none'", page


def test_the_password_is_stored_hashed_and_the_secret_private(tmp_path):
    from broadcaster.desk import security

    path = security.set_password("gengdi-2021", tmp_path)
    assert "gengdi-2021" not in path.read_text() and path.stat().st_mode & 0o777 == 0o600
    assert security.verify_password(security.stored_password_hash(tmp_path), "gengdi-2021")
    security.session_secret(tmp_path)
    assert (tmp_path / security.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    with pytest.raises(BadInput, match="too short"):
        security.set_password("short", tmp_path)


# ---------------------------------------------------------------- language
def test_the_page_follows_the_browsers_language(client):
    zh = client.get("/write", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).text
    en = client.get("/write", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "写通知" in zh and 'lang="zh-CN"' in zh
    assert "Write" in en and "写通知" not in en


def _shown(html: str) -> str:
    """What a person reads on a page: its text, the hints inside inputs, and the texts its script shows."""
    import html as htmllib

    shown = [m.group(1) for m in re.finditer(r'<script type="application/json" id="texts">(.*?)</script>', html, re.S)]
    shown += re.findall(r'(?:placeholder|title|aria-label)="([^"]*)"', html)
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    shown += re.sub(r"<[^>]+>", "\n", body).splitlines()
    return "\n".join(htmllib.unescape(line) for line in shown)


def _zh_pages(folder: Path) -> list[str]:
    from broadcaster.desk.editing import list_files, template_forms

    files = list_files(folder)
    pages = ["/write", "/write?free=1", "/hear", "/jingles", "/schedule", "/report", "/report?day=2021-10-27",
             "/batch"]
    pages += [f"/write?template={t.name}" for t in template_forms()]
    pages += [f"/write?file={f.path}" for f in files if f.kind == "notice"]
    pages += [f"/hear?file={f.path}" for f in files if f.kind in ("notice", "jingle")]
    pages += [f"/jingles?file={f.path}&rhyme={r}" for f in files if f.kind == "jingle" for r in ("strict", "dialect")]
    pages += [f"/schedule?file={f.path}" for f in files if f.kind == "schedule"]
    return pages


@pytest.mark.slow
def test_every_page_and_every_mistake_is_chinese_for_a_chinese_browser(client, folder, tmp_path):
    from tests.zhtext import _help_prose as _prose

    _log_rows(tmp_path / "asrun.sqlite")  # the report has rows to show
    client.headers["Accept-Language"] = "zh-CN,zh;q=0.9,en;q=0.8"
    pages = _zh_pages(folder)
    assert len(pages) > 30
    for page in pages:
        got = client.get(page)
        assert got.status_code == 200, (page, got.text)
        shown = _shown(got.text)
        assert not _prose(shown), f"English on {page}: {_prose(shown)}"
        assert 'lang="zh-CN"' in got.text and "广播工作台" in shown
    # the choices are shown in words, their values stay the ones files and commands use
    schedule = client.get("/schedule").text
    assert re.search(r'<option value="urgent"[^>]*>加急（下一条就播）</option>', schedule)
    jingles = client.get("/jingles", params={"file": "jingles/qianjiang-337.yaml"}).text
    assert "对完全押韵" in jingles and "：完全押韵" in jingles and ">perfect<" not in jingles

    # a bad time in a template's field, and a misspelt key in a hand-written file: Chinese, at the field
    bad_time = client.post("/api/check", json=NUCLEIC).json()["errors"]
    assert [e["field"] for e in bad_time] == ["vars.start"]
    assert "时间“25:00”不对（变量 start）" in bad_time[0]["message"] and not _prose(bad_time[0]["message"])
    (folder / "notices" / "typo.yaml").write_text("titel: 停水通知\ntext: 明天上午停水。\n", encoding="utf-8")
    typo = client.post("/api/check", json={"file": "notices/typo.yaml", "title": "", "text": "明天上午停水。"})
    message = typo.json()["errors"][0]["message"]
    assert message.startswith("第 1 行：不认识的字段“titel” — 是不是想写“title”？"), message
    saved = client.post("/api/save", json={"file": "notices/typo.yaml", "text": "明天上午停水。",
                                           "digest": re.search(r'data-digest="([0-9a-f]+)"', client.get(
                                               "/write", params={"file": "notices/typo.yaml"}).text).group(1)})
    assert saved.status_code == 422 and "不认识的字段“titel”" in saved.json()["error"]
    # the desk's own refusals and a background job's failure, too
    for refused in (client.post("/api/save", json={"name": "Bad Name", "text": "x"}),
                    client.post("/api/save", json={"file": "../elsewhere.yaml", "text": "x"}),
                    client.post("/api/check", json=NUCLEIC, headers={"X-CSRF-Token": "forged"}),
                    client.post("/api/emergency", json={"file": "notices/supplies.yaml"})):
        assert refused.status_code >= 400 and re.search(r"[\u4e00-\u9fff]", refused.json()["error"]), refused.text
    job = client.post("/api/render", json={"file": "notices/typo.yaml", "engine": "espeak"}).json()
    failed = _wait(client, job["id"])
    assert failed["state"] == "failed" and "不认识的字段“titel”" in failed["message"], failed


# ---------------------------------------------------------------- hear, schedule, jingles, report, batch
@pytest.mark.slow
def test_render_runs_in_the_background_and_serves_the_audio(client):
    job = client.post("/api/render", json={"file": "notices/supplies.yaml", "engine": "espeak"}).json()
    done = _wait(client, job["id"])
    assert done["state"] == "done", done
    result = done["result"]
    assert result["engine"] == "espeak" and result["duration"] > 1 and "物资" in result["transcript_text"]
    audio = client.get(f"/jobs/{job['id']}/{result['file']}")
    assert audio.status_code == 200 and len(audio.content) > 10_000
    assert audio.content[:3] == b"ID3" or audio.content[0] == 0xFF  # an MP3
    answer = client.get(f"/api/jobs/{job['id']}").text  # no server paths, the desk's folder's or the cache's
    assert result["source"] == "notices/supplies.yaml" and "/tmp/" not in answer and "/home/" not in answer


def test_the_hear_page_offers_the_speakers_of_engines_with_several(client):
    from broadcaster.engines.base import get_engine

    html = client.get("/hear").text
    assert 'id="r-speaker"' in html and '<option value="female">' in html and '<option value="male">' in html
    kokoro = get_engine("kokoro")
    if kokoro.available()[0]:
        assert 'data-engines="kokoro auto"' in html
        assert all(f'<option value="{n}">' in html for n in kokoro.speakers())
    bad = client.post("/api/render", json={"file": "notices/free-text.yaml", "engine": "kokoro", "speaker": "robot"})
    assert bad.status_code == 400 and "robot" in bad.json()["error"]


def test_a_chosen_speaker_overrides_the_profile_and_its_engine_setting():
    from broadcaster.examine import prepare
    from broadcaster.speech.voices import get_profile

    notice = load_notice(ROOT / "examples" / "notices" / "free-text.yaml")
    assert prepare(notice).voice.engine_settings("kokoro")["speaker"] == "male"
    assert prepare(notice, speaker="female").voice.engine_settings("kokoro")["speaker"] == "female"
    pinned = get_profile("mandarin")
    pinned = type(pinned)(**{**pinned.__dict__, "engines": {**pinned.engines, "kokoro": {"speaker": "zm_yunxi"}}})
    assert pinned.with_speaker("zf_xiaoyi").engine_settings("kokoro")["speaker"] == "zf_xiaoyi"
    with pytest.raises(BadInput, match="Robot"):
        pinned.with_speaker("Robot")


@pytest.mark.slow
def test_a_female_and_a_male_speaker_give_different_audio(client):
    from broadcaster.engines.base import get_engine

    ok, why = get_engine("kokoro").available()
    if not ok:
        pytest.skip(f"kokoro is not available here: {why}")
    done = {}
    for speaker in ("female", "male"):
        job = client.post("/api/render", json={"file": "notices/free-text.yaml", "engine": "kokoro",
                                               "speaker": speaker, "profile": "archive"}).json()
        done[speaker] = _wait(client, job["id"], timeout=900)
        assert done[speaker]["state"] == "done", done[speaker]
        result = done[speaker]["result"]
        assert result["engine"] == "kokoro" and result["speaker"] == speaker and result["duration"] > 1
    female, male = done["female"]["result"], done["male"]["result"]
    assert female["sha256"] != male["sha256"]
    a = client.get(f"/jobs/{done['female']['id']}/{female['file']}").content
    b = client.get(f"/jobs/{done['male']['id']}/{male['file']}").content
    assert a != b and len(a) > 10_000 and len(b) > 10_000


@pytest.mark.slow
def test_schedule_add_checks_times_then_the_plan_shows_the_notice(client, folder):
    rel = "schedules/village.yaml"
    before = (folder / rel).read_text(encoding="utf-8")
    bad = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/vaccination.yaml",
                                                 "channel": "village", "dates": "2021-10-30", "times": "07:00, 25:00"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "times" and "25:00" in bad.json()["error"]
    assert (folder / rel).read_text(encoding="utf-8") == before
    month13 = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/vaccination.yaml",
                                                     "channel": "village", "dates": "2021-13-30", "times": "07:30"})
    assert month13.status_code == 422 and month13.json()["errors"][0]["field"] == "dates"  # a field error, no crash
    ok = client.post("/api/schedule/add", json={"file": rel, "notice": "notices/vaccination.yaml",
                                                "channel": "village", "dates": "2021-10-30", "times": "07:30"})
    assert ok.status_code == 200, ok.text
    text = (folder / rel).read_text(encoding="utf-8")
    assert text.startswith(before.splitlines()[0])  # the comment on top stays
    job = client.post("/api/plan", json={"file": rel, "from": "2021-10-30"}).json()
    done = _wait(client, job["id"])
    assert done["state"] == "done", done
    day = done["result"]["days"][0]
    assert day["day"] == "2021-10-30" and "新冠疫苗加强针接种通知" in day["titles"]
    svg = client.get(f"/jobs/{job['id']}/{day['svg']}").text
    assert "新冠疫苗加强针接种通知" in svg and "<svg" in svg


def test_jingle_report_shows_each_line_with_pinyin(client):
    html = client.get("/jingles", params={"file": "jingles/qianjiang-337.yaml"}).text
    assert 'id="rhyme-report"' in html and "qian2 jiang1 ren2" in html and "perfect" in html


def test_compose_and_save_a_jingle(client, folder):
    got = client.post("/api/compose", json={"form": "三三七", "topics": "口罩,洗手", "place": "黔江", "seed": "1"})
    assert got.status_code == 200 and len(got.json()["lines"]) == 6
    saved = client.post("/api/jingle/save", json={"form": "三三七", "topics": "口罩,洗手", "place": "黔江",
                                                  "seed": "1", "name": "kouzhao"})
    assert saved.status_code == 200, saved.text
    notice = load_notice(folder / "jingles" / "kouzhao.yaml")
    assert notice.kind == "jingle" and list(notice.lines) == got.json()["lines"]


def _log_rows(path: Path) -> None:
    """Three plays over two days; one title a spreadsheet would take as a formula, one reason with a comma
    and a line break."""
    from broadcaster.player.asrun import AsRunLog, Entry

    log = AsRunLog(path)
    fields = Entry.__dataclass_fields__
    for i, (day, title, status, reason) in enumerate([
            (27, "第八轮全员核酸检测通知", "played", ""),
            (27, "=HYPERLINK(\"http://x\",\"点这里\")", "interrupted", "被紧急插播 fire 打断,\n之后重播"),
            (28, "新冠疫苗加强针接种通知", "played", "")]):
        start = time.mktime((2021, 10, day, 7, i, 0, 0, 0, -1))
        values = {"slot": f"s{i}", "channel": "village", "notice": f"n{i}", "title": title,
                  "priority": "urgent", "status": status, "planned": start, "actual_start": start,
                  "actual_end": start + 60, "reason": reason, "file": "x.mp3", "sink": "null", "sha256": "0" * 64}
        log.append(Entry(**{k: v for k, v in values.items() if k in fields}))


def test_report_lists_the_days_plays_and_downloads_csv(client, tmp_path):
    _log_rows(tmp_path / "asrun.sqlite")
    html = client.get("/report", params={"day": "2021-10-27"}).text
    assert "第八轮全员核酸检测通知" in html and "played" in html and "新冠疫苗" not in html
    csv = client.get("/report.csv", params={"day": "2021-10-27"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("planned,actual_start") and "第八轮全员核酸检测通知" in lines[1]


def test_the_report_csv_is_byte_for_byte_what_log_csv_writes(client, tmp_path, run):
    log = tmp_path / "asrun.sqlite"
    _log_rows(log)
    got = client.get("/report.csv", params={"day": "2021-10-27"}).content
    out = tmp_path / "log.csv"
    assert run("log", "--from", "2021-10-27", "--to", "2021-10-27", "--log", str(log), "--csv", "-o", str(out)).code == 0
    assert got == out.read_bytes()
    # and it is the safe CSV: BOM, CRLF lines, the formula neutralised, the day's two rows only
    assert got.startswith(b"\xef\xbb\xbf") and b"\r\n" in got
    assert "'=HYPERLINK" in got.decode("utf-8") and "新冠疫苗" not in got.decode("utf-8")


@pytest.mark.slow
def test_batch_renders_every_village_of_an_upload(client):
    rows = (ROOT / "examples" / "villages.csv").read_text(encoding="utf-8").splitlines()[:3]
    got = client.post("/api/batch", files={"villages": ("v.csv", "\n".join(rows).encode(), "text/csv")},
                      data={"notice": "notices/hesuan-round8.yaml", "engine": "espeak",
                            "csrf_token": client.headers["X-CSRF-Token"]})
    assert got.status_code == 200, got.text
    done = _wait(client, got.json()["id"])
    assert done["state"] == "done", done
    assert [r["status"] for r in done["result"]["rows"]] == ["rendered", "rendered"]
    assert client.get(f"/jobs/{done['id']}/{done['result']['rows'][0]['file']}").status_code == 200


# ---------------------------------------------------------------- a real server
def _serving(folder: Path, port: int, *args: str, address: str = "127.0.0.1"):
    """A real `broadcaster serve FOLDER --port PORT ARGS...` and its first answer from http://ADDRESS:PORT/write."""
    import httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "broadcaster.cli", "serve", str(folder), "--port", str(port),
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            return proc, httpx.get(f"http://{address}:{port}/write", timeout=5, follow_redirects=True)
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("the desk did not start: " + proc.communicate()[1]) from None
            time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_serve_listens_on_loopback_and_answers(folder):
    import httpx

    port = _free_port()
    proc, page = _serving(folder, port)
    try:
        assert page.status_code == 200 and "notices/hesuan-round8.yaml" in page.text
        # a page elsewhere cannot reach the desk through another host name (DNS rebinding)
        assert httpx.get(f"http://127.0.0.1:{port}/write", headers={"Host": "evil.example"}).status_code == 400
        assert httpx.get(f"http://127.0.0.1:{port}/write", headers={"Host": "testserver"}).status_code == 400
    finally:
        _stop(proc)
    assert f"http://127.0.0.1:{port}" in proc.stdout.read()


@pytest.mark.slow
def test_serve_on_another_loopback_address_answers_there(folder):
    port = _free_port()
    proc, page = _serving(folder, port, "--host", "127.0.0.2", address="127.0.0.2")
    try:
        assert page.status_code == 200 and "notices/hesuan-round8.yaml" in page.text, page.text
    finally:
        _stop(proc)


@pytest.mark.slow
def test_serve_on_the_lan_answers_only_its_names_and_logs_logins(folder, tmp_path):
    import httpx

    secret = tmp_path / "password.txt"
    secret.write_text("gengdi-2021\n", encoding="utf-8")
    port = _free_port()
    proc, page = _serving(folder, port, "--host", "0.0.0.0", "--password-file", str(secret),
                          "--name", "guangbo.lan")
    url = f"http://127.0.0.1:{port}"
    try:
        assert page.status_code == 200 and 'name="password"' in page.text  # the login page, by its address
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        for host in (f"guangbo.lan:{port}", f"localhost:{port}", f"192.168.1.10:{port}"):
            assert httpx.get(url + "/login", headers={"Host": host}).status_code == 200, host
        # a page whose DNS name is rebound to this computer gets nothing, not even the login page
        for host in (f"evil.example:{port}", "testserver", f"rebind.guangbo.lan:{port}"):
            refused = httpx.get(url + "/login", headers={"Host": host})
            assert refused.status_code == 400 and "--name" in refused.text, (host, refused.text)
        with httpx.Client(base_url=url) as browser:
            token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/login").text).group(1)
            # counted by the connection's address: a made-up X-Forwarded-For does not make a new client
            assert browser.post("/login", data={"password": "nope-nope", "csrf_token": token},
                                headers={"X-Forwarded-For": "10.9.9.9"}).status_code == 200
    finally:
        _stop(proc)
    assert "wrong desk password from 127.0.0.1 (1 in a row)" in proc.stderr.read()
