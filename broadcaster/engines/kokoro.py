"""Kokoro-82M v1.0 (Apache-2.0): natural offline Mandarin with male and female speakers, on ONNX Runtime.

The reading is ours: the normalized text goes through the shared Mandarin front end
(speech/pinyin.py, as for the neural engine: polyphones in context, our and the user's fixes, tone
sandhi), and misaki turns each tone-numbered syllable it gives into the IPA with tone arrows the
model was trained on. Nothing is added to the front end's reading here: a syllable the user fixed
is said as written; a voice profile's accent goes with the text to the front end. Text is cut at
sentence ends (and, past the model's 510 phonemes, at commas or words) with the voice profile's
pauses between the pieces. The model is opened with one more output, its duration of each token
(kokoro_model.durations_suffix), from which each syllable's time in the audio follows.

This is the only module that touches onnxruntime and the Kokoro model.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from broadcaster.engine_specs import KokoroSpec
from broadcaster.engines import kokoro_model
from broadcaster.engines.pinyin_voice import Piece, PinyinVoice, frame_spans
from broadcaster.errors import BadInput, EngineUnavailable, SynthesisFailed
from broadcaster.i18n import N_, _
from broadcaster.speech.characters import marks, punctuation_digest
from broadcaster.vocabulary import HAN
from broadcaster.speech.pinyin import spell_letters, split_erhua, spoken_words

if TYPE_CHECKING:
    from broadcaster.speech.accent import Accent
    from broadcaster.speech.voices import VoiceProfile

MAX_IDS = 510  # the model's position table; tokens are [0, *ids, 0]
FRONTEND_VERSION = "2"  # bump when the same pinyin would give other phonemes (2: no second sandhi)
# our punctuation -> the model's (the ASCII marks it was trained with shape the intonation)
_PUNCT = {"，": ",", ",": ",", "、": ",", "。": ".", "．": ".", ".": ".", "！": "!", "!": "!", "？": "?",
          "?": "?", "：": ":", ":": ":", "；": ";", ";": ";", "…": "…", "—": "—", "“": "“", "”": "”",
          "《": "“", "》": "”", "「": "“", "」": "”", "（": "(", "）": ")", "(": "(", ")": ")"}
_NOT_PHONEME = chr(815)  # misaki marks non-syllabic vowels with it; the model's vocabulary lacks it
SAMPLES_PER_FRAME = 600  # a duration unit of the model, in samples at 24 kHz (sum x 600 = the audio's length)
# the audio runs ahead of the durations' alignment by about 35 ms (measured at 203 obstruent onsets,
# docs/accent-research.md §1)
AUDIO_LEAD_S = 0.035


def sentences(text: str) -> list[str]:
    """Text cut after each sentence end (the mark stays: it shapes the intonation)."""
    ends = marks("full_stop", "clause_stop", "ellipsis", "line_break")
    out, current = [], ""
    for char in text:
        current += char
        if char in ends:
            if HAN.search(current):
                out.append(current.strip())
            elif out:  # "……" or "！！": the marks belong to the sentence before
                out[-1] += current.strip()
            current = ""
    if HAN.search(current):
        out.append(current.strip())
    return out


@lru_cache(maxsize=4096)
def syllable_ipa(syllable: str) -> str:
    """One tone-numbered syllable (儿化 as dianr3) -> IPA with tone arrows, by misaki."""
    from misaki.zh import ZHG2P

    bare, rhotic = split_erhua(syllable)
    try:
        ipa = ZHG2P.py2ipa(bare)
    except (ValueError, KeyError, IndexError, AssertionError):
        raise SynthesisFailed(_("the Kokoro voice cannot read the syllable '{syllable}' (check the pinyin "
                                "in the pronunciation fixes)").format(syllable=syllable)) from None
    return ipa.replace(_NOT_PHONEME, "") + ("ɚ" if rhotic else "")


def _sentence(sentence: str, extra: tuple, accent: Accent | None
              ) -> tuple[str, str, tuple[str, ...], tuple[str, ...]]:
    """(pinyin, phonemes) of one sentence (words apart by spaces, punctuation in the model's form), and
    the syllables said with their accent categories."""
    pinyin, phonemes, syllables, categories = [], [], [], []
    for word in spoken_words(sentence, extra, accent):
        if word.syllables:
            pinyin.append("".join(word.syllables))
            phonemes.append("".join(syllable_ipa(s) for s in word.syllables))
            syllables.extend(word.syllables)
            categories.extend(word.categories or ("",) * len(word.syllables))
            continue
        marks = "".join(_PUNCT[c] for c in word.text if c in _PUNCT)
        if marks:
            pinyin.append(marks)
            if phonemes:
                phonemes[-1] += marks  # "ni2hao3," as the model was trained: mark after the word
            else:
                phonemes.append(marks)
    return " ".join(pinyin), " ".join(phonemes), tuple(syllables), tuple(categories)


def owners(phonemes: str, syllables: tuple[str, ...]) -> list[int]:
    """For each symbol of a piece's phonemes, the index of the syllable it belongs to (-1: a space or a
    mark). The syllables' IPA stand in the string in order, with only spaces and marks between."""
    out = [-1] * len(phonemes)
    pos = 0
    for n, syllable in enumerate(syllables):
        ipa = syllable_ipa(syllable)
        found = phonemes.find(ipa, pos)
        if found < 0:
            break
        out[found:found + len(ipa)] = [n] * len(ipa)
        pos = found + len(ipa)
    return out


