"""The skeleton of the on-device voices that read the shared Mandarin front end's pinyin (neural, kokoro).

Each runs one model on this computer. The model is loaded on first use, once `available()` says
it can be; one instance sits behind a lock (parallel work uses processes: `render -j`), with its
thread count from an environment variable. The text is planned as pieces, each spoken in one model
call and followed by the voice profile's pause; digits are refused, because a model drops them
silently and a vanished phone number is worse than eSpeak. An engine supplies what differs: how it
plans the pieces, loads its model and speaks them.
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

    from broadcaster.speech.voices import VoiceProfile


@dataclass(frozen=True)
class Piece:
    """What a model says in one call, and the pause after it ("" at the very end)."""

    text: str = ""      # the written stretch it speaks (neural)
    pause: str = ""     # comma | sentence | breath | ""
    pinyin: str = ""    # the front end's reading of it, for people (kokoro)
    phonemes: str = ""  # the model's symbols for it (kokoro)


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

    def plan(self, text: str, pronunciations: tuple = ()) -> list[Piece]:
        """The pieces the model is asked to say; SynthesisFailed when it cannot say the text."""
        raise NotImplementedError

    def _speak(self, model: Any, pieces: list[Piece], params: dict) -> Iterator[np.ndarray | None]:
        """Float samples at `sample_rate` for each piece in turn (None: nothing to say in it)."""
        raise NotImplementedError

    def _refuse_profile(self, voice: VoiceProfile) -> None:
        """SynthesisFailed when this voice must not speak the profile at all."""

    # ------------------------------------------------------------------ the shared steps
    def refuse_digits(self, text: str) -> None:
        digits = DIGIT_RUN.search(text)
        if digits:
            raise SynthesisFailed(_(self.cannot_read_digits).format(digits=digits.group(0)))

    def reading(self, text: str, pronunciations: tuple = ()) -> dict:
        """The front end's pinyin for the text, one syllable per character, after tone sandhi."""
        return {"pinyin": mandarin_pinyin(text, pronunciations)}

    def synthesize(self, text: str, voice: VoiceProfile, pronunciations: tuple = ()) -> Clip:
        import numpy as np

        self._refuse_profile(voice)
        params = self.parameters(voice)
        pieces = self.plan(text, pronunciations)
        pauses = {"comma": voice.pauses.comma, "sentence": voice.pauses.sentence, "breath": self.breath_ms, "": 0}
        audio = []
        with self._lock:
            model = self._load()
            for piece, samples in zip(pieces, self._speak(model, pieces, params)):
                if samples is None:
                    continue
                audio.append(samples)
                audio.append(np.zeros(int(self.sample_rate * pauses[piece.pause] / 1000), dtype=np.float32))
        if not audio:
            raise SynthesisFailed(_(self.nothing_to_say).format(text=text))
        return self._clip(audio, text)

    def _clip(self, audio: list, text: str) -> Clip:
        import numpy as np

        samples = np.concatenate(audio)
        if not np.isfinite(samples).all():
            raise SynthesisFailed(_(self.invalid_audio).format(text=text))
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        return Clip(pcm=pcm, sample_rate=self.sample_rate, engine=self.name)
