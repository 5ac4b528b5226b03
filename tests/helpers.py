"""Plain helpers the tests share: the repository's folders, writing an input file, a free port, running without
blocking, `check` on one file, and waiting for a desk job."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def without_waiting_on(fifo: Path, work, what: str, seconds: float = 20):
    """work()'s result, failing the test if it blocks on `fifo` (a reader that waits for a writer)."""
    done: dict = {}
    thread = threading.Thread(target=lambda: done.update(result=work()), daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():  # unblock the reader so the test run can end, then fail
        with open(fifo, "w"):
            pass
        thread.join(5)
        pytest.fail(what)
    return done.get("result")


def check_one(run, path):
    """`check` on one file: (exit code, the single stderr line)."""
    r = run("check", path)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    assert "Traceback" not in r.err
    return r.code, lines[0]


def wait_for_job(client, job_id: str, timeout: float = 300) -> dict:
    """Poll the desk's job until it is no longer running (a job renders in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["state"] != "running":
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still running")
