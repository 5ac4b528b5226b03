"""Chinese names (issue 23): a notice needs no `id:` and may be called 停水通知.yaml; its id comes from the
title (or the file name) in pinyin, names its audio files in ASCII, and two notices that would share an id
are refused with a line that says what to add. Cards keep ASCII file and folder names, and their
PLAYLIST.txt shows titles and the channel's name."""
from __future__ import annotations

import json
import re

import pytest
from tests.helpers import write

from broadcaster.notice import ID_RE, load_notice

WATER = "title: 停水通知\ntext: 各位村民请注意，明天上午八点到十二点停水，请提前储水。\nrepeat: 1\n"


# ---------------------------------------------------------------- the name itself
@pytest.mark.parametrize("text, name", [
    ("停水通知", "tingshui-tongzhi"),
    ("冬季防火", "dongji-fanghuo"),
    ("关于12月8日停电的通知", "guanyu-12-yue-8-ri-tingdian-de-tongzhi"),
    ("ＨＴ７流感疫苗", "ht7-liugan-yimiao"),            # full-width letters and digits as ASCII
    ("疫苗接种（流感）", "yimiao-jiezhong-liugan"),     # punctuation is a break, never a character
    ("绿色", "lvse"),                                   # ü as v: still ASCII
])
def test_a_title_becomes_pinyin_words(text, name):
    from broadcaster.speech.romanize import ascii_name

    assert ascii_name(text) == name


def test_a_name_is_bounded_ascii_cut_between_words_and_the_same_every_time():
    from broadcaster.speech.romanize import MAX_NAME, ascii_name

    title = "2022年度城乡居民医疗保险和养老保险集中缴费的通知"
    name = ascii_name(title)
    assert ID_RE.fullmatch(name) and name.isascii() and len(name) <= MAX_NAME
    assert title_words_kept(name, ascii_name(title, limit=200))
    assert ascii_name(title) == name  # deterministic
    assert ascii_name("😀！！！") == ""


def title_words_kept(short: str, whole: str) -> bool:
    """The short name is the whole one cut at a `-` (no word cut in half)."""
    return whole.startswith(short) and (len(whole) == len(short) or whole[len(short)] == "-")


# ---------------------------------------------------------------- notices without id
def test_a_chinese_file_without_id_takes_its_id_from_the_title(tmp_path):
    notice = load_notice(write(tmp_path / "关于明天的安排.yaml", WATER))
    assert (notice.id, notice.title, notice.id_from) == ("tingshui-tongzhi", "停水通知", "title")


def test_without_a_title_the_chinese_file_name_gives_id_and_title(tmp_path):
    notice = load_notice(write(tmp_path / "停电通知.yaml", "text: 后天停电。\n"))
    assert (notice.id, notice.title, notice.id_from) == ("tingdian-tongzhi", "停电通知", "file")


def test_an_ascii_file_name_is_still_the_id(tmp_path):
    """Files named as before keep their ids (and so their audio files and their slots in the as-run log)."""
    notice = load_notice(write(tmp_path / "water.yaml", WATER))
    assert (notice.id, notice.title) == ("water", "停水通知")


def test_check_and_render_a_chinese_named_notice(run, tmp_path):
    path = write(tmp_path / "停水通知.yaml", "text: 各位村民请注意，明天停水。\nrepeat: 1\n")
    r = run("check", path)
    assert r.code == 0, r.err
    assert r.out.strip() == f"ok  {path}  (notice 'tingshui-tongzhi', voice mandarin)"
    r = run("render", path, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 0, r.err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "manifest.json", "tingshui-tongzhi.mp3", "tingshui-tongzhi.txt"]
    entry = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"][0]
    assert (entry["id"], entry["title"], entry["file"]) == ("tingshui-tongzhi", "停水通知", "tingshui-tongzhi.mp3")


# ---------------------------------------------------------------- two notices, one id
def test_two_notices_with_one_derived_id_are_refused_and_nothing_is_written(run, tmp_path):
    first = write(tmp_path / "停水通知.yaml", WATER)
    second = write(tmp_path / "村东" / "停水.yaml", WATER.replace("明天", "后天"))
    out = tmp_path / "out"
    r = run("render", first, second, "-o", out, "--engine", "espeak")
    assert r.code == 2 and not out.exists()
    assert r.err.strip() == (f"{second}:1: the id 'tingshui-tongzhi', made from the title, is also used by {first}"
                             " — give this notice an id of its own: add a line `id: tingshui-tongzhi-2`")
    write(second, "id: tingshui-tongzhi-2\n" + second.read_text(encoding="utf-8"))
    assert run("check", first, second).code == 0  # the fix as given


