"""The bank and the composer: every bank line passes the checker; 50 compositions pass and vary."""
from __future__ import annotations

import random

import pytest
import yaml

from broadcaster.errors import BadInput
from broadcaster.jingle import rhyme
from broadcaster.jingle.bank import find_topics, topic_names, topics, typical_values
from broadcaster.jingle.check import check_lines
from broadcaster.jingle.compose import compose
from broadcaster.jingle.syllables import syllables
from broadcaster.speech.voices import VoiceProfile, all_profiles

FORMS = ("三三七", "七言", "三句半", "快板")
# 川渝 words from the reference dialect lexicon (same length as the Mandarin word)
SICHUAN_WORDS = (("别", "莫"), ("家里", "屋头"), ("知道", "晓得"), ("赶集", "赶场"), ("什么", "啥子"),
                 ("没有", "没得"), ("外面", "外头"))


def sichuan_profile() -> VoiceProfile:
    """The speech developer's 川渝 profile when it has landed, else one with the reference's words."""
    real = all_profiles().get("sichuan_chongqing")
    if real is not None and real.lexicon:
        return real
    return VoiceProfile(name="sichuan-test", display="川渝", rhyme="chuanyu", lexicon=SICHUAN_WORDS)


def _filled(entries):
    values = typical_values()
    return [(e, e.filled(values)) for e in entries]


def test_bank_covers_the_topics_of_the_issue():
    names = set(topic_names()) | {a for t in topics() for a in t.aliases}
    for wanted in ("出门", "莫乱跑", "口罩", "洗手", "通风", "聚集", "红白喜事", "拜年", "返乡报备", "核酸检测",
                   "疫苗", "谣言", "配合", "感谢", "物资", "隔离", "居家", "消毒"):
        assert wanted in names, wanted
    for t in topics():
        assert len(t.openings) >= 5 and len(t.lines) >= 15 and len(t.half) >= 3, t.name


def test_every_bank_line_passes_the_checker_with_slots_filled():
    """Each entry, slots filled with typical values, makes a jingle the checker passes in its form."""
    lines = [text for t in topics() for _, text in _filled(t.lines)]
    failures = []
    for t in topics():
        for entry, text in _filled(t.lines):
            assert len(syllables(text)) == 7, (entry.source, text)
            ok = any(check_lines([text, other], "快板").ok for other in lines
                     if other != text and syllables(other)[-1].text != syllables(text)[-1].text)
            if not ok:
                failures.append((entry.source, text))
        for entry, text in _filled(t.openings):
            ok = any(check_lines([f"{text}、{closer}"], "三三七").ok for closer in lines)
            if not ok:
                failures.append((entry.source, text))
        for entry, text in _filled(t.half):
            assert 2 <= len(syllables(text)) <= 3, (entry.source, text)
            half = syllables(text)[-1]
            partners = [x for x in lines
                        if rhyme.accepts("group", rhyme.compare(half, syllables(x)[-1]).verdict)][:20]
            ok = any(check_lines([a, b, lines[0], text], "三句半").ok for a in partners for b in partners if a != b)
            if not ok:
                failures.append((entry.source, text))
    assert not failures, failures


def test_slot_lines_take_the_place_given():
    texts = ["".join(compose("三三七", ["出门", "口罩"], place="金溪", lines=8, seed=seed).lines)
             for seed in range(5)]
    assert not any("黔江" in t for t in texts)
    assert any("金溪人" in t for t in texts)


def test_fifty_composed_jingles_pass_and_vary():
    """50 jingles, different seeds, topics, forms and strictness: all pass; >= 80% of lines distinct."""
    names = topic_names()
    sichuan = sichuan_profile()
    all_lines: list[str] = []
    for i in range(50):
        rng = random.Random(i)
        form = FORMS[i % 4]
        chosen = rng.sample(names, 3)
        strictness = ("group", "strict", "dialect")[i % 3]
        voice = sichuan if i % 2 else None
        c = compose(form, chosen, place="黔江", voice=voice, seed=i, strictness=strictness)
        # checked again here, from the text alone, by the same checker users run
        report = check_lines(c.lines, form, strictness, voice)
        assert report.ok, (i, form, c.lines, report.summary())
        assert len(set(c.lines)) == len(c.lines)
        all_lines.extend(c.lines)
    distinct = len(set(all_lines)) / len(all_lines)
    assert distinct >= 0.8, f"only {distinct:.0%} of {len(all_lines)} lines distinct"


@pytest.mark.parametrize("form", FORMS)
def test_deterministic_per_seed(form):
    a = compose(form, ["口罩", "洗手", "聚集"], place="黔江", seed=7)
    b = compose(form, ["口罩", "洗手", "聚集"], place="黔江", seed=7)
    c = compose(form, ["口罩", "洗手", "聚集"], place="黔江", seed=8)
    assert a.lines == b.lines
    assert a.lines != c.lines


@pytest.mark.parametrize("form, n", [("三三七", 16), ("快板", 20), ("七言", 12), ("三句半", 12)])
def test_never_repeats_a_line_or_a_rhyme_word(form, n):
    c = compose(form, ["出门", "口罩", "洗手", "聚集", "核酸"], lines=n, seed=3)
    assert len(c.lines) == n and len(set(c.lines)) == n
    for pair in c.report.pairs:
        assert pair.a.text != pair.b.text  # 洗手 ~ 洗手 is a repeat, not a rhyme


def test_uses_dialect_words_when_the_profile_has_them():
    sichuan = sichuan_profile()
    local_words = {local for _, local in sichuan.lexicon}
    # words whose dialect form has the same length (others would break the line's count)
    mandarin_words = {m for m, local in sichuan.lexicon if len(m) == len(local) and len(m) > 1}
    with_local = 0
    for seed in range(10):
        c = compose("三三七", ["出门", "聚集", "隔离"], voice=sichuan, seed=seed, strictness="dialect")
        text = "".join(c.lines)
        with_local += any(w in text for w in local_words)
        # where a line had a Mandarin word the profile replaces, the dialect one is used
        assert not any(m in text for m in mandarin_words), c.lines
        plain = compose("三三七", ["出门", "聚集", "隔离"], seed=seed)
        assert not any(w in "".join(plain.lines) for w in ("莫", "屋头")), plain.lines
    assert with_local >= 8


def test_rhyme_strict_gives_only_perfect_rhymes():
    for seed in range(5):
        c = compose("七言", ["疫苗", "谣言"], lines=8, seed=seed, strictness="strict")
        assert {p.verdict.verdict for p in c.report.pairs} == {"perfect"}


def test_written_file_is_a_jingle_the_loader_accepts(tmp_path):
    from broadcaster.notice import load_notice

    c = compose("三句半", ["核酸"], lines=8, seed=2)
    path = tmp_path / "j.yaml"
    path.write_text(c.to_yaml("hesuan-sanjuban"), encoding="utf-8")
    notice = load_notice(path)
    assert notice.kind == "jingle" and notice.form == "三句半" and notice.lines == c.lines
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["id"] == "hesuan-sanjuban"


def test_unknown_topic_is_bad_input_with_a_suggestion():
    with pytest.raises(BadInput) as exc:
        find_topics(["口照"])
    assert "口罩" in str(exc.value)


def test_too_many_lines_is_bad_input():
    with pytest.raises(BadInput) as exc:
        compose("七言", ["消毒"], lines=40, seed=1, strictness="strict")
    assert "fewer --lines" in str(exc.value)
