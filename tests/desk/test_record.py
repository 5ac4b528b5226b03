"""The desk's Record page over HTTP (Starlette's TestClient): a take checked at once, heard as its cleaned,
mastered program, kept in the notice's folder with the notice's YAML updated (comments and encoding kept);
and its guards: the CSRF token, paths inside the folder, the take's own size cap (every other upload keeps
1 MB), and a bad take refused with its one line. Takes are real: eSpeak speech made to sound like a phone
and encoded by ffmpeg (tests/phone.py)."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("ruamel.yaml")

from tests.audiotools import FFMPEG, decode, loudness  # noqa: E402
from tests.phone import encode, phone_mix, phone_recording  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from broadcaster.desk.app import DeskSettings, create_app  # noqa: E402
from broadcaster.notice import load_notice  # noqa: E402

from tests.helpers import ROOT  # noqa: E402
from tests.helpers import wait_for_job as _wait  # noqa: E402
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
TARGET_LUFS = -16.0  # the loudspeaker profile's


@pytest.fixture(scope="module")
def take(tmp_path_factory) -> Path:
    """A phone's m4a (AAC made by ffmpeg) of eSpeak reading a notice, with handling noise and hum."""
    return phone_recording(tmp_path_factory.mktemp("phone") / "take.m4a", "m4a").path


@pytest.fixture
def folder(tmp_path):
    shutil.copytree(ROOT / "examples", tmp_path / "village")
    return tmp_path / "village"


def _client(folder: Path, tmp_path: Path) -> TestClient:
    settings = DeskSettings(folder=folder.resolve(), jobs_dir=tmp_path / "jobs", engine="espeak",
                            log_path=tmp_path / "asrun.sqlite", secret="s" * 40, testing=True)
    return TestClient(create_app(settings))


@pytest.fixture
def client(folder, tmp_path):
    with _client(folder, tmp_path) as c:
        c.headers["X-CSRF-Token"] = _token(c)
        c.headers.update(ZH)
        yield c


def _token(c: TestClient) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', c.get("/record").text).group(1)


def _digest(c: TestClient, rel: str) -> str:
    return re.search(r'data-digest="([0-9a-f]*)"', c.get("/record", params={"file": rel}).text).group(1)


def _preview(c: TestClient, rel: str, data: bytes, filename: str = "take.m4a", part: str = ""):
    return c.post("/api/record/preview", data={"notice": rel, "part": part},
                  files={"take": (filename, data, "application/octet-stream")})


def _heard(c: TestClient, rel: str, data: bytes, filename: str = "take.m4a", part: str = "") -> dict:
    got = _preview(c, rel, data, filename, part)
    assert got.status_code == 200, got.text
    job = _wait(c, got.json()["id"])
    assert job["state"] == "done", job
    return job


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the page
def test_the_record_page_offers_each_place_for_a_take_with_the_words_to_read(client):
    from tests.desk.test_desk import _shown
    from tests.zhtext import _help_prose as _prose

    parts = client.get("/record", params={"file": "recordings/fenduan.yaml"}).text
    options = re.findall(r'<option value="(\d*)" data-words="([^"]*)">([^<]*)</option>', parts)
    assert [o[0] for o in options] == ["0", "1", "2", "3"]
    assert "重新录（现在用的是 录音/喊话.m4a）" in options[0][2]
    # a machine-read part: its words with the notice's variables filled in, to read out
    assert options[1][1] == "宏福村村委会通知：停水时间是明天上午8点到12点。" and "换成您自己念" in options[1][2]
    assert options[3][2] == "在最后加一段录音" and options[3][1] == ""
    whole = client.get("/record", params={"file": "notices/supplies.yaml"}).text
    assert '<option value="" data-words="各位居民请注意！' in whole and "整条通知（照下面的字念）" in whole  # a 社区 hears 居民
    assert "物资配送车今天下午3点到芙蓉里社区西区北门" in whole  # the template, filled in
    jingle = client.get("/record", params={"file": "jingles/qianjiang-337.yaml"}).text
    assert "这条通知现在还不能录" in jingle and "顺口溜要按节拍念" in jingle and 'id="recorder"' not in jingle
    for page in ("/record", "/record?file=recordings/fenduan.yaml", "/record?file=notices/supplies.yaml",
                 "/record?file=jingles/qianjiang-337.yaml"):
        html = client.get(page).text
        texts = re.search(r'<script type="application/json" id="record-texts">(.*?)</script>', html, re.S).group(1)
        shown = _shown(html) + "\n" + texts
        assert not _prose(shown), f"English on {page}: {_prose(shown)}"
        assert '<a href="/record" class="on">录音</a>' in html
    # the write page leads to the record page for the notice it shows
    assert 'href="/record?file=notices/supplies.yaml"' in client.get("/write?file=notices/supplies.yaml").text


