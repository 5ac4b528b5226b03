"""Long work (render, plan, batch) in background threads, kept by id so a reloaded page finds it.

A job's state lives in memory while the desk runs and in `job.json` beside its output files,
so a finished job is still found after the desk restarts.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from broadcaster.errors import BroadcasterError
from broadcaster.fsutil import os_error_line, write_text
from broadcaster.i18n import _

JOB_ID = re.compile(r"\A[0-9a-f]{16}\Z")  # what Jobs.submit makes: secrets.token_hex(8)


@dataclass(frozen=True)
class JobState:
    id: str
    kind: str                 # render | plan | batch
    state: str = "running"    # running | done | failed
    done: int = 0             # progress: steps done of total (total 0: not known)
    total: int = 0
    message: str = ""         # the error line when failed, else what it is doing
    errors: tuple = ()        # one line each (bad input in a batch row, ...)
    result: dict = field(default_factory=dict)
    started: float = 0.0
    finished: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


class Progress:
    """Handed to a job's work: it reports steps without knowing about HTTP."""

    def __init__(self, jobs: "Jobs", job_id: str) -> None:
        self._jobs, self._id = jobs, job_id

    def update(self, done: int | None = None, total: int | None = None, message: str | None = None) -> None:
        changes = {k: v for k, v in (("done", done), ("total", total), ("message", message)) if v is not None}
        self._jobs._change(self._id, **changes)


class Jobs:
    """Background jobs by id; each gets its own folder for its output files."""

    def __init__(self, root: Path, workers: int = 2) -> None:
        self.root = root
        self._states: dict[str, JobState] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk-job")

    def folder(self, job_id: str) -> Path:
        return self.root / job_id

    def submit(self, kind: str, work: Callable[[Path, Progress], dict]) -> JobState:
        """Start `work(folder, progress)`; its returned dict becomes the job's result."""
        job_id = secrets.token_hex(8)
        state = JobState(id=job_id, kind=kind, started=time.time())
        with self._lock:
            self._states[job_id] = state
        self.folder(job_id).mkdir(parents=True, exist_ok=True)
        # the job answers in the language of the request that started it
        self._pool.submit(contextvars.copy_context().run, self._run, job_id, work)
        return state

    def _run(self, job_id: str, work: Callable[[Path, Progress], dict]) -> None:
        try:
            result = work(self.folder(job_id), Progress(self, job_id))
            final = self._change(job_id, state="done", result=result, finished=time.time(), message="")
        except BroadcasterError as exc:
            lines = exc.lines()  # BadInputs: one line per mistake
            final = self._change(job_id, state="failed", message=lines[0],
                                 errors=tuple(lines) if len(lines) > 1 else (), finished=time.time())
        except OSError as exc:  # the disk or the system refused (full, read-only): not a bug
            final = self._change(job_id, state="failed", message=os_error_line(exc), finished=time.time())
        except Exception:  # a bug of ours: the page says so in plain words, the terminal gets the details
            logging.getLogger(__name__).exception("desk job %s failed", job_id)
            final = self._change(job_id, state="failed", finished=time.time(), message=_(
                "something went wrong inside broadcaster — please report it; the window where the desk "
                "runs shows the details"))
        self._save(final)

    def _change(self, job_id: str, **changes) -> JobState:
        with self._lock:
            state = replace(self._states[job_id], **changes)
            self._states[job_id] = state
            return state

    def _save(self, state: JobState) -> None:
        try:
            write_text(self.folder(state.id) / "job.json", json.dumps(state.to_dict(), ensure_ascii=False))
        except BroadcasterError:
            pass  # the state stays in memory; only a restart would lose it

    def get(self, job_id: str) -> JobState | None:
        if not JOB_ID.match(job_id or ""):
            return None
        with self._lock:
            if job_id in self._states:
                return self._states[job_id]
        try:
            raw = json.loads((self.folder(job_id) / "job.json").read_text(encoding="utf-8"))
            raw["errors"] = tuple(raw.get("errors", ()))
            return JobState(**raw)
        except (OSError, ValueError, TypeError):
            return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

