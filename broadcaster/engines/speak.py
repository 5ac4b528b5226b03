"""Speaking notices: per notice the first engine that manages every sentence, through the clip cache.

Engines that declare `asynchronous = True` (edge) send their requests concurrently, bounded by
one semaphore for the whole render (`--concurrency`); the others (espeak, neural, kokoro) are CPU-bound
and run one at a time in a worker thread. `speak_then` overlaps the speech of later notices
with the assembly, mastering and export of earlier ones.
"""
from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, TypeVar

from broadcaster.engines.base import Clip, Engine, get_engine
from broadcaster.audio.cache import CACHE, ClipCache, clip_key
from broadcaster.errors import BadInput, CouldNotDo, EngineUnavailable, SynthesisFailed
from broadcaster.i18n import _
from broadcaster.speech.pinyin import frontend_digest
from broadcaster.speech.spoken import engine_text

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile

DEFAULT_CONCURRENCY = 3  # the service tolerates about 2-4 parallel requests per address
R = TypeVar("R")


@dataclass(frozen=True)
class SpeakJob:
    """One notice's speech: written sentence -> the spoken text the engine is given."""

    texts: dict
    voice: VoiceProfile
    engines: tuple[str, ...]
    where: str  # the notice file, for the message when no engine manages it
    pronunciations: tuple = ()  # the user's polyphone fixes, put in each engine's form
    # the same notice's readings in its other voices (`alternate:`), by voice key: each is spoken
    # on the first of its engines that manages it (a 粤语 reading by a Cantonese voice, the
    # Mandarin one by the voice heard best)
    also: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Spoken:
    """Which engine spoke a notice, its clips by written sentence, and why earlier engines did not."""

    engine: str
    clips: dict
    skipped: dict = field(default_factory=dict)
    synthesized: int = 0  # clips made now; the rest came from the cache
    also: dict = field(default_factory=dict)  # voice key -> Spoken, for SpeakJob.also


@dataclass
class Limits:
    """What one render shares across notices (created inside its event loop)."""

    requests: asyncio.Semaphore
    cpu: asyncio.Lock
    # cache key -> the request making that clip: notices sharing a sentence send it once
    inflight: dict = field(default_factory=dict)