# ---------------------------------------------------------------- hear, then keep
@pytest.mark.slow
def test_a_take_is_heard_as_its_program_then_kept_as_the_notices_recording(client, folder, take, run):
    rel = "notices/hesuan-round8.yaml"
    path = folder / rel
    path.write_text("# 村委会每轮核酸都发\n" + path.read_text(encoding="utf-8").replace(
        "template: nucleic-test", "template: nucleic-test   # 用模板写的"), encoding="utf-8")
    digest = _digest(client, rel)
    words = re.search(r'<pre id="rec-words" class="spoken">([^<]*)</pre>', client.get(
        "/record", params={"file": rel}).text).group(1)
    before = _snapshot(folder)

    job = _heard(client, rel, take.read_bytes())
    result = job["result"]
    notice_id = load_notice(path).id
    assert result["name"] == f"录音/{notice_id}.m4a" and result["engine"] == "recording"
    assert _snapshot(folder) == before  # hearing wrote nothing into the folder
    heard = client.get(f"/jobs/{job['id']}/{result['file']}")
    assert heard.status_code == 200
    program = Path(client.app.state.jobs.folder(job["id"])) / result["file"]
    lufs, peak = loudness(program)
    assert abs(lufs - TARGET_LUFS) <= 1.0 and peak <= -0.5, (lufs, peak)
    assert abs(len(decode(program)) / 16000 - result["duration"]) < 0.5
    assert result["duration"] > 2 * result["take_seconds"] > 2 * 5, result  # read twice, with the chime
    assert str(folder) not in client.get(f"/api/jobs/{job['id']}").text  # no server path in the answer

    kept = client.post("/api/record/keep", json={"job": job["id"], "digest": digest})
    assert kept.status_code == 200, kept.text
    assert kept.json()["recording"] == f"录音/{notice_id}.m4a"
    assert (path.parent / "录音" / f"{notice_id}.m4a").read_bytes() == take.read_bytes()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 村委会每轮核酸都发\n") and "template" not in text, text
    notice = load_notice(path)
    assert notice.recording == f"录音/{notice_id}.m4a" and notice.template is None
    assert notice.text.strip() == words.strip()  # what the official read, as the page showed it
    assert run("check", str(path)).code == 0
    # the page's digest is old now: a second keep from it is refused, not written over
    again = client.post("/api/record/keep", json={"job": job["id"], "digest": digest})
    assert again.status_code == 409 and "别人改过" in again.json()["error"], again.text


@pytest.mark.slow
def test_a_part_is_replaced_then_one_added_in_a_gbk_notice_keeping_its_comments(client, folder, take, run):
    rel = "notices/fenduan-gbk.yaml"
    path = folder / rel
    path.write_bytes("# 记事本写的（GBK）\nid: fenduan-gbk\ntitle: 停水\nrepeat: 1\nparts:\n"
                     "  - say: 各位村民请注意，明天上午八点到十二点停水。   # 机器念\n".encode("gbk"))
    first = _heard(client, rel, take.read_bytes(), "take.m4a", part="0")
    assert first["result"]["name"] == "录音/fenduan-gbk-1.m4a"
    kept = client.post("/api/record/keep", json={"job": first["id"], "digest": _digest(client, rel)})
    assert kept.status_code == 200, kept.text
    second = _heard(client, rel, take.read_bytes(), "谢谢.m4a", part="1")  # a new part at the end
    kept = client.post("/api/record/keep", json={"job": second["id"], "digest": kept.json()["digest"]})
    assert kept.status_code == 200, kept.text
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # still GBK: Notepad still opens it
    text = data.decode("gbk")
    assert text.startswith("# 记事本写的（GBK）\n") and "# 机器念" in text, text
    parts = load_notice(path).parts
    assert [(p.recording, p.say, p.text) for p in parts] == [
        ("录音/fenduan-gbk-1.m4a", None, "各位村民请注意，明天上午八点到十二点停水。"),  # its words kept as text:
        ("录音/fenduan-gbk-2.m4a", None, None)]
    assert (path.parent / "录音" / "fenduan-gbk-2.m4a").is_file()
    assert run("check", str(path)).code == 0


