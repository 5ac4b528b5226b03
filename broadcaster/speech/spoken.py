"""Written text -> exactly what the engine is given: normalization, dialect words, pronunciations."""
from __future__ import annotations

from dataclasses import dataclass

from broadcaster.speech.lexicon import Pronunciation, replace_words
from broadcaster.speech.normalize import Hit, normalize_with_hits
from broadcaster.speech.numbers import pause_digit_runs
from broadcaster.speech.pronounce import for_engine
from broadcaster.speech.voices import VoiceProfile


@dataclass(frozen=True)
class SpokenText:
    """The text an engine receives, with the steps that produced it."""

    written: str
    text: str
    steps: tuple[tuple[str, str], ...] = ()
    hits: tuple[Hit, ...] = ()   # each normalization rewrite (rule, written, spoken)
    engine: str | None = None


def spoken_text(text: str, voice: VoiceProfile, extra_lexicon: tuple[tuple[str, str], ...] = (), *,
                engine: str | None = None, extra_pronunciations: tuple[Pronunciation, ...] = ()) -> SpokenText:
    """What `engine` must be given to say `text` in `voice` (None: the engine-neutral text).

    1. normalize: numbers, times, dates, phones, symbols -> words (BadInput on 25:00, 2月30日);
       times on the voice's clock (17:00 -> 下午五点, or 十七点 with clock: 24);
    2. lexicon: the profile's dialect words, then the caller's extra words, on word boundaries;
    3. pronounce (only when `engine` is named): polyphone fixes in that engine's form, pinyin
       words for eSpeak (huan2qian2), homophones for edge; neural and kokoro get the text as it is
       and read the fixes through the shared front end (`speech.pinyin.spoken_words`).
    The engine-neutral text (engine None) is also the transcript: it holds no pinyin.
    """
    steps: list[tuple[str, str]] = []
    out, hits = normalize_with_hits(text, latin=voice.pronunciation,  # Latin words the Mandarin way
                                    clock=voice.clock)
    if voice.digit_one != "幺" and "幺" not in text:
        out = out.replace("幺", voice.digit_one)  # 幺 for 1 is Mandarin radio usage, not Cantonese
    steps.append(("normalize", out))
    if voice.lexicon:
        out = replace_words(out, voice.lexicon)
    if extra_lexicon:
        out = replace_words(out, extra_lexicon)
    steps.append(("lexicon", out))
    if engine is not None:
        out = pause_digit_runs(out)
        if voice.pronunciation:
            out = for_engine(out, engine, extra_pronunciations)
        steps.append((f"pronounce:{engine}", out))
    return SpokenText(written=text, text=out, steps=tuple(steps), hits=hits, engine=engine)


def engine_text(neutral: str, voice: VoiceProfile, engine: str,
                extra_pronunciations: tuple[Pronunciation, ...] = ()) -> str:
    """The engine-neutral spoken text (SpokenText.text with engine None) in `engine`'s form.

    For a renderer that learns only at synthesis time which engine speaks: equal to
    spoken_text(written, voice, ..., engine=engine).text.
    """
    paused = pause_digit_runs(neutral)
    if not voice.pronunciation:
        return paused
    return for_engine(paused, engine, extra_pronunciations)