async def all_or_nothing(coros: list) -> list:
    """Run coroutines together; on the first failure cancel the rest and raise it."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def speak_async(job: SpeakJob, limits: Limits, cache: ClipCache = CACHE) -> Spoken:
    """The first engine in `job.engines` that speaks every sentence (cached clips cost nothing).

    A cached engine is used without asking whether it is available, so an unchanged notice
    re-renders with no synthesis and no network request. CouldNotDo when none manages. The readings
    in other voices (`job.also`) are spoken after, each the same way; all of them or nothing.
    """
    spoken = await _speak_one(job, limits, cache)
    if not job.also:
        return spoken
    also = {key: await _speak_one(other, limits, cache) for key, other in job.also.items()}
    return Spoken(engine=spoken.engine, clips=spoken.clips, skipped=spoken.skipped,
                  synthesized=spoken.synthesized + sum(s.synthesized for s in also.values()), also=also)


async def _speak_one(job: SpeakJob, limits: Limits, cache: ClipCache) -> Spoken:
    skipped: dict[str, str] = {}
    last: CouldNotDo | None = None
    for name in job.engines:
        refused = job.voice.cannot_say(name)
        if refused:  # dialect text never goes to a Mandarin-only voice, cached or not
            skipped[name] = refused
            last = EngineUnavailable(refused)
            continue
        try:
            engine = get_engine(name)
            params = engine.parameters(job.voice)
            version = await asyncio.to_thread(engine.version)
            # the engine is known only now, so its form of the pronunciation fixes is applied here
            texts = {w: engine_text(s, job.voice, name, job.pronunciations) for w, s in job.texts.items()}
            fixes = _pinyin_fixes(engine, job.pronunciations, set(texts.values()))
            keys = await asyncio.to_thread(
                lambda: {spoken: clip_key(name, version, _key_parameters(engine, params, fixes.get(spoken), job.voice),
                                          spoken)
                         for spoken in set(texts.values())})
            found = await asyncio.to_thread(lambda: {s: cache.get(k) for s, k in keys.items()})
            made = {s: c for s, c in found.items() if c is not None}
            missing = sorted(s for s in keys if s not in made)
            if missing:
                ok, why = await asyncio.to_thread(engine.available)
                if not ok:
                    raise EngineUnavailable(why)
                clips = await _synthesize(engine, missing, [keys[s] for s in missing], job.voice, limits, cache,
                                          fixes)
                made.update(zip(missing, clips))
            return Spoken(engine=name, clips={w: made[s] for w, s in texts.items()}, skipped=skipped,
                          synthesized=len(missing))
        except (EngineUnavailable, SynthesisFailed) as exc:
            skipped[name] = str(exc)
            last = exc
    reasons = _("; ").join(_("{engine}: {reason}").format(engine=k, reason=v) for k, v in skipped.items())
    raise type(last or CouldNotDo)(_("{where}: no engine could speak it ({reasons})").format(
        where=job.where, reasons=reasons))


def _pinyin_fixes(engine: Engine, pronunciations: tuple, texts: set[str]) -> dict[str, tuple]:
    """For an engine that reads pinyin (neural): the user's fixes whose word each text holds.

    Such an engine gets its text unchanged, so the fixes go with it, and into the clip's key.
    """
    if not pronunciations or not engine.takes_pinyin:
        return {}
    return {t: tuple(p for p in pronunciations if p.word in t) for t in texts}


def _key_parameters(engine: Engine, params: dict, fixes: tuple | None, voice: VoiceProfile | None = None) -> dict:
    """What a clip's key covers besides engine, version and text: the engine's parameters, the pinyin
    fixes, and for every engine that reads pinyin (neural, kokoro) the shared Mandarin front end's
    digest with the voice profile's accent, so a change there (polyphone rules, word fixes, sandhi,
    the accent's data or the profile's choice of it) makes new clips for all of them."""
    out = _with_fixes(params, fixes)
    if engine.takes_pinyin:
        accent = voice.accent_for(engine.name) if voice is not None else None
        out = {**out, "frontend": frontend_digest(accent)}
        if accent is not None and accent.contours == "exact":  # reshaped after synthesis: Praat's part too
            from broadcaster.engines.contours import contours_digest
            out["contours"] = contours_digest()
    return out


def _with_fixes(params: dict, fixes: tuple | None) -> dict:
    """The parameters a clip's key covers: the engine's, plus the pinyin fixes it was spoken with."""
    if not fixes:
        return params
    return {**params, "pronounce": [[p.word, *p.pinyin] for p in fixes]}


async def _synthesize(engine: Engine, texts: list[str], keys: list[str], voice: VoiceProfile, limits: Limits,
                      cache: ClipCache, fixes: dict[str, tuple] | None = None) -> list[Clip]:
    """Make and cache the clips: concurrently for asynchronous engines, else one at a time."""
    fixes = fixes or {}
    if not engine.asynchronous:
        def make_all() -> list[Clip]:
            return [engine.synthesize(t, voice, fixes[t]) if fixes.get(t) else engine.synthesize(t, voice)
                    for t in texts]

        async with limits.cpu:  # eSpeak is a process-wide singleton; neural wants the cores to itself
            clips = await asyncio.to_thread(make_all)
        await asyncio.to_thread(lambda: [cache.put(k, c) for k, c in zip(keys, clips)])
        return clips

    async def make(text: str, key: str) -> Clip:
        clip = await engine.synthesize_async(text, voice, limits.requests)
        await asyncio.to_thread(cache.put, key, clip)  # cached before other notices stop waiting on us
        return clip

    def shared(text: str, key: str) -> asyncio.Future:
        task = limits.inflight.get(key)
        if task is None:
            task = limits.inflight[key] = asyncio.ensure_future(make(text, key))
            task.add_done_callback(lambda _t: limits.inflight.pop(key, None))
        return asyncio.shield(task)  # one notice giving up must not cancel another's wait

    return await all_or_nothing([shared(t, k) for t, k in zip(texts, keys)])


def speak(job: SpeakJob, concurrency: int = DEFAULT_CONCURRENCY) -> Spoken:
    """Blocking form of speak_async for one notice."""

    async def main() -> Spoken:
        return await speak_async(job, Limits(asyncio.Semaphore(concurrency), asyncio.Lock()))

    return run_async(main)


def speak_then(jobs: list[SpeakJob], finish: Callable[[int, Spoken], R], concurrency: int = DEFAULT_CONCURRENCY,
               on_finished: Callable[[int, R | CouldNotDo], None] | None = None) -> list[R | CouldNotDo]:
    """Speak every job, then `finish(i, spoken)` each (in worker threads, up to two at once).

    Returns per job what finish returned, or the CouldNotDo that stopped it; `on_finished` is
    called in the caller's thread as each job ends. Other errors (bad input, bugs) propagate.
    """
    if concurrency < 1:
        raise BadInput(_("--concurrency {n} is out of range").format(n=concurrency), _("use 1 or more"))

    async def main() -> list:
        limits = Limits(asyncio.Semaphore(concurrency), asyncio.Lock())
        window = asyncio.Semaphore(2 * max(2, concurrency))  # notices held in memory at once
        finishing = asyncio.Semaphore(min(2, os.cpu_count() or 1))  # mastering is CPU work: a core each
        outcomes: list = [None] * len(jobs)

        async def one(i: int) -> None:
            async with window:
                try:
                    spoken = await speak_async(jobs[i], limits)
                    async with finishing:
                        outcome = await asyncio.to_thread(finish, i, spoken)
                except CouldNotDo as exc:
                    outcome = exc
            outcomes[i] = outcome
            if on_finished:
                on_finished(i, outcome)

        await all_or_nothing([one(i) for i in range(len(jobs))])
        return outcomes

    return run_async(main)


def run_async(main: Callable):
    """asyncio.run(main()), also from code that already runs an event loop (in a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def program_srt(pieces: list[tuple[float, Clip]]) -> str:
    """SRT cues from engine sentence timings; `pieces` are (start in the program, clip) in order."""
    cues = []
    for start, clip in pieces:
        for b in clip.boundaries:
            cues.append((start + b.start, start + b.end, b.text.strip()))
    return srt_cues(cues)


def srt_cues(cues: list[tuple[float, float, str]]) -> str:
    """SRT text of (start, end, text) cues in seconds, in order."""
    lines = []
    for n, (a, b, text) in enumerate(cues, 1):
        lines += [str(n), f"{_srt_time(a)} --> {_srt_time(b)}", text, ""]
    return "\n".join(lines)


def _srt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"