VARS = "vars:\n  village: 芙蓉里\n  place: 北门\n  time: 今天\n  items: 米\n  price: 30\n  phone: '139'\n"


@pytest.mark.parametrize("before, part, after", [
    # from a template: `recording:` where `template:` was, the words read as `text:`, every comment kept
    ("# 村委会\nid: a\ntitle: 停水   # 标题\ntemplate: supplies   # 用模板写的\n# 变量\n" + VARS
     + "repeat: 2  # 两遍\n",
     None, "# 村委会\nid: a\ntitle: 停水   # 标题\nrecording: 录音/a.m4a\n# 用模板写的\ntext: |\n  各位村民请注意！\n"),
    ("id: a\ntext: 你好{{ village }}。  # 自己写的\n" + VARS,
     None, "id: a\nrecording: 录音/a.m4a\ntext: 你好{{ village }}。  # 自己写的\nvars:\n"),
    ("id: a\nrecording: 录音/旧.m4a   # 旧的\ntext: 你好。\n", None,
     "id: a\nrecording: 录音/a.m4a   # 旧的\ntext: 你好。\n"),
    # in parts: a machine-read part becomes a recording of its words; one past the last is a new part
    ("id: a\nparts:\n  - say: 你好。   # 机器念\n    # 下一段\n  - {say: 再见。}  # 流式\n", 0,
     "id: a\nparts:\n  - recording: 录音/a-1.m4a\n    text: 你好。  # 机器念\n    # 下一段\n"
     "  - {say: 再见。}  # 流式\n"),
    ("id: a\nparts:\n  - say: 你好。\n  - {recording: 录音/x.m4a}  # 流式\n", 1,
     "id: a\nparts:\n  - say: 你好。\n  - {recording: 录音/a-2.m4a} # 流式\n"),
    ("id: a\nparts:  # 两段\n  - say: 你好。\n", 1,
     "id: a\nparts:  # 两段\n  - say: 你好。\n  - recording: 录音/a-2.m4a\n"),
])
def test_the_notice_takes_the_take_as_an_edit_keeping_its_comments(tmp_path, before, part, after):
    from broadcaster import yamlsource
    from broadcaster.desk.takeedit import notice_with_take
    from broadcaster.notice import notice_from_doc
    from broadcaster.script import fill
    from broadcaster.takes import take_name, with_take

    path = tmp_path / "a.yaml"
    path.write_text(before, encoding="utf-8")
    notice = load_notice(path)
    name = take_name(notice, "take.m4a", part)
    variant = with_take(notice, name, part)
    text = notice_with_take(path, before, variant, name, part)
    assert text.startswith(after), text
    written = notice_from_doc(yamlsource.load(path, text))  # the file says what takes.with_take made
    assert (written.recording, written.parts) == (variant.recording, variant.parts)
    if part is None:
        assert fill(written).strip() == variant.text.strip()  # the words, with the variables filled in


