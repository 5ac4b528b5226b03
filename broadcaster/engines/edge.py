"""edge-tts: Microsoft's online neural voices (Mandarin, Northeastern, Shaanxi, Cantonese), made dependable.

edge-tts does the protocol; this module adds what a broadcast needs from a flaky service:
its async API only, our own deadline around every request, Chinese split at sentence ends,
truncated audio detected from the sentence timings, retries with backoff for transient
failures only, and a caller-supplied semaphore so parallel requests stay bounded.
"""
from __future__ import annotations

import asyncio
import random
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from broadcaster.config import EdgeSettings, edge_settings, offline
from broadcaster.engine_specs import EdgeSpec
from broadcaster.engines.base import Boundary, Clip
from broadcaster.engines.speak import all_or_nothing, run_async
from broadcaster.errors import AudioError, BadInput, EngineUnavailable, SynthesisFailed
from broadcaster.i18n import _, ngettext
from broadcaster.speech.characters import mark_class, marks

if TYPE_CHECKING:
    from broadcaster.speech.voices import VoiceProfile

SAMPLE_RATE = 24000          # the service's audio-24khz-48kbitrate-mono-mp3
MP3_BYTES_PER_SECOND = 6000  # 48 kbit/s CBR
TICKS = 10_000_000           # boundary times are in 100 ns ticks
PIECE_CHARS = 300            # one request's text: well under the service's ~10 min cut-off
TRUNCATION_SLACK = 0.1       # seconds of audio that may be missing before we call it truncated
REACH_TIMEOUT = 1.0          # `auto` must not hang on a machine without internet
REACH_TTL = 30.0             # seconds a reachability verdict is trusted
DOWN_TTL = 60.0              # seconds the engine stays skipped after the service proved unusable
DEFAULT_VOICES = {"zh-CN": "zh-CN-XiaoxiaoNeural", "zh-HK": "zh-HK-HiuGaaiNeural",
                  "zh-TW": "zh-TW-HsiaoChenNeural"}
_PERCENT = re.compile(r"[+-]\d+%")  # used with fullmatch (a `$` lets a final newline through)
_HERTZ = re.compile(r"[+-]\d+Hz")


class _Transient(Exception):
    """A failure worth another attempt; `network` when the service itself could not be reached."""

    def __init__(self, reason: str, network: bool = False, wait: float | None = None) -> None:
        super().__init__(reason)
        self.network = network
        self.wait = wait


def split_pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """Text in pieces of at most `limit` characters, cut at sentence ends (else commas, else hard).

    edge-tts only splits at newlines and spaces, which Chinese rarely has; pieces that hold
    nothing speakable (only punctuation) are dropped because the service answers them with no audio.
    """
    pieces: list[str] = []
    current = ""
    sentence_end = re.compile(f"(?<=[{mark_class('full_stop', 'clause_stop')}])")
    for sentence in sentence_end.split(text.strip()):
        while len(sentence) > limit:
            cut = max(sentence.rfind(c, 0, limit) for c in marks("comma", "colon"))
            cut = cut + 1 if cut > 0 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if current and len(current) + len(sentence) > limit:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if re.search(r"\w", p)]