def _share(parts: list[str], syllables: tuple[str, ...], categories: tuple[str, ...]
           ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """The sentence's syllables (and categories) that each of its pieces says."""
    out, n = [], 0
    for part in parts:
        pos, first = 0, n
        while n < len(syllables):
            found = part.find(syllable_ipa(syllables[n]), pos)
            if found < 0:
                break
            pos = found + len(syllable_ipa(syllables[n]))
            n += 1
        out.append((syllables[first:n], categories[first:n]))
    return out


def _fit(phonemes: str, limit: int) -> list[str]:
    """Cut a phoneme string into pieces of at most `limit` symbols, after a comma if one fits, else
    between words."""
    out = []
    while len(phonemes) > limit:
        head = phonemes[:limit + 1]
        cut = max(head.rfind(", "), head.rfind("; "), head.rfind(": "))
        cut = cut + 1 if cut > 0 else head.rfind(" ")
        if cut <= 0:
            cut = limit  # one word longer than the model takes: cut it (never happens in Chinese)
        out.append(phonemes[:cut].strip())
        phonemes = phonemes[cut:].strip()
    if phonemes:
        out.append(phonemes)
    return out


def plan(text: str, extra: tuple = (), accent: Accent | None = None) -> list[Piece]:
    """What the model is asked to say, piece by piece (SynthesisFailed if it cannot say it)."""
    if importlib.util.find_spec("misaki") is None:
        raise EngineUnavailable(_("{what} is not installed: run `{command}`").format(
            what="misaki", command=kokoro_model.PIP_HINT))
    return list(_plan(text, tuple(extra), accent))


@lru_cache(maxsize=1024)  # `normalize --json` and the synthesis both need it
def _plan(text: str, extra: tuple, accent: Accent | None) -> tuple[Piece, ...]:
    from dataclasses import replace

    ENGINE.refuse_digits(text)  # the model would read them as nothing or as noise
    out: list[Piece] = []
    for sentence in sentences(spell_letters(text)):
        pinyin, phonemes, syllables, categories = _sentence(sentence, extra, accent)
        parts = _fit(phonemes, MAX_IDS)
        for n, (part, (said, kinds)) in enumerate(zip(parts, _share(parts, syllables, categories))):
            out.append(Piece(pinyin=pinyin if n == 0 else "", phonemes=part,
                             pause="sentence" if n == len(parts) - 1 else "comma", syllables=said,
                             categories=kinds if accent is not None else ()))
    if not out:
        raise SynthesisFailed(_(ENGINE.nothing_to_say).format(text=text))
    out[-1] = replace(out[-1], pause="")
    return tuple(out)


def token_ids(phonemes: str) -> list[int]:
    """Model ids for a phoneme string; a symbol outside the model's vocabulary is left out."""
    table = kokoro_model.vocab()
    return [table[c] for c in phonemes if c in table]


class KokoroEngine(KokoroSpec, PinyinVoice):
    """Kokoro-82M v1.0: natural offline Mandarin, four male and four female speakers, 24 kHz."""

    threads_env = "BROADCASTER_KOKORO_THREADS"
    cannot_read_digits = N_("the Kokoro voice cannot read the digits '{digits}' (numbers must be written "
                            "out in Chinese first)")
    nothing_to_say = N_("the Kokoro voice has nothing to say in '{text}' (it speaks Chinese "
                        "characters only)")
    invalid_audio = N_("the Kokoro voice produced invalid audio for '{text}'")

    def _open(self, threads: int):
        """One ONNX Runtime session of the model, checked by sha256 as it is read, with its token
        durations as a second output (the same audio; a model without that node opens without it)."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its warnings go to stderr; we print nothing below the CLI
        model = kokoro_model.model_bytes()
        try:
            session = onnxruntime.InferenceSession(model + kokoro_model.durations_suffix(), options,
                                                   providers=["CPUExecutionProvider"])
            if kokoro_model.DURATIONS in {o.name for o in session.get_outputs()}:
                return session
        except _runtime_errors():
            pass  # a model exported otherwise: no syllable times, the same speech
        try:
            return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except _runtime_errors() as exc:
            raise EngineUnavailable(_("the Kokoro model could not be loaded ({error}): run `{command}` again "
                                      "with --force-reinstall").format(error=exc, command=kokoro_model.PIP_HINT)
                                    ) from None

    def version(self) -> str:
        try:
            digest = kokoro_model.expected_model_sha256()[:12]
        except EngineUnavailable:
            digest = "missing"
        misaki = _package_version("misaki")
        return f"kokoro-82m-v1.0-{digest} voices {kokoro_model.voice_table()['package']} " \
               f"misaki {misaki} frontend {FRONTEND_VERSION}-{punctuation_digest()}"

    def available(self) -> tuple[bool, str]:
        for module, what in (("onnxruntime", "ONNX Runtime"), ("misaki", "misaki")):
            if importlib.util.find_spec(module) is None:
                return False, _("{what} is not installed: run `{command}`").format(
                    what=what, command=kokoro_model.PIP_HINT)
        try:
            kokoro_model.part_paths()
            kokoro_model.vocab()
            kokoro_model.voices_folder()
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, ""

    def speakers(self) -> dict[str, str]:
        """Speaker name -> male | female."""
        return {n: v["sex"] for n, v in kokoro_model.voice_table()["voices"].items()}

    def speaker(self, voice: VoiceProfile) -> str:
        """The named speaker for a profile: its kokoro `speaker`, else its own, male/female mapped."""
        wanted = str(voice.engine_settings(self.name).get("speaker", "male"))
        table = kokoro_model.voice_table()
        name = table["default"].get(wanted, wanted)
        if name not in table["voices"]:
            raise BadInput(_("unknown speaker '{speaker}' for the Kokoro voice").format(speaker=wanted),
                           _("use male, female or one of: {names}").format(names=", ".join(table["voices"])),
                           voice.path)
        return name

    def parameters(self, voice: VoiceProfile) -> dict:
        settings = voice.engine_settings(self.name)
        # speed multiplies Kokoro's own speaking rate: below 1 is slower
        return {"speaker": self.speaker(voice), "speed": float(settings.get("speed", 1.0))}

    def reading(self, text: str, pronunciations: tuple = (), accent: Accent | None = None) -> dict:
        """The front end's pinyin after tone sandhi (or with the accent's stage), one item a
        syllable, and the phonemes of each piece."""
        pieces = plan(text, pronunciations, accent)
        return {"pinyin": re.findall(r"[a-zü]+[1-5]", " ".join(p.pinyin for p in pieces)),
                "phonemes": [p.phonemes for p in pieces]}

    def plan(self, text: str, pronunciations: tuple = (), accent: Accent | None = None) -> list[Piece]:
        return plan(text, pronunciations, accent)

    def _refuse_profile(self, voice: VoiceProfile) -> None:
        if self.name not in voice.engines:
            # a profile that does not list Kokoro may hold dialect words only a dialect voice can read
            raise SynthesisFailed(_("the voice profile '{profile}' has no Kokoro voice (Kokoro speaks "
                                    "Mandarin only)").format(profile=voice.name))

    def _speak(self, session, pieces: list[Piece], params: dict) -> Iterator:
        styles = kokoro_model.voice_style(params["speaker"])
        timed = kokoro_model.DURATIONS in {o.name for o in session.get_outputs()}
        table = kokoro_model.vocab()
        for piece in pieces:
            kept = [(table[c], o) for c, o in zip(piece.phonemes, owners(piece.phonemes, piece.syllables))
                    if c in table]
            if not kept:
                yield None
                continue
            ids = [i for i, _ in kept]
            audio, durations = _run(session, ids, styles[len(ids) - 1], params["speed"], timed)
            spans = () if durations is None else frame_spans(
                durations, [-1, *(o for _, o in kept), -1], len(piece.syllables),
                SAMPLES_PER_FRAME / ENGINE.sample_rate, AUDIO_LEAD_S)
            yield audio, spans


def _run(session, ids: list[int], style, speed: float, timed: bool = False):
    """(audio, frames per token or None) for one piece."""
    import numpy as np

    outputs = ["audio", kokoro_model.DURATIONS] if timed else ["audio"]
    try:
        got = session.run(outputs, {"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                                    "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
                                    "speed": np.array([speed], dtype=np.float32)})
    except _runtime_errors() as exc:
        raise SynthesisFailed(_("the Kokoro voice failed on a piece of text ({error})").format(error=exc)) from None
    return np.asarray(got[0], dtype=np.float32).reshape(-1), (got[1] if timed else None)


# onnxruntime's own exception types; they derive from Exception directly, not from RuntimeError
_ORT_ERRORS = ("Fail", "InvalidArgument", "NoSuchFile", "NoModel", "EngineError", "RuntimeException",
               "InvalidProtobuf", "InvalidGraph", "NotImplemented", "EPFail")


@lru_cache(maxsize=1)
def _runtime_errors() -> tuple[type[Exception], ...]:
    """What ONNX Runtime raises for a bad model or input: its own types and the Python ones it uses."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    return tuple(getattr(state, n) for n in _ORT_ERRORS if hasattr(state, n)) + (RuntimeError, ValueError, OSError)


def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


ENGINE = KokoroEngine()
