"""A real player beside the desk: `broadcaster run` started on a file: sink, and its as-run log read while it runs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from tests.helpers import ROOT
from tests.player_fixtures import TZ, speech_wav, wait_until
from tests.player_fixtures import query as _rows  # noqa: F401 - the e2e tests read the log with it

NOTICE = "notices/free-text.yaml"  # id truck-arrival: a short notice
DEADLINE = 120.0  # seconds: the machine may be loaded; only events are waited for



def _until(predicate, what: str, timeout: float = DEADLINE):
    """predicate()'s first true value; AssertionError naming `what` after `timeout` seconds."""
    return wait_until(predicate, timeout, what)


def start_player(tmp_path: Path, log: Path, out: Path) -> subprocess.Popen:
    """`broadcaster run plan.json` on a file: sink, with one scheduled play an hour away (it idles)."""
    clip = speech_wav(tmp_path / "later.wav", "注意")
    start = datetime.now(TZ) + timedelta(hours=1)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "timezone": "Asia/Shanghai", "quiet_hours": [],  # the test must pass at any time of day
        "channels": {"village": {"name": "大喇叭", "sink": f"file:{out}"}},
        "plays": [{"start": start.isoformat(), "end": (start + timedelta(seconds=2)).isoformat(),
                   "channel": "village", "notice": "later", "file": str(clip),
                   "slot": f"village/later/{start.isoformat()}"}]}, ensure_ascii=False))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "broadcaster", "run", str(plan), "--log", str(log)],
                            cwd=tmp_path, env=env, stdout=open(tmp_path / "daemon.out", "w"),
                            stderr=subprocess.STDOUT)


def stop(daemon: subprocess.Popen) -> None:
    if daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