# ---------------------------------------------------------------- bad takes
def _silent_wav(tmp_path: Path) -> bytes:
    path = tmp_path / "silent.wav"
    subprocess.run([FFMPEG, "-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "3", str(path)],
                   check=True)
    return path.read_bytes()


@pytest.mark.slow
def test_a_bad_take_is_refused_at_once_with_its_one_line_and_nothing_is_written(client, folder, tmp_path):
    from tests.zhtext import _help_prose as _prose

    rel = "notices/supplies.yaml"
    short = encode(phone_mix(np.zeros(int(0.3 * 22050), np.float32) + 0.2 * np.sin(
        2 * np.pi * 220 * np.arange(int(0.3 * 22050)) / 22050).astype(np.float32), handling=False)[0],
        tmp_path / "short.m4a", "m4a")
    before = _snapshot(folder)
    for data, filename, said in ((_silent_wav(tmp_path), "take.wav", "没有声音"),
                                 (b"RIFF not really audio " * 50, "take.m4a", "不是声音文件"),
                                 (short.read_bytes(), "take.m4a", "秒的说话声"),
                                 (b"", "take.webm", "录音是空的"),
                                 (b"MZ" * 100, "take.exe", "不是手机或浏览器录出来的录音")):
        got = _preview(client, rel, data, filename)
        assert got.status_code == 422, (filename, got.text)
        answer = got.json()
        # at the control, in form words: what is wrong and how to fix it, no file name and line
        assert said in answer["error"] and " — " in answer["error"], answer
        assert not answer["error"].startswith("notices/") and "\n" not in answer["error"]
        assert answer["line"].startswith("notices/supplies.yaml") and answer["line"].endswith(answer["error"])
        assert not _prose(answer["error"]), answer["error"]
    assert _snapshot(folder) == before
    assert not list((tmp_path / "jobs").glob("*/job.json"))  # no job was started for a bad take


# ---------------------------------------------------------------- guards
def test_the_record_api_needs_the_csrf_token(folder, tmp_path):
    with _client(folder, tmp_path) as c:
        c.get("/record")
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            got = c.post("/api/record/preview", data={"notice": "notices/supplies.yaml"},
                         files={"take": ("take.m4a", b"x" * 1000, "audio/mp4")}, headers=headers)
            assert got.status_code == 403, got.text
            assert c.post("/api/record/keep", json={"job": "0123456789abcdef"}, headers=headers).status_code == 403
    assert not (folder / "notices" / "录音").exists()
    assert not list((tmp_path / "jobs").glob("*"))


def test_the_record_api_keeps_to_the_desks_folder(client, folder, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("title: x\ntext: 不该被改\n", encoding="utf-8")
    (folder / "notices" / "link.yaml").symlink_to(outside)
    for name in ("../elsewhere.yaml", str(outside), "notices/../../elsewhere.yaml", "notices/link.yaml"):
        assert _preview(client, name, b"x" * 1000).status_code == 403, name
        assert client.get("/record", params={"file": name}).status_code == 403, name
    assert _preview(client, "notices/supplies.m4a", b"x" * 1000).status_code == 400
    assert _preview(client, "notices/missing.yaml", b"x" * 1000).status_code == 404
    assert client.post("/api/record/keep", json={"job": "0123456789abcdef"}).status_code == 404
    assert client.post("/api/record/keep", json={"job": "../../etc"}).status_code == 404
    assert outside.read_text(encoding="utf-8") == "title: x\ntext: 不该被改\n"


@pytest.mark.slow
def test_a_take_is_not_kept_through_a_link_out_of_the_folder(client, folder, tmp_path, take):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "notices" / "录音").symlink_to(elsewhere, target_is_directory=True)
    rel = "notices/supplies.yaml"
    digest = _digest(client, rel)
    job = _heard(client, rel, take.read_bytes())
    kept = client.post("/api/record/keep", json={"job": job["id"], "digest": digest})
    assert kept.status_code == 403, kept.text
    assert not list(elsewhere.iterdir()) and "recording" not in (folder / rel).read_text(encoding="utf-8")


def test_a_take_may_be_30_mib_while_every_other_upload_keeps_1_mb(client):
    # 2 MB is more than the desk's 1 MB, but a take: read, and refused only as not audio
    got = _preview(client, "notices/supplies.yaml", b"\0not audio" * 200_000)
    assert got.status_code == 422 and "不是声音文件" in got.json()["error"], got.text
    over = _preview(client, "notices/supplies.yaml", b"\0" * ((30 << 20) + 1))
    assert over.status_code == 413 and "30 MB" in over.text, over.text
    batch = client.post("/api/batch", files={"villages": ("v.csv", b"village_id,village\n" + b"a" * (2 << 20))},
                        data={"notice": "notices/hesuan-round8.yaml"})
    assert batch.status_code == 413 and "1 MB" in batch.text, batch.text
    save = client.post("/api/save", content=b'{"text": "' + b"a" * (2 << 20) + b'"}',
                       headers={"Content-Type": "application/json"})
    assert save.status_code == 413
