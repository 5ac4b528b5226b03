"""Kokoro-82M v1.0 (Apache-2.0): natural offline Mandarin with male and female speakers, on ONNX Runtime.

The reading is ours: the normalized text goes through the shared Mandarin front end
(speech/pinyin.py, as for the neural engine: polyphones in context, our and the user's fixes, tone
sandhi), and misaki turns each tone-numbered syllable it gives into the IPA with tone arrows the
model was trained on. Nothing is added to the front end's reading here: a syllable the user fixed
is said as written. Text is cut at sentence ends (and, past the model's
510 phonemes, at commas or words) with the voice profile's pauses between the pieces.

This is the only module that touches onnxruntime and the Kokoro model.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from broadcaster.engine_specs import KokoroSpec
from broadcaster.engines import kokoro_model
from broadcaster.engines.pinyin_voice import Piece, PinyinVoice
from broadcaster.errors import BadInput, EngineUnavailable, SynthesisFailed
from broadcaster.i18n import N_, _
from broadcaster.speech.characters import HAN, marks, punctuation_digest
from broadcaster.speech.pinyin import spell_letters, split_erhua, spoken_words

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile

MAX_IDS = 510  # the model's position table; tokens are [0, *ids, 0]
FRONTEND_VERSION = "2"  # bump when the same pinyin would give other phonemes (2: no second sandhi)
# our punctuation -> the model's (the ASCII marks it was trained with shape the intonation)
_PUNCT = {"，": ",", ",": ",", "、": ",", "。": ".", "．": ".", ".": ".", "！": "!", "!": "!", "？": "?",
          "?": "?", "：": ":", ":": ":", "；": ";", ";": ";", "…": "…", "—": "—", "“": "“", "”": "”",
          "《": "“", "》": "”", "「": "“", "」": "”", "（": "(", "）": ")", "(": "(", ")": ")"}
_NOT_PHONEME = chr(815)  # misaki marks non-syllabic vowels with it; the model's vocabulary lacks it


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


def sentence_reading(sentence: str, extra: tuple = ()) -> tuple[str, str]:
    """(pinyin, phonemes) of one sentence: words apart by spaces, punctuation in the model's form."""
    pinyin, phonemes = [], []
    for word in spoken_words(sentence, extra):
        if word.syllables:
            pinyin.append("".join(word.syllables))
            phonemes.append("".join(syllable_ipa(s) for s in word.syllables))
            continue
        marks = "".join(_PUNCT[c] for c in word.text if c in _PUNCT)
        if marks:
            pinyin.append(marks)
            if phonemes:
                phonemes[-1] += marks  # "ni2hao3," as the model was trained: mark after the word
            else:
                phonemes.append(marks)
    return " ".join(pinyin), " ".join(phonemes)


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


def plan(text: str, extra: tuple = ()) -> list[Piece]:
    """What the model is asked to say, piece by piece (SynthesisFailed if it cannot say it)."""
    if importlib.util.find_spec("misaki") is None:
        raise EngineUnavailable(_("{what} is not installed: run `{command}`").format(
            what="misaki", command=kokoro_model.PIP_HINT))
    return list(_plan(text, tuple(extra)))


@lru_cache(maxsize=1024)  # `normalize --json` and the synthesis both need it
def _plan(text: str, extra: tuple) -> tuple[Piece, ...]:
    ENGINE.refuse_digits(text)  # the model would read them as nothing or as noise
    out: list[Piece] = []
    for sentence in sentences(spell_letters(text)):
        pinyin, phonemes = sentence_reading(sentence, extra)
        parts = _fit(phonemes, MAX_IDS)
        for n, part in enumerate(parts):
            out.append(Piece(pinyin=pinyin if n == 0 else "", phonemes=part,
                             pause="sentence" if n == len(parts) - 1 else "comma"))
    if not out:
        raise SynthesisFailed(_(ENGINE.nothing_to_say).format(text=text))
    out[-1] = Piece(pinyin=out[-1].pinyin, phonemes=out[-1].phonemes, pause="")
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
        """One ONNX Runtime session of the model, checked by sha256 as it is read."""
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its warnings go to stderr; we print nothing below the CLI
        try:
            return onnxruntime.InferenceSession(kokoro_model.model_bytes(), options,
                                                providers=["CPUExecutionProvider"])
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

    def reading(self, text: str, pronunciations: tuple = ()) -> dict:
        """The front end's pinyin after tone sandhi, one item a syllable, and the phonemes of each piece."""
        pieces = plan(text, pronunciations)
        return {"pinyin": re.findall(r"[a-zü]+[1-5]", " ".join(p.pinyin for p in pieces)),
                "phonemes": [p.phonemes for p in pieces]}

    def plan(self, text: str, pronunciations: tuple = ()) -> list[Piece]:
        return plan(text, pronunciations)

    def _refuse_profile(self, voice: VoiceProfile) -> None:
        if self.name not in voice.engines:
            # a profile that does not list Kokoro may hold dialect words only a dialect voice can read
            raise SynthesisFailed(_("the voice profile '{profile}' has no Kokoro voice (Kokoro speaks "
                                    "Mandarin only)").format(profile=voice.name))

    def _speak(self, session, pieces: list[Piece], params: dict) -> Iterator:
        styles = kokoro_model.voice_style(params["speaker"])
        for piece in pieces:
            ids = token_ids(piece.phonemes)
            yield _run(session, ids, styles[len(ids) - 1], params["speed"]) if ids else None


def _run(session, ids: list[int], style, speed: float):
    import numpy as np

    try:
        (audio,) = session.run(["audio"], {"tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                                           "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
                                           "speed": np.array([speed], dtype=np.float32)})
    except _runtime_errors() as exc:
        raise SynthesisFailed(_("the Kokoro voice failed on a piece of text ({error})").format(error=exc)) from None
    return np.asarray(audio, dtype=np.float32).reshape(-1)


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
