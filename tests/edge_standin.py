"""A local stand-in for the edge-tts service: the real websocket protocol, real MP3, chosen faults.

It speaks what edge-tts 7.3 expects (see /work/shared/reference/edge-tts.md): per connection
the client sends `speech.config` and `ssml` text frames; we answer `turn.start`, one
`audio.metadata` SentenceBoundary per sentence, binary `Path:audio` frames of 24 kHz 48 kbit/s
mono MP3 (eSpeak NG speech encoded by ffmpeg), a header-only closing audio frame, and `turn.end`.

Faults (`fault=`, for the first `times` requests, or all when times is None; `when=` limits a
fault to requests whose text contains that string):
  403            handshake refused with HTTP 403 (edge-tts retries once itself)
  429, 503       handshake refused with that status
  stall          accept, then never answer (until the client gives up)
  drop           send the timings and half the audio, then close the connection
  no-audio       turn.start and turn.end with nothing between
  unknown        a text frame with a path the client does not know
`delay` seconds pass before each answer. Loopback only; at most MAX_CONNECTIONS at once.

Run alone:  python tests/edge_standin.py --port 8765 --delay 0.3
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import unescape

import imageio_ffmpeg
from aiohttp import WSMsgType, web

MAX_CONNECTIONS = 32
STALL_LIMIT = 30.0  # a stalled answer still ends, so a broken test cannot hang forever
KNOWN_VOICES = {"zh-CN-XiaoxiaoNeural", "zh-CN-XiaoyiNeural", "zh-CN-YunjianNeural", "zh-CN-YunxiNeural",
                "zh-CN-YunxiaNeural", "zh-CN-YunyangNeural", "zh-CN-liaoning-XiaobeiNeural",
                "zh-CN-shaanxi-XiaoniNeural", "zh-HK-HiuGaaiNeural", "zh-HK-HiuMaanNeural",
                "zh-HK-WanLungNeural", "zh-TW-HsiaoChenNeural", "zh-TW-HsiaoYuNeural", "zh-TW-YunJheNeural"}
FAULTS = ("403", "429", "503", "stall", "drop", "no-audio", "unknown")
_FRAME = 4096  # MP3 bytes per binary frame


def speech_mp3(text: str) -> tuple[bytes, list[tuple[int, int, str]]]:
    """(MP3 at 24 kHz 48 kbit/s mono, [(offset, duration, sentence)] in 100 ns ticks).

    The speech is eSpeak NG's (through broadcaster's engine, which owns the library's lock:
    it is a process-wide singleton), encoded by ffmpeg as the service encodes its own.
    """
    from broadcaster.engines.espeak import ENGINE
    from broadcaster.speech.voices import get_profile

    voice = get_profile("mandarin")
    sentences = [s for s in re.split(r"(?<=[。！？!?；;])", text) if re.search(r"\w", s)] or [text]
    pcm_parts, bounds, at = [], [], 0
    for s in sentences:
        clip = ENGINE.synthesize(s, voice)
        ticks = len(clip.pcm) // 2 * 10_000_000 // clip.sample_rate
        bounds.append((at, ticks, s))
        at += ticks
        pcm_parts.append(clip.pcm)
        rate = clip.sample_rate
    mp3 = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", str(rate),
                          "-ac", "1", "-i", "pipe:0", "-ar", "24000", "-ac", "1", "-b:a", "48k", "-f", "mp3",
                          "pipe:1"], input=b"".join(pcm_parts), capture_output=True, check=True).stdout
    return mp3, bounds


@dataclass
class StandIn:
    """The stand-in server, run in a background thread: `with StandIn(fault="503", times=1) as s:`."""

    fault: str | None = None
    times: int | None = None
    when: str | None = None
    delay: float = 0.0
    port: int = 0
    requests: int = 0            # handshakes attempted (every request, failed or not)
    texts: list = field(default_factory=list)
    max_parallel: int = 0
    _active: int = 0
    _faulted: int = 0
    _mp3: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {FAULTS}")
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/consumer/speech/synthesize/readaloud/edge/v1?TrustedClientToken=standin"

    # ---------------------------------------------------------------- faults
    def _take_fault(self, kinds: tuple[str, ...], text: str | None) -> str | None:
        if self.fault not in kinds:
            return None
        if self.when is not None and (text is None or self.when not in text):
            return None
        with self._lock:
            if self.times is not None and self._faulted >= self.times:
                return None
            self._faulted += 1
        return self.fault

    # ---------------------------------------------------------------- handler
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.requests += 1
            if self._active >= MAX_CONNECTIONS:
                return web.Response(status=503, text="stand-in: too many connections")
            self._active += 1
            self.max_parallel = max(self.max_parallel, self._active)
        try:
            return await self._serve(request)
        except ConnectionResetError:  # the client gave up (its deadline): nothing to answer
            return web.Response(status=499)
        finally:
            with self._lock:
                self._active -= 1

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        status = self._take_fault(("403", "429", "503"), None)
        if status:
            headers = {"Retry-After": "0"} if status == "429" else {}
            return web.Response(status=int(status), text="stand-in fault", headers=headers)
        ws = web.WebSocketResponse(max_msg_size=1 << 20)
        await ws.prepare(request)
        ssml = None
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            if "Path:ssml" in msg.data:
                ssml = msg.data
                break
        if ssml is None:
            await ws.close()
            return ws
        long_name = re.search(r"<voice name='Microsoft Server Speech Text to Speech Voice \((.+), (.+)\)'>", ssml)
        voice = f"{long_name.group(1)}-{long_name.group(2)}" if long_name else None
        body = re.search(r"<prosody[^>]*>(.*)</prosody>", ssml, re.S)
        text = unescape(body.group(1)) if body else ""
        with self._lock:
            self.texts.append(text)
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._take_fault(("stall", "drop", "no-audio", "unknown"), text)
        rid = uuid.uuid4().hex
        if fault == "stall":
            try:
                await asyncio.wait_for(ws.receive(), STALL_LIMIT)
            except asyncio.TimeoutError:
                pass
            await ws.close()
            return ws
        await ws.send_str(self._text_frame(rid, "turn.start", {"context": {"serviceTag": rid}}))
        if fault == "unknown":
            await ws.send_str(self._text_frame(rid, "speech.telepathy", {}))
            await ws.close()
            return ws
        if fault != "no-audio" and voice in KNOWN_VOICES and re.search(r"\w", text):
            if text not in self._mp3:
                self._mp3[text] = await asyncio.get_running_loop().run_in_executor(None, speech_mp3, text)
            mp3, bounds = self._mp3[text]
            for offset, duration, sentence in bounds:
                meta = {"Metadata": [{"Type": "SentenceBoundary", "Data": {
                    "Offset": offset, "Duration": duration, "text": {"Text": sentence, "Length": len(sentence),
                                                                     "BoundaryType": "SentenceBoundary"}}}]}
                await ws.send_str(self._text_frame(rid, "audio.metadata", meta))
            payload = mp3[: len(mp3) // 2] if fault == "drop" else mp3
            for i in range(0, len(payload), _FRAME):
                await ws.send_bytes(self._audio_frame(rid, payload[i:i + _FRAME]))
            if fault == "drop":  # gone without turn.end: the client sees a normal close
                await ws.close()
                return ws
            await ws.send_bytes(self._audio_frame(rid, b""))
        await ws.send_str(self._text_frame(rid, "turn.end", {"context": {"serviceTag": rid}}))
        await ws.close()
        return ws

    @staticmethod
    def _text_frame(rid: str, path: str, body: dict) -> str:
        return (f"X-RequestId:{rid}\r\nContent-Type:application/json; charset=utf-8\r\nPath:{path}\r\n\r\n"
                + json.dumps(body, ensure_ascii=False))

    @staticmethod
    def _audio_frame(rid: str, data: bytes) -> bytes:
        # Path:audio must not come first: the client reads the length bytes as part of line one
        if data:
            header = f"X-RequestId:{rid}\r\nContent-Type:audio/mpeg\r\nX-StreamId:{rid}\r\nPath:audio\r\n"
        else:
            header = f"X-RequestId:{rid}\r\nX-StreamId:{rid}\r\nPath:audio\r\n"
        raw = header.encode()
        return len(raw).to_bytes(2, "big") + raw + data

    # ---------------------------------------------------------------- lifecycle
    async def _main(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def start(self) -> "StandIn":
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),),
                                        daemon=True, name="edge-standin")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the edge stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(10)

    def __enter__(self) -> "StandIn":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def refused_url() -> str:
    """An endpoint on loopback where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--fault", choices=FAULTS)
    parser.add_argument("--times", type=int)
    args = parser.parse_args()
    server = StandIn(fault=args.fault, times=args.times, delay=args.delay, port=args.port).start()
    print(f"edge stand-in at {server.url}  (BROADCASTER_EDGE_URL='{server.url}')", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()


try:  # fixtures for the edge tests (tests/engines/conftest.py makes them known there)
    import pytest
except ImportError:  # running the stand-in alone
    pytest = None

if pytest is not None:
    @pytest.fixture
    def edge_env(monkeypatch):
        """Patient enough for loopback, quick to give up: short deadline and backoff."""
        from broadcaster.engines.edge import ENGINE

        monkeypatch.setenv("BROADCASTER_EDGE_TIMEOUT", "5")
        monkeypatch.setenv("BROADCASTER_EDGE_BACKOFF", "0.01")
        monkeypatch.setenv("BROADCASTER_EDGE_RETRIES", "2")
        ENGINE.forget()
        yield monkeypatch
        ENGINE.forget()

    @pytest.fixture
    def standin(edge_env):
        """start(fault=..., times=..., when=..., delay=...) -> a running StandIn the engine points at."""
        servers: list[StandIn] = []

        def start(**kwargs) -> StandIn:
            server = StandIn(**kwargs).start()
            servers.append(server)
            edge_env.setenv("BROADCASTER_EDGE_URL", server.url)
            return server

        yield start
        for server in servers:
            server.stop()
