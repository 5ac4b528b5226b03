"""eSpeak NG in process, from the espeakng-loader wheel: the offline engine that always works.

This is the only module that touches libespeak-ng.
"""
from __future__ import annotations

import ctypes
import threading
from typing import TYPE_CHECKING

from broadcaster.engine_specs import EspeakSpec
from broadcaster.engines.base import Clip
from broadcaster.errors import EngineUnavailable, SynthesisFailed
from broadcaster.i18n import N_, _

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile

INSTALL_HINT = N_("install it with `pip install espeakng-loader` (it bundles libespeak-ng and its data)")

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a bad data path makes the library exit(1) Python
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000
_POS_CHARACTER = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4

_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class EspeakEngine(EspeakSpec):
    """eSpeak NG: robotic but always there, ~1000x real time."""

    def __init__(self) -> None:
        # The library is a process-wide singleton: four unlocked threads segfault it.
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._rate = 0
        self._chunks: list[bytes] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: C holds the pointer
        self._version = "unknown"
        self._current_voice: str | None = None

    def _load(self) -> ctypes.CDLL:
        if self._lib is not None:
            return self._lib
        try:
            import espeakng_loader
        except ImportError:
            raise EngineUnavailable(_("eSpeak NG is not installed: {hint}").format(hint=_(INSTALL_HINT))) from None
        try:
            lib = ctypes.CDLL(str(espeakng_loader.get_library_path()))
        except OSError as exc:
            raise EngineUnavailable(_("libespeak-ng could not be loaded ({error}): {hint}").format(
                error=exc, hint=_(INSTALL_HINT))) from None
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        data = str(espeakng_loader.get_data_path()).encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, _INITIALIZE_DONT_EXIT)
        if rate <= 0:
            raise EngineUnavailable(_("eSpeak NG failed to start (data at {folder}): {hint}").format(
                folder=data.decode(), hint=_(INSTALL_HINT)))
        lib.espeak_SetSynthCallback(self._callback)
        self._rate = rate
        self._version = (lib.espeak_Info(None) or b"unknown").decode()
        self._lib = lib
        return lib

    def _collect(self, wav, numsamples, events) -> int:
        if numsamples > 0 and wav:
            self._chunks.append(ctypes.string_at(wav, numsamples * 2))
        return 0

    def version(self) -> str:
        with self._lock:
            self._load()
        return f"espeak-ng {self._version}"

    def available(self) -> tuple[bool, str]:
        try:
            with self._lock:
                self._load()
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, ""

    def parameters(self, voice: VoiceProfile) -> dict:
        settings = voice.engine_settings(self.name)
        return {"voice": settings.get("voice", "cmn"),
                "speed": int(settings.get("speed", 140)),
                "pitch": int(settings.get("pitch", 50)),
                "range": int(settings.get("range", 50))}

    def synthesize(self, text: str, voice: VoiceProfile) -> Clip:
        params = self.parameters(voice)
        with self._lock:
            lib = self._load()
            if self._current_voice != params["voice"]:
                if lib.espeak_SetVoiceByName(params["voice"].encode()) != 0:
                    raise SynthesisFailed(_("eSpeak NG has no voice '{voice}'").format(voice=params["voice"]))
                self._current_voice = params["voice"]
            lib.espeak_SetParameter(_RATE, params["speed"], 0)
            lib.espeak_SetParameter(_PITCH, params["pitch"], 0)
            lib.espeak_SetParameter(_RANGE, params["range"], 0)
            self._chunks = []
            data = text.encode("utf-8") + b"\0"
            status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE,
                                      None, None)
            pcm = b"".join(self._chunks)
            self._chunks = []
        if status != 0:
            raise SynthesisFailed(_("eSpeak NG could not speak the text (error {status})").format(status=status))
        return Clip(pcm=pcm, sample_rate=self._rate, engine=self.name)


ENGINE = EspeakEngine()
