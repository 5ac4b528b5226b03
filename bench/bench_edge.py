"""Online engine: 20 notices against the local stand-in answering each request after 300 ms.

Default concurrency (3) against one request at a time, in the same run, on fresh caches;
then a second render of the same notices, which must send no request at all.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from measure import Measure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

PLACES = ["北门广场", "村委会门口", "老戏台前", "小学操场", "卫生室门口"]


def _notices(folder: Path, count: int = 20) -> list[Path]:
    out = []
    for i in range(count):
        place = PLACES[i % len(PLACES)]
        text = (f"第{i + 1}组的村民请注意。明天上午{7 + i % 4}点在{place}集合。"
                f"请带好身份证，戴好口罩，间隔一米排队。第{i + 1}组由网格员{i + 1}号负责联系。")
        path = folder / f"edge-{i:02d}.yaml"
        path.write_text(f"id: edge-{i:02d}\ntitle: 第{i + 1}组通知\ntext: {text}\nrepeat: 1\n", encoding="utf-8")
        out.append(path)
    return out


def _speech_phase(paths: list[Path], concurrency: int) -> float:
    """Seconds for render's synthesis phase alone: every notice's speech, nothing mastered or written."""
    from broadcaster.engines.speak import speak_then
    from broadcaster.examine import load_all
    from broadcaster.render import engine_order, speak_job

    prepared, errors = load_all(paths)
    assert not errors, errors
    jobs = [speak_job(p, engine_order("edge", p.notice)) for p in prepared]
    t0 = time.perf_counter()
    outcomes = speak_then(jobs, lambda i, spoken: spoken.engine, concurrency)
    elapsed = time.perf_counter() - t0
    assert outcomes == ["edge"] * len(jobs), outcomes
    return elapsed


def run() -> list[Measure]:
    from edge_standin import StandIn

    tmp = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "BROADCASTER_EDGE_URL", "BROADCASTER_OFFLINE")}
    server = StandIn(delay=0.3).start()
    try:
        os.environ["BROADCASTER_OFFLINE"] = "1"
        os.environ["BROADCASTER_EDGE_URL"] = server.url
        from broadcaster.engines.edge import ENGINE
        from broadcaster.render import RenderOptions, render_files

        ENGINE.forget()
        paths = _notices(tmp)
        # warm the stand-in's own MP3s and our imports, so every timed run sees the same server
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache-warm")
        _speech_phase(paths, 8)

        speech, render, requests = {}, {}, {}
        for concurrency in (1, 3):
            os.environ["XDG_CACHE_HOME"] = str(tmp / f"speech-{concurrency}")
            before = server.requests
            speech[concurrency] = _speech_phase(paths, concurrency)
            requests[concurrency] = server.requests - before
            os.environ["XDG_CACHE_HOME"] = str(tmp / f"render-{concurrency}")
            t0 = time.perf_counter()
            done, failed = render_files(paths, RenderOptions(out_dir=tmp / f"out-{concurrency}", engine="edge",
                                                             concurrency=concurrency))
            render[concurrency] = time.perf_counter() - t0
            assert len(done) == len(paths) and not failed, failed
        before = server.requests
        render_files(paths, RenderOptions(out_dir=tmp / "again", engine="edge"))
        again = server.requests - before
        return [
            Measure("edge speech for 20 notices: one at a time / default concurrency (3)", speech[1] / speech[3],
                    2.5, higher_is_better=True,
                    detail=f"{speech[1]:.2f} s vs {speech[3]:.2f} s, {requests[1]} vs {requests[3]} requests "
                           f"answered after 300 ms each"),
            Measure("edge render 20 notices incl. mastering: one at a time / default", render[1] / render[3], 1.0,
                    higher_is_better=True,
                    detail=f"{render[1]:.2f} s vs {render[3]:.2f} s; mastering (two notices at a time, "
                           "overlapped with the requests) bounds the total on a busy machine"),
            Measure("edge re-render of unchanged notices: requests sent", again, 0, unit="requests"),
        ]
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(tmp, ignore_errors=True)