def _endpoint_label(url: str) -> str:
    """The endpoint without its query (which may carry a token), for messages and the cache key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass
class _Verdict:
    ok: bool
    why: str
    until: float


class EdgeEngine(EdgeSpec):
    """Microsoft Edge's read-aloud voices through edge-tts; needs the internet (or BROADCASTER_EDGE_URL).

    `asynchronous`: render runs its requests concurrently, bounded by --concurrency.
    """

    def __init__(self) -> None:
        self._reach: dict[str, _Verdict] = {}
        self._down: dict[str, _Verdict] = {}
        self._guard = threading.Lock()

    # ------------------------------------------------------------------ settings
    @staticmethod
    def _library():
        try:
            import edge_tts
            import edge_tts.communicate
        except ImportError:
            raise EngineUnavailable(_("edge-tts is not installed: install it with `pip install edge-tts`")) from None
        return edge_tts

    def _url(self, settings: EdgeSettings) -> str:
        url = settings.url or self._library().constants.WSS_URL
        return url if "?" in url else url + "?"  # the client appends &ConnectionId=...

    def version(self) -> str:
        settings = edge_settings()
        return f"edge-tts {self._library().__version__} {_endpoint_label(self._url(settings))}"

    def parameters(self, voice: VoiceProfile) -> dict:
        settings = voice.engine_settings(self.name)
        params = {"voice": str(settings.get("voice") or DEFAULT_VOICES.get(voice.language, DEFAULT_VOICES["zh-CN"])),
                  "rate": str(settings.get("rate", "+0%")), "volume": str(settings.get("volume", "+0%")),
                  "pitch": str(settings.get("pitch", "+0Hz"))}
        for key, pattern, example in (("rate", _PERCENT, "-15%"), ("volume", _PERCENT, "+0%"),
                                      ("pitch", _HERTZ, "+0Hz")):
            if not pattern.fullmatch(params[key]):
                raise BadInput(_("edge {key} '{value}' is not in edge-tts form").format(key=key, value=params[key]),
                               _("write it with a sign, like \"{example}\"").format(example=example), voice.path)
        return params

    # ------------------------------------------------------------------ availability
    def available(self) -> tuple[bool, str]:
        try:
            self._library()
        except EngineUnavailable as exc:
            return False, str(exc)
        settings = edge_settings()
        if offline() and not settings.configured:
            return False, _("offline (BROADCASTER_OFFLINE is set); unset it, or set BROADCASTER_EDGE_URL "
                            "to a reachable compatible endpoint")
        url = self._url(settings)
        now = time.monotonic()
        with self._guard:
            down = self._down.get(url)
            if down and down.until > now:
                return False, down.why
            known = self._reach.get(url)
        if known and known.until > now:
            return known.ok, known.why
        ok, why = _reachable(url)
        with self._guard:
            self._reach[url] = _Verdict(ok, why, time.monotonic() + REACH_TTL)
        return ok, why

    def forget(self) -> None:
        """Drop every reachability verdict (the network or the endpoint changed)."""
        with self._guard:
            self._reach.clear()
            self._down.clear()

    def _mark_down(self, url: str, why: str) -> None:
        with self._guard:
            self._down[url] = _Verdict(False, why, time.monotonic() + DOWN_TTL)

    # ------------------------------------------------------------------ synthesis
    def synthesize(self, text: str, voice: VoiceProfile) -> Clip:
        """Blocking form for callers without an event loop (one request at a time)."""
        return run_async(lambda: self.synthesize_async(text, voice))

    async def synthesize_async(self, text: str, voice: VoiceProfile,
                               limit: asyncio.Semaphore | None = None) -> Clip:
        """Speak `text`; each piece's request waits for `limit` (shared across a whole render)."""
        settings = edge_settings()
        params = self.parameters(voice)
        url = self._url(settings)
        pieces = split_pieces(text)
        if not pieces:
            raise SynthesisFailed(_("nothing speakable in '{text}'").format(text=text[:30]))
        results = await all_or_nothing([self._piece(p, params, url, settings, limit) for p in pieces])
        pcm_parts, bounds, at = [], [], 0.0
        for pcm, piece_bounds in results:
            bounds.extend(Boundary(at + b.start, at + b.end, b.text) for b in piece_bounds)
            pcm_parts.append(pcm)
            at += len(pcm) / 2 / SAMPLE_RATE
        return Clip(pcm=b"".join(pcm_parts), sample_rate=SAMPLE_RATE, engine=self.name, boundaries=tuple(bounds))

    async def _piece(self, piece: str, params: dict, url: str, settings: EdgeSettings,
                     limit: asyncio.Semaphore | None) -> tuple[bytes, list[Boundary]]:
        attempts = settings.retries + 1
        last: _Transient | None = None
        for attempt in range(attempts):
            if attempt:
                delay = settings.backoff * (2 ** (attempt - 1))
                delay = min(30.0, delay / 2 + random.uniform(0, delay / 2))  # equal jitter: no herd
                if last is not None and last.wait:
                    delay = max(delay, min(last.wait, 30.0))
                await asyncio.sleep(delay)
            try:
                if limit is None:
                    mp3, bounds = await self._request(piece, params, url, settings)
                else:
                    async with limit:
                        mp3, bounds = await self._request(piece, params, url, settings)
            except _Transient as exc:
                last = exc
                continue
            try:
                # the service sends MP3 and only audio/ runs ffmpeg; imported here, not at the top,
                # since it loads numpy
                from broadcaster.audio.decode import decode_mp3
                pcm = await asyncio.to_thread(decode_mp3, mp3, SAMPLE_RATE)
            except AudioError as exc:
                raise SynthesisFailed(_("the audio received could not be decoded ({error})").format(
                    error=exc)) from None
            return pcm, bounds
        why = ngettext("{reason} (gave up after {n} attempt)", "{reason} (gave up after {n} attempts)",
                       attempts).format(reason=last, n=attempts)
        if last is not None and last.network:
            self._mark_down(url, why)
            raise EngineUnavailable(why)
        raise SynthesisFailed(why)

    async def _request(self, piece: str, params: dict, url: str,
                       settings: EdgeSettings) -> tuple[bytes, list[Boundary]]:
        """One request under our deadline; raises _Transient or SynthesisFailed (permanent)."""
        import aiohttp

        edge_tts = self._library()
        from edge_tts import exceptions as ex

        # edge-tts copies the endpoint into this module at import: point it where settings say
        edge_tts.communicate.WSS_URL = url
        timeout = settings.timeout
        audio = bytearray()
        bounds: list[Boundary] = []

        async def stream() -> None:
            comm = edge_tts.Communicate(piece, params["voice"], rate=params["rate"], volume=params["volume"],
                                        pitch=params["pitch"], boundary="SentenceBoundary",
                                        connect_timeout=max(1, int(min(timeout, 10))),
                                        receive_timeout=max(1, int(timeout)))
            async for chunk in comm.stream():
                if chunk["type"] == "audio":
                    audio.extend(chunk["data"])
                elif chunk["type"] == "SentenceBoundary":
                    start = chunk["offset"] / TICKS
                    bounds.append(Boundary(start, start + chunk["duration"] / TICKS, chunk["text"]))

        host = urlsplit(url).netloc or _endpoint_label(url)
        try:
            await asyncio.wait_for(stream(), timeout)
        except asyncio.TimeoutError:
            raise _Transient(_("no complete answer from {host} within {seconds} s").format(
                host=host, seconds=f"{timeout:g}")) from None
        except aiohttp.WSServerHandshakeError as exc:
            wait = None
            if exc.status == 429 and exc.headers:
                try:
                    wait = float(exc.headers.get("Retry-After", ""))
                except ValueError:
                    wait = None
            raise _Transient(_("{host} refused the connection (HTTP {status})").format(host=host, status=exc.status),
                             network=True, wait=wait) from None
        except aiohttp.ClientResponseError as exc:
            raise _Transient(_("{host} answered HTTP {status}").format(host=host, status=exc.status),
                             network=True) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise _Transient(_("cannot reach {host} ({error})").format(host=host, error=f"{type(exc).__name__}: {exc}"),
                             network=True) from None
        except ex.NoAudioReceived:
            raise _Transient(_("{host} sent no audio (is voice '{voice}' offered there?)").format(
                host=host, voice=params["voice"])) from None
        except (ex.WebSocketError, ex.SkewAdjustmentError) as exc:
            raise _Transient(f"{host}: {type(exc).__name__}: {exc}", network=True) from None
        except (ex.UnknownResponse, ex.UnexpectedResponse) as exc:
            raise SynthesisFailed(_("{host} answered in a way edge-tts does not understand ({error}); "
                                    "the protocol may have changed — upgrade with `pip install -U edge-tts`").format(
                                        host=host, error=exc)) from None
        except (ValueError, TypeError) as exc:
            raise SynthesisFailed(_("bad request parameters ({error})").format(error=exc)) from None
        # A dropped connection ends the stream quietly: compare the audio with the timings.
        if not audio:
            raise _Transient(_("{host} sent no audio").format(host=host))
        if not bounds:
            raise _Transient(_("{host} sent no sentence timings, so the audio cannot be checked whole").format(host=host))
        seconds = len(audio) / MP3_BYTES_PER_SECOND
        spoken_to = max(b.end for b in bounds)
        if seconds + TRUNCATION_SLACK < spoken_to:
            raise _Transient(_("{host} cut the audio short ({got} s of {expected} s)").format(
                host=host, got=f"{seconds:.2f}", expected=f"{spoken_to:.2f}"))
        return bytes(audio), bounds


