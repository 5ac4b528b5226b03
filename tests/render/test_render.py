"""Render measured from the decoded audio: duration, repeats, pauses, not silence; a batch of notices is
checked whole before any audio is written."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.audiotools import decode, probe, rms_db, silences
from tests.helpers import EXAMPLES, ROOT, write

SHORT = "各位村民请注意。今天下午三点发放物资。"
LONG = SHORT + "请大家戴好口罩，排队领取，不要扎堆。家里有老人行动不便的，请告诉村委会，我们送货上门。"
GOOD = "id: ok1\ntitle: 好\ntext: 各位村民请注意。\n"


def render_one(run, tmp_path, text: str, repeat: int, name: str = "n", fmt: str = "mp3") -> Path:
    notice = write(tmp_path / f"{name}.yaml", f"id: {name}\ntitle: 测试\ntext: {text}\nrepeat: {repeat}\n")
    r = run("render", notice, "-o", tmp_path / "out", "--engine", "espeak", "--format", fmt)
    assert r.code == 0, r.err
    return tmp_path / "out" / f"{name}.{fmt}"


@pytest.mark.slow
def test_duration_grows_with_text_and_repeat(run, tmp_path):
    short1 = probe(render_one(run, tmp_path, SHORT, 1, "s1")).duration
    long1 = probe(render_one(run, tmp_path, LONG, 1, "l1")).duration
    long3 = probe(render_one(run, tmp_path, LONG, 3, "l3")).duration
    assert long1 > short1 * 2
    # three readings plus two gaps: about three times one reading
    assert 2.8 * long1 < long3 < 3.6 * long1


@pytest.mark.slow
def test_audio_is_speech_not_silence(run, tmp_path):
    samples = decode(render_one(run, tmp_path, LONG, 1))
    assert rms_db(samples) > -35
    voiced = sum(e - s for s, e in silences(samples, min_len=0.05))
    assert voiced < 0.6 * len(samples) / 16000


@pytest.mark.slow
def test_pauses_between_sentences_and_readings(run, tmp_path):
    path = render_one(run, tmp_path, "各位村民请注意。今天下午三点发放物资。请戴好口罩。", 2)
    samples = decode(path)
    gaps = silences(samples, min_len=0.4)
    long_gaps = [g for g in gaps if g[1] - g[0] >= 1.3]
    # one gap between the two readings, in the middle of the program
    assert len(long_gaps) == 1, gaps
    mid = len(samples) / 16000 / 2
    assert abs((long_gaps[0][0] + long_gaps[0][1]) / 2 - mid) < mid * 0.25
    # sentence pauses inside each reading: two per reading
    inner = [g for g in gaps if 0.4 <= g[1] - g[0] < 1.3]
    assert len(inner) >= 4, gaps


@pytest.mark.slow
def test_wav_format_and_mono(run, tmp_path):
    p = probe(render_one(run, tmp_path, SHORT, 1, fmt="wav"))
    assert p.codec.startswith("pcm") and p.channels == 1


@pytest.mark.slow
def test_transcript_is_the_spoken_text(run, tmp_path):
    path = render_one(run, tmp_path, SHORT, 2)
    text = path.with_suffix(".txt").read_text(encoding="utf-8")
    assert text.count("各位村民请注意") == 2


@pytest.mark.slow
def test_manifest_lists_every_notice_with_hash(run, tmp_path):
    import hashlib
    a = write(tmp_path / "a.yaml", f"id: a\ntitle: 甲\ntext: {SHORT}\nrepeat: 1\n")
    b = write(tmp_path / "b.yaml", f"id: b\ntitle: 乙\ntext: {SHORT}\nrepeat: 1\n")
    assert run("render", a, b, "-o", tmp_path / "out", "--engine", "espeak").code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in manifest["notices"]}
    assert set(entries) == {"a", "b"}
    for nid, e in entries.items():
        audio = tmp_path / "out" / e["file"]
        assert e["sha256"] == hashlib.sha256(audio.read_bytes()).hexdigest()
        assert abs(e["duration"] - probe(audio).duration) < 0.15
        assert e["engine"] == "espeak" and e["voice"] == "mandarin" and e["title"]
    # rendering one of them again keeps the other in the manifest
    assert run("render", a, "-o", tmp_path / "out", "--engine", "espeak").code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {e["id"] for e in manifest["notices"]} == {"a", "b"}


@pytest.mark.slow
def test_no_temporary_files_left(run, tmp_path):
    render_one(run, tmp_path, SHORT, 1)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_say_writes_one_line(run, tmp_path):
    r = run("say", "各位村民请注意。", "-o", tmp_path / "t.mp3", "--engine", "espeak")
    assert r.code == 0, r.err
    assert probe(tmp_path / "t.mp3").duration > 0.8


def test_say_refuses_unknown_suffix(run, tmp_path):
    r = run("say", "你好", "-o", tmp_path / "t.ogg")
    assert r.code == 2 and not (tmp_path / "t.ogg").exists()


def test_templates_and_voices_listed(run):
    r = run("templates", "--json")
    names = {t["name"] for t in json.loads(r.out)}
    assert {"nucleic-test", "closed-management", "gate-change", "half-day-open", "household-pass",
            "supplies", "returnee-report", "home-monitoring", "vaccination", "disinfection",
            "festival-greeting", "rumours"} <= names
    v = json.loads(run("voices", "--json").out)
    assert {e["name"]: e["available"] for e in v["engines"]}["espeak"] is True
    assert "mandarin" in {p["name"] for p in v["voices"]}


def test_template_metadata_matches_template_variables():
    import jinja2.meta

    from broadcaster.script.template import _environment, builtin_templates
    env = _environment(())
    for info in builtin_templates():
        used = jinja2.meta.find_undeclared_variables(env.parse(info.path.read_text(encoding="utf-8")))
        assert used == set(info.required) | set(info.optional), info.name


def test_every_template_opens_with_attention_and_closes_with_phone():
    from broadcaster.notice import Notice
    from broadcaster.script import builtin_templates, fill

    for info in builtin_templates():
        values = {k: "8:00" if k in ("start", "end") else "测试" for k in [*info.required, *info.optional]}
        values["phone"] = "13911112222"
        text = fill(Notice(path=Path("x.yaml"), id="x", title="x", template=info.name, vars=values))
        first, last = text.splitlines()[0], text.splitlines()[-1]
        assert "请注意" in first or "好" in first, (info.name, first)
        assert "13911112222" in last, (info.name, last)
        without = {k: v for k, v in values.items() if k != "phone"}
        assert "13911112222" not in fill(Notice(path=Path("x.yaml"), id="x", title="x",
                                                template=info.name, vars=without))


@pytest.mark.slow
def test_every_example_renders_mono_and_plausible_length(run, tmp_path):
    files = sorted((EXAMPLES / "notices").glob("*.yaml"))
    assert len(files) >= 12
    r = run("render", *files, "-o", tmp_path / "out", "--engine", "espeak")
    assert r.code == 0, r.err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["notices"]) == len(files)
    for e in manifest["notices"]:
        audio = tmp_path / "out" / e["file"]
        p = probe(audio)
        assert p.channels == 1
        spoken = (tmp_path / "out" / e["transcript"]).read_text(encoding="utf-8")
        chars = sum(1 for c in spoken if "\u4e00" <= c <= "\u9fff")
        # slow broadcast speech: roughly 2-6 characters a second including pauses
        assert chars / 6 < p.duration < chars / 1.5, (e["id"], chars, p.duration)


@pytest.mark.slow
def test_wheel_install_finds_templates_and_voices(tmp_path):
    """A real wheel, installed without our source tree, finds its data."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                    str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("broadcaster-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("broadcaster/data/notice_templates/") and n.endswith(".j2") for n in names)
    assert "broadcaster/data/voices/mandarin.yaml" in names
    assert "broadcaster/locale/zh_CN/LC_MESSAGES/broadcaster.mo" in names  # compiled by the build hook
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    code = ("import broadcaster, json; from broadcaster.script import builtin_templates;"
            "from broadcaster.speech.voices import all_profiles;"
            "print(json.dumps([broadcaster.__file__, len(builtin_templates()), sorted(all_profiles())]))")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    where, count, voices = json.loads(out)
    assert where.startswith(str(target)) and count >= 12 and "mandarin" in voices
    # the installed catalog speaks Chinese with no .po beside it
    (target / "broadcaster/locale/zh_CN/LC_MESSAGES/broadcaster.po").unlink(missing_ok=True)
    zh = subprocess.run([sys.executable, "-c", "from broadcaster.i18n import _; print(_('Usage:'))"],
                        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "BROADCASTER_LANG": "zh_CN"},
                        capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert zh.strip() == "用法："



def test_one_bad_notice_stops_all_audio(run, tmp_path):
    good = write(tmp_path / "good.yaml", GOOD)
    bad = write(tmp_path / "bad.yaml", "id: bad\ntemplate: nucleic-test\n")
    r = run("render", good, bad, "-o", tmp_path / "out")
    assert r.code == 2
    assert not (tmp_path / "out").exists()


def test_duplicate_ids_across_files(run, tmp_path):
    a = write(tmp_path / "a.yaml", GOOD)
    b = write(tmp_path / "b.yaml", GOOD)
    r = run("check", a, b)
    assert r.code == 2 and "also used by" in r.err
