"""Pronunciation fixes reach each engine in its own form, chosen when the engine is known."""
from __future__ import annotations

import pytest

from broadcaster.engines.espeak import ENGINE
from broadcaster.notice import Notice
from broadcaster.examine import prepare
from broadcaster.render import engine_order, synthesize_all
from broadcaster.speech.spoken import engine_text


def closer_to(pcm: bytes, expected: str, other: str, voice) -> bool:
    """eSpeak's output length jitters by about 0.1% between runs, so compare lengths, not bytes."""
    a = len(ENGINE.synthesize(expected, voice).pcm)
    b = len(ENGINE.synthesize(other, voice).pcm)
    assert abs(a - b) > 0.005 * a, "the two readings must differ measurably for this test"
    return abs(len(pcm) - a) < abs(len(pcm) - b)


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_engines_share_the_front_end_through_speech_not_through_each_other():
    """What the pinyin-reading engines share lives in broadcaster/speech/; no engine module reaches
    into another engine (its module or its private names)."""
    import ast
    from pathlib import Path

    import broadcaster.engines as package

    folder = Path(package.__file__).parent
    engines = {"espeak", "edge", "neural", "kokoro"}
    for name in sorted(engines):
        tree = ast.parse((folder / f"{name}.py").read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "broadcaster.engines":
                imported |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("broadcaster.engines."):
                imported.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                imported |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("broadcaster.engines.")}
        others = {m for m in imported if m.split("_model")[0] in engines - {name}}
        assert not others, f"{name}.py imports {sorted(others)}"
