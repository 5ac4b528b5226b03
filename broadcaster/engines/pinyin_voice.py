"""The skeleton of the on-device voices that read the shared Mandarin front end's pinyin (neural, kokoro).

Each runs one model on this computer. The model is loaded on first use, once `available()` says
it can be; one instance sits behind a lock (parallel work uses processes: `render -j`), with its
thread count from an environment variable. The text is planned as pieces, each spoken in one model
call and followed by the voice profile's pause; digits are refused, because a model drops them
silently and a vanished phone number is worse than eSpeak. An engine supplies what differs: how it
plans the pieces, loads its model and speaks them.

A voice profile's accent (speech/accent.py) goes with the text to the front end, so both voices say
it; with `contours: exact` each syllable's pitch is then reshaped to the accent's own Chao contour
(engines/contours.py), which needs each syllable's start and end: both models report how long they
hold each symbol, so `synthesize_timed` gives the syllable times of what it said.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from broadcaster.engine_specs import EngineSpec
from broadcaster.engines.base import Clip
from broadcaster.errors import EngineUnavailable, SynthesisFailed
from broadcaster.i18n import _
from broadcaster.speech.characters import DIGIT_RUN
from broadcaster.speech.pinyin import mandarin_pinyin

if TYPE_CHECKING:
    import numpy as np

    from broadcaster.speech.accent import Accent
    from broadcaster.speech.voices import VoiceProfile


def _contours(accent: Accent | None):
    """The pitch reshaping for an accent that asks for its exact contours, else None."""
    if accent is None or accent.contours != "exact":
        return None
    import importlib.util

    if importlib.util.find_spec("parselmouth") is None:
        raise EngineUnavailable(_("the accent's exact contours need Praat: run `{command}`").format(
            command="pip install 'broadcaster[accent]'"))
    from broadcaster.engines.contours import reshape  # Praat (parselmouth): only when asked for

    return reshape


@dataclass(frozen=True)
class Piece:
    """What a model says in one call, and the pause after it ("" at the very end)."""

    text: str = ""      # the written stretch it speaks (neural)
    pause: str = ""     # comma | sentence | breath | ""
    pinyin: str = ""    # the front end's reading of it, for people (kokoro)
    phonemes: str = ""  # the model's symbols for it (kokoro)
    syllables: tuple[str, ...] = ()   # the front end's syllables it says, in order (syllable times)
    categories: tuple[str, ...] = ()  # with an accent: each syllable's category ("" none)


@dataclass(frozen=True)
class SyllableTime:
    """Where one spoken syllable sits in a clip, in seconds, from the model's own durations."""

    syllable: str
    category: str   # its accent category ("" without one)
    start: float
    end: float


def frame_spans(frames, owners: list[int], count: int, seconds_per_frame: float, lead: float = 0.0
                ) -> tuple[tuple[float, float], ...]:
    """Syllable times from a model's frames per symbol (owners as in syllable_spans); `lead`: how far
    the audio runs ahead of the frames. () when the frames do not match the symbols."""
    import numpy as np

    frames = np.asarray(frames, dtype=np.float64).reshape(-1)
    if len(frames) != len(owners):
        return ()
    ends = np.cumsum(frames) * seconds_per_frame - lead
    starts = ends - frames * seconds_per_frame
    return syllable_spans(owners, list(starts), list(ends), count)