def test_the_clash_is_said_in_chinese(run, tmp_path, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    first = write(tmp_path / "停水通知.yaml", "text: 明天停水。\n")
    second = write(tmp_path / "b" / "停水通知.yaml", "text: 后天停水。\n")
    r = run("check", first, second)
    assert r.code == 2
    assert r.err.strip() == (f"{second}:1: 由文件名生成的编号“tingshui-tongzhi”在 {first} 里也用了"
                             " — 给这个通知另起一个编号：加一行 `id: tingshui-tongzhi-2`")


SCHEDULE = """\
channels:
  village: {name: 长乐村大喇叭, sink: null}
programs:
  - notice: 停水通知.yaml
    channel: village
    times: ["08:00"]
  - notice: 村东/停水.yaml
    channel: village
    times: ["09:00"]
"""


def test_a_schedule_whose_notices_share_an_id_is_refused_before_anything_is_rendered(run, tmp_path):
    """Before: both rendered into one tingshui-tongzhi.mp3, the second overwriting the first, and both
    rules aired the same audio."""
    write(tmp_path / "停水通知.yaml", WATER)
    write(tmp_path / "村东" / "停水.yaml", WATER.replace("明天", "后天"))
    sched = write(tmp_path / "计划.yaml", SCHEDULE)
    for command in (("check", sched), ("plan", sched, "--from", "2021-10-27", "--engine", "espeak")):
        r = run(*command)
        assert r.code == 2, r.out
        assert "the id 'tingshui-tongzhi', made from the title, is also used by" in r.err
        assert len(r.err.strip().splitlines()) == 1
    assert not (tmp_path / "计划-audio").exists() or not any((tmp_path / "计划-audio").iterdir())


# ---------------------------------------------------------------- the other places a name becomes an id
def test_a_chinese_audio_file_played_by_hand_gets_a_pinyin_notice_id(tmp_path):
    from tests.player_fixtures import speech_wav

    from broadcaster.player.control import resolve_audio

    audio = resolve_audio(str(speech_wav(tmp_path / "火警.wav", "着火了")))
    assert audio.notice == "huojing"  # before: "play", the same for every Chinese file name


def test_a_jingle_composed_into_a_chinese_file_gets_an_id_from_its_name(run, tmp_path):
    out = tmp_path / "防疫顺口溜.yaml"
    r = run("jingle", "compose", "--form", "三句半", "--topics", "口罩", "--seed", "1", "-o", out)
    assert r.code == 0, r.err
    assert load_notice(out).id == "fangyi-shunkouliu"  # before: jingle-1, the same for every seed-1 jingle


def test_the_desk_saves_a_new_notice_under_a_chinese_name(tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("ruamel.yaml")
    from starlette.testclient import TestClient

    from broadcaster.desk.app import DeskSettings, create_app

    folder = tmp_path / "folder"
    (folder / "notices").mkdir(parents=True)
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", log_path=tmp_path / "asrun.sqlite",
                            secret="s" * 40, testing=True)
    with TestClient(create_app(settings)) as client:
        page = client.get("/write").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        answer = client.post("/api/save", json={"name": "停水通知", "title": "停水通知",
                                                "text": "各位村民请注意，明天停水。"},
                             headers={"X-CSRF-Token": token})
        assert answer.status_code == 200, answer.text
        assert answer.json()["file"] == "notices/停水通知.yaml"
        refused = client.post("/api/save", json={"name": "停水 通知", "text": "明天停水。"},
                              headers={"X-CSRF-Token": token})
        assert refused.status_code == 422 and "停水通知 or hesuan-round9" in refused.json()["errors"][0]["message"]
    assert load_notice(folder / "notices" / "停水通知.yaml").id == "tingshui-tongzhi"


# ---------------------------------------------------------------- TF cards
@pytest.mark.slow
def test_a_card_of_chinese_named_notices_has_ascii_files_and_titles_in_its_playlist(run, tmp_path):
    water = write(tmp_path / "停水通知.yaml", "text: 明天停水。\nrepeat: 1\n")
    power = write(tmp_path / "停电.yaml", "title: 停电通知\ntext: 后天停电。\nrepeat: 1\n")
    card = tmp_path / "card"
    r = run("export-card", water, power, "-o", card, "--engine", "espeak")
    assert r.code == 0, r.err
    assert sorted(p.name for p in card.iterdir()) == ["001_tingshui-tongzhi.mp3", "002_tingdian-tongzhi.mp3",
                                                       "PLAYLIST.txt"]
    rows = [line.split("\t") for line in (card / "PLAYLIST.txt").read_text(encoding="utf-8-sig").splitlines()]
    assert [(r[1], r[3]) for r in rows[1:]] == [("001_tingshui-tongzhi.mp3", "停水通知"),
                                                ("002_tingdian-tongzhi.mp3", "停电通知")]


@pytest.mark.slow
def test_a_schedules_card_folder_is_ascii_and_its_playlist_names_the_channel_and_the_titles(run, tmp_path):
    write(tmp_path / "停水通知.yaml", "text: 明天停水。\nrepeat: 1\n")
    sched = write(tmp_path / "计划.yaml", SCHEDULE.split("  - notice: 村东")[0])
    out = tmp_path / "TF"
    out.mkdir()
    r = run("export", sched, "--from", "2021-10-27", "--engine", "espeak", "--to", "card", "-o", out)
    assert r.code == 0, r.err
    assert [p.name for p in out.iterdir()] == ["village-2021-10-27"]  # FAT- and 8.3-safe
    assert "village-2021-10-27/  长乐村大喇叭  2021-10-27: 1 file" in r.out
    folder = out / "village-2021-10-27"
    assert sorted(p.name for p in folder.iterdir()) == ["001_tingshui-tongzhi.mp3", "PLAYLIST.txt"]
    data = (folder / "PLAYLIST.txt").read_bytes()
    assert data.startswith("\ufeff".encode()) and data.endswith(b"\r\n")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "频道\t长乐村大喇叭\t日期\t2021-10-27"
    assert lines[1] == "编号\t文件\t时长\t标题"
    assert lines[2].split("\t")[1::2] == ["001_tingshui-tongzhi.mp3", "停水通知"]  # the title, not the id