def _network_reason(exc: OSError) -> str:
    """Why a connection failed, in plain words for the common cases (the system's own text otherwise)."""
    if isinstance(exc, socket.gaierror):
        return _("the name could not be looked up")
    if isinstance(exc, ConnectionRefusedError):
        return _("the connection was refused")
    if isinstance(exc, TimeoutError):
        return _("no answer")
    return str(exc.strerror or exc)


def _reachable(url: str) -> tuple[bool, str]:
    """Can a TCP connection to the endpoint open within REACH_TIMEOUT? (DNS included.)"""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    verdict: list[tuple[bool, str]] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=REACH_TIMEOUT).close()
            verdict.append((True, ""))
        except OSError as exc:
            verdict.append((False, _("cannot reach {host}:{port} ({error}); "
                                     "check the internet connection or BROADCASTER_EDGE_URL").format(
                                         host=host, port=port, error=_network_reason(exc))))

    # a daemon thread, because a stuck DNS lookup cannot be interrupted
    thread = threading.Thread(target=probe, daemon=True, name="edge-reach")
    thread.start()
    thread.join(REACH_TIMEOUT)
    if not verdict:
        return False, _("no answer from {host}:{port} within {seconds} s (offline?)").format(
            host=host, port=port, seconds=f"{REACH_TIMEOUT:g}")
    return verdict[0]


ENGINE = EdgeEngine()