def syllable_spans(owners: list[int], starts: list[float], ends: list[float], count: int
                   ) -> tuple[tuple[float, float], ...]:
    """Each of `count` syllables' (start, end) from the model's symbols: owners[k] is the syllable
    symbol k belongs to (-1: a boundary, a space, a mark), starts/ends its time. A syllable runs
    from its first symbol to the next syllable's first symbol (boundary symbols go with the syllable
    before: the voice holds its final through them); the last ends with its last symbol. A syllable
    the model had no symbol for gets no length, where it would have been."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for k, o in enumerate(owners):
        if o >= 0:
            first.setdefault(o, k)
            last[o] = k
    out = []
    for n in range(count):
        if n not in first:
            at = out[-1][1] if out else 0.0
            out.append((at, at))
            continue
        nxt = next((first[m] for m in range(n + 1, count) if m in first), None)
        end = starts[nxt] if nxt is not None else ends[last[n]]
        out.append((max(0.0, float(starts[first[n]])), max(0.0, float(end))))
    return tuple(out)


class PinyinVoice(EngineSpec):
    """Lazy load, lock and thread count, digit refusal, pieces and pauses, float samples -> Clip."""

    sample_rate = 24000
    threads_env = ""       # the environment variable that sets the model's thread count
    breath_ms = 0          # the pause after a piece cut inside a sentence ("breath")
    # N_ messages, each about this voice: {digits}, {text}, {text}
    cannot_read_digits = ""
    nothing_to_say = ""
    invalid_audio = ""

    def __init__(self, num_threads: int | None = None) -> None:
        self.num_threads = num_threads
        self._lock = threading.Lock()  # one model instance, not thread-safe
        self._model: Any = None

    def _threads(self) -> int:
        if self.num_threads:
            return self.num_threads
        return max(1, int(os.environ.get(self.threads_env, "1")))

    def _load(self) -> Any:
        """The model, loaded on first use (call with the lock held)."""
        if self._model is None:
            ok, why = self.available()
            if not ok:
                raise EngineUnavailable(why)
            self._model = self._open(self._threads())
        return self._model

    # ------------------------------------------------------------------ what each engine supplies
    def _open(self, threads: int) -> Any:
        """Load the model to run on `threads` threads; EngineUnavailable when it cannot be."""
        raise NotImplementedError

    def plan(self, text: str, pronunciations: tuple = (), accent: Accent | None = None) -> list[Piece]:
        """The pieces the model is asked to say (with `accent`'s reading); SynthesisFailed when it
        cannot say the text."""
        raise NotImplementedError

    def _speak(self, model: Any, pieces: list[Piece], params: dict
               ) -> Iterator[tuple[np.ndarray, tuple[tuple[float, float], ...]] | None]:
        """For each piece in turn: float samples at `sample_rate` and each of its syllables' (start,
        end) in seconds (() when the model cannot tell); None: nothing to say in it."""
        raise NotImplementedError

    def _refuse_profile(self, voice: VoiceProfile) -> None:
        """SynthesisFailed when this voice must not speak the profile at all."""

    # ------------------------------------------------------------------ the shared steps
    def refuse_digits(self, text: str) -> None:
        digits = DIGIT_RUN.search(text)
        if digits:
            raise SynthesisFailed(_(self.cannot_read_digits).format(digits=digits.group(0)))

    def reading(self, text: str, pronunciations: tuple = (), accent: Accent | None = None) -> dict:
        """The front end's pinyin for the text, one syllable per character, after tone sandhi (or
        with the accent's stage)."""
        return {"pinyin": mandarin_pinyin(text, pronunciations, accent)}

    def synthesize(self, text: str, voice: VoiceProfile, pronunciations: tuple = ()) -> Clip:
        return self.synthesize_timed(text, voice, pronunciations)[0]

    def synthesize_timed(self, text: str, voice: VoiceProfile, pronunciations: tuple = ()
                         ) -> tuple[Clip, tuple[SyllableTime, ...]]:
        """The clip and where each syllable sits in it (from the model's durations; () for a piece
        whose model cannot tell). With the profile's accent, and its exact contours if it asks."""
        import numpy as np

        self._refuse_profile(voice)
        params = self.parameters(voice)
        accent = voice.accent_for(self.name)
        pieces = self.plan(text, pronunciations, accent)
        reshape = _contours(accent)
        pauses = {"comma": voice.pauses.comma, "sentence": voice.pauses.sentence, "breath": self.breath_ms, "": 0}
        audio, times, at = [], [], 0
        with self._lock:
            model = self._load()
            for piece, voiced in zip(pieces, self._speak(model, pieces, params)):
                if voiced is None:
                    continue
                samples, spans = voiced
                if reshape is not None and spans:
                    samples = reshape(samples, self.sample_rate, spans, piece.categories, accent)
                offset = at / self.sample_rate
                times.extend(SyllableTime(s, c, offset + a, offset + b) for s, c, (a, b)
                             in zip(piece.syllables, piece.categories or ("",) * len(spans), spans))
                silence = np.zeros(int(self.sample_rate * pauses[piece.pause] / 1000), dtype=np.float32)
                audio += [samples, silence]
                at += len(samples) + len(silence)
        if not audio:
            raise SynthesisFailed(_(self.nothing_to_say).format(text=text))
        return self._clip(audio, text), tuple(times)

    def _clip(self, audio: list, text: str) -> Clip:
        import numpy as np

        samples = np.concatenate(audio)
        if not np.isfinite(samples).all():
            raise SynthesisFailed(_(self.invalid_audio).format(text=text))
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return Clip(pcm=pcm, sample_rate=self.sample_rate, engine=self.name)
