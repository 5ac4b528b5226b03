"""The clip cache: content addressing, checked reads, atomic writes, renders that skip synthesis, and the
`cache` commands in the user's language."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.audiotools import decode
from tests.helpers import write
from tests.zhtext import _clean
from broadcaster.engines.base import Boundary, Clip
from broadcaster.audio.cache import ClipCache, clip_key
from broadcaster.engines.speak import SpeakJob, speak
from broadcaster.speech.voices import get_profile

SUPPLY = "各位村民请注意。今天下午三点在村委会门口发放物资，请戴好口罩，排队领取。"


def sample_clip() -> Clip:
    pcm = (np.sin(np.arange(24000) / 10) * 8000).astype(np.int16).tobytes()
    return Clip(pcm=pcm, sample_rate=24000, engine="edge", boundaries=(Boundary(0.0, 0.6, "各位村民请注意。"),))


def cache_files() -> list[Path]:
    return sorted((Path(os.environ["XDG_CACHE_HOME"]) / "broadcaster" / "clips").glob("*/*"))


def test_round_trip_in_the_user_cache_dir():
    cache = ClipCache()
    key = clip_key("edge", "edge-tts 7.3.1", {"voice": "zh-CN-XiaoxiaoNeural", "rate": "-15%"}, "各位村民请注意。")
    assert cache.get(key) is None
    cache.put(key, sample_clip())
    assert cache.get(key) == sample_clip()
    assert [p.name for p in cache_files()] == [f"{key}.clip"]  # no temporary file left behind
    assert str(cache.root).startswith(os.environ["XDG_CACHE_HOME"])


def test_key_covers_engine_version_voice_parameters_and_text():
    base = ("edge", "v1", {"voice": "zh-CN-XiaoxiaoNeural", "rate": "-15%"}, "各位村民请注意。")
    variants = [("espeak",) + base[1:], (base[0], "v2") + base[2:],
                base[:2] + ({"voice": "zh-CN-YunxiNeural", "rate": "-15%"},) + base[3:],
                base[:2] + ({"voice": "zh-CN-XiaoxiaoNeural", "rate": "-10%"},) + base[3:],
                base[:3] + ("各位居民请注意。",)]
    keys = {clip_key(*base)} | {clip_key(*v) for v in variants}
    assert len(keys) == 6
    # the order of parameters is not part of the identity
    assert clip_key("edge", "v1", {"rate": "-15%", "voice": "zh-CN-XiaoxiaoNeural"}, base[3]) == clip_key(*base)


def test_damaged_entries_are_dropped():
    cache = ClipCache()
    damages = {"truncated": lambda b: b[: len(b) // 2], "flipped": lambda b: b[:-100] + bytes([b[-100] ^ 1]) + b[-99:],
               "garbage": lambda b: b"\x00" * len(b), "empty": lambda b: b""}
    for n, damage in enumerate(damages.values()):
        key = clip_key("edge", "v1", {}, f"第{n}句。")
        cache.put(key, sample_clip())
        path = cache._path(key)
        path.write_bytes(damage(path.read_bytes()))
        assert cache.get(key) is None
        assert not path.exists()


def test_info_and_clear(run):
    cache = ClipCache()
    for n in range(3):
        cache.put(clip_key("edge", "v1", {}, f"第{n}句。"), sample_clip())
    r = run("cache", "info", "--json")
    info = json.loads(r.out)
    assert r.code == 0 and info["entries"] == 3 and info["bytes"] > 3 * 48000
    r = run("cache", "clear")
    assert r.code == 0 and "removed 3 clip(s)" in r.out
    assert json.loads(run("cache", "info", "--json").out)["entries"] == 0
    assert "0 clip(s)" in run("cache", "info").out


def test_trim_keeps_the_most_recently_used_clips(run, monkeypatch):
    cache = ClipCache()
    keys = [clip_key("edge", "v1", {}, f"第{n}句。") for n in range(5)]
    for age, key in zip((500, 400, 300, 200, 100), keys):  # keys[0] is the oldest
        cache.put(key, sample_clip())
        os.utime(cache._path(key), (1e9 - age, 1e9 - age))
    size = cache._path(keys[0]).stat().st_size
    assert cache.get(keys[0]) is not None  # used just now: it must outlive older ones
    done = cache.trim(3 * size)
    assert (done.removed, done.left) == (2, 3 * size)
    assert [cache.get(k) is not None for k in keys] == [True, False, False, True, True]
    # the command, and the limit from the environment checked like any setting
    r = run("cache", "trim", "--max-mb", "0", "--json")
    assert r.code == 0 and json.loads(r.out)["removed"] == 3 and cache.info().entries == 0
    monkeypatch.setenv("BROADCASTER_CACHE_MAX_MB", "lots")
    r = run("cache", "trim")
    assert r.code == 2 and "BROADCASTER_CACHE_MAX_MB is 'lots'" in r.err and "give a number" in r.err, r.err


@pytest.mark.slow
def test_render_trims_the_cache_to_its_limit(run, tmp_path, monkeypatch):
    notice = write(tmp_path / "n.yaml", "id: n\ntext: 各位村民请注意，今天下午三点发放物资。\nrepeat: 1\nengine: espeak\n")
    assert run("render", notice, "-o", tmp_path / "a").code == 0
    grown = ClipCache().info()
    assert grown.entries >= 1
    monkeypatch.setenv("BROADCASTER_CACHE_MAX_MB", "0")
    assert run("render", notice, "-o", tmp_path / "b").code == 0
    assert ClipCache().info().entries == 0  # trimmed after the render, which still wrote its audio
    assert (tmp_path / "b" / "n.mp3").is_file()
    monkeypatch.setenv("BROADCASTER_CACHE_MAX_MB", "-1")
    r = run("render", notice, "-o", tmp_path / "c")
    assert r.code == 2 and "BROADCASTER_CACHE_MAX_MB" in r.err and not (tmp_path / "c").exists()


@pytest.mark.slow
def test_second_speak_synthesizes_nothing():
    voice = get_profile("mandarin")
    job = SpeakJob(texts={"甲": "各位村民请注意。", "乙": "请戴好口罩。"}, voice=voice, engines=("espeak",), where="t")
    first = speak(job)
    second = speak(job)
    assert (first.synthesized, second.synthesized) == (2, 0)
    assert second.clips == first.clips
    other = SpeakJob(texts={"甲": "各位村民请注意。", "丙": "排队领取。"}, voice=voice, engines=("espeak",), where="t")
    assert speak(other).synthesized == 1  # only the new sentence


@pytest.mark.slow
def test_unchanged_notice_rerenders_with_zero_requests(run, tmp_path, standin):
    server = standin()
    path = write(tmp_path / "supply.yaml", f"id: supply\ntitle: 物资\ntext: {SUPPLY}\nrepeat: 2\n")
    r = run("render", path, "-o", tmp_path / "a", "--engine", "edge")
    assert r.code == 0, r.err
    made = server.requests
    assert made >= 1
    r = run("render", path, "-o", tmp_path / "b", "--engine", "edge")
    assert r.code == 0, r.err
    assert server.requests == made  # not one request
    first, again = (decode(next((tmp_path / d).glob("supply.*3"))) for d in "ab")
    assert abs(len(first) - len(again)) < 1600 and np.corrcoef(first[:len(again)], again[:len(first)])[0, 1] > 0.99
    # a corrupt entry is made again: exactly one more request, and the entry is whole again
    victim = max(cache_files(), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:1000])
    r = run("render", path, "-o", tmp_path / "c", "--engine", "edge")
    assert r.code == 0, r.err
    assert server.requests == made + 1
    assert ClipCache().get(victim.stem) is not None


@pytest.mark.slow
def test_cached_online_voice_needs_no_network(run, tmp_path, standin):
    server = standin()
    path = write(tmp_path / "supply.yaml", f"id: supply\ntitle: 物资\ntext: {SUPPLY}\n")
    assert run("render", path, "-o", tmp_path / "a").code == 0
    server.stop()  # the service is gone (its port now refuses connections)
    from broadcaster.engines.edge import ENGINE
    ENGINE.forget()
    assert not ENGINE.available()[0]
    r = run("render", path, "-o", tmp_path / "b", "--json")
    assert r.code == 0, r.err
    entry = json.loads(r.out)["rendered"][0]
    assert entry["engine"] == "edge" and entry["skipped"] == {}


@pytest.mark.slow
def test_notices_sharing_a_sentence_request_it_once(run, tmp_path, standin):
    server = standin(delay=0.2)  # slow enough that all notices ask at the same time
    shared = "核酸检测请带好身份证。"
    files = [write(tmp_path / f"n{i}.yaml", f"id: n{i}\ntitle: 通知{i}\ntext: {shared}第{i}组请到北门广场。\n")
             for i in range(4)]
    r = run("render", *files, "-o", tmp_path / "out", "--engine", "edge")
    assert r.code == 0, r.err
    assert server.max_parallel > 1
    assert sum(shared in t for t in server.texts) == 1
    assert len(server.texts) == len(set(server.texts))


def _engine_ready(name: str) -> bool:
    from broadcaster.engines.base import get_engine

    return get_engine(name).available()[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["neural", "kokoro"])
def test_a_change_in_the_shared_front_end_data_remakes_the_clips(name, tmp_path, monkeypatch):
    """Both pinyin-reading engines key their clips on the shared Mandarin front end the same way:
    an unchanged re-render synthesizes nothing, a changed front-end data file makes new clips."""
    if not _engine_ready(name):
        pytest.skip(f"{name} is not installed here")
    import shutil

    from broadcaster.speech import pinyin

    voice = get_profile("mandarin")
    job = SpeakJob(texts={"a": "请到展览馆。"}, voice=voice, engines=(name,), where="t")
    assert speak(job).synthesized == 1
    assert speak(job).synthesized == 0  # unchanged: all from the cache
    before = cache_files()
    data = tmp_path / "speech-data"
    shutil.copytree(pinyin.DATA, data)
    with (data / "polyphones.yaml").open("a", encoding="utf-8") as rules:
        rules.write("- {char: 馆, reading: guan3, prev: [展览]}\n")  # a new rule in the front end's data
    monkeypatch.setattr(pinyin, "DATA", data)
    again = speak(job)
    assert (again.engine, again.synthesized) == (name, 1)
    assert len(cache_files()) == len(before) + 1
    assert speak(job).synthesized == 0


def test_cache_commands_in_chinese(run, monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    info = run("cache", "info")
    assert info.code == 0 and info.out.startswith("语音缓存：") and "0 段语音，0.0 MB" in info.out
    assert "设置文件：" in info.out
    trim = run("cache", "trim", "--max-mb", "5")
    assert trim.out.strip() == "已删除 0 段语音（0.0 MB）；还剩 0.0 MB（上限 5 MB）"
    clear = run("cache", "clear")
    assert clear.out.startswith("已从 ") and clear.out.strip().endswith("删除 0 段语音")
    _clean(info.out + trim.out + clear.out)
