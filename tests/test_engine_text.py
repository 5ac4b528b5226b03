"""Pronunciation fixes reach each engine in its own form, chosen when the engine is known."""
from __future__ import annotations


from broadcaster.engines.espeak import ENGINE
from broadcaster.notice import Notice
from broadcaster.render import engine_order, prepare, synthesize_all
from broadcaster.speech.spoken import engine_text


def closer_to(pcm: bytes, expected: str, other: str, voice) -> bool:
    """eSpeak's output length jitters by about 0.1% between runs, so compare lengths, not bytes."""
    a = len(ENGINE.synthesize(expected, voice).pcm)
    b = len(ENGINE.synthesize(other, voice).pcm)
    assert abs(a - b) > 0.005 * a, "the two readings must differ measurably for this test"
    return abs(len(pcm) - a) < abs(len(pcm) - b)


def test_espeak_is_given_pinyin_for_a_polyphone_it_misreads(tmp_path):
    notice = Notice(path=tmp_path / "n.yaml", id="n", title="n", text="借了要还钱，还款别拖。", repeat=1,
                    options={"lead": False, "chime": False})
    prepared = prepare(notice)
    sentence = next(iter(prepared.spoken))
    neutral = prepared.spoken[sentence].text
    assert "还钱" in neutral  # the transcript keeps characters
    fixed = engine_text(neutral, prepared.voice, "espeak")
    assert "huan2qian2" in fixed
    engine, clips, _ = synthesize_all(prepared, engine_order("espeak", notice))
    assert engine == "espeak"
    # what render spoke is eSpeak's reading of the pinyin form, not of the characters
    assert closer_to(clips[sentence].pcm, fixed, neutral, prepared.voice)


def test_user_pronunciations_reach_the_engine(tmp_path):
    (tmp_path / "lexicon.yaml").write_text("pronounce:\n  - {word: 曾家, pinyin: zeng1 jia1, say: 增家}\n", encoding="utf-8")
    notice = Notice(path=tmp_path / "n.yaml", id="n", title="n", text="请到曾家院子集合。", repeat=1,
                    options={"lead": False, "chime": False})
    prepared = prepare(notice)
    assert prepared.pronunciations
    neutral = next(iter(prepared.spoken.values())).text
    assert "zeng1" in engine_text(neutral, prepared.voice, "espeak", prepared.pronunciations)
    _, clips, _ = synthesize_all(prepared, ("espeak",))
    spoken = engine_text(neutral, prepared.voice, "espeak", prepared.pronunciations)
    assert closer_to(next(iter(clips.values())).pcm, spoken, neutral, prepared.voice)
