"""One notice for many villages: a CSV row per village, rendered in parallel processes, incrementally.

Processes, not threads: eSpeak NG is one process-wide singleton. A row whose inputs (notice
and template files, the row's values, voice, engine, profile, broadcaster version) are
unchanged is skipped and its files are left untouched; outputs are written atomically, so a
killed batch simply resumes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from broadcaster import __version__
from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.fsutil import read_stamp, write_text
from broadcaster.notice import ID_RE, load_notice
from broadcaster.yamlsource import read_text

OPTION_COLUMNS = ("voice", "engine", "profile")
ID_COLUMNS = ("village_id", "id")


@dataclass(frozen=True)
class Row:
    """One village: its CSV line, output folder name, template values and options."""

    line: int
    village: str
    vars: dict
    voice: str | None = None
    engine: str | None = None
    profile: str | None = None


@dataclass(frozen=True)
class RowResult:
    line: int
    village: str
    status: str          # rendered | unchanged | failed
    message: str = ""
    bad_input: bool = False
    entry: dict | None = None


def read_villages(path: Path) -> list[Row]:
    """Rows of a villages CSV (UTF-8 with or without BOM, or GBK as Excel saves it)."""
    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    id_column = next((c for c in ID_COLUMNS if c in columns), None)
    if id_column is None:
        raise BadInput("the CSV has no village_id column", "add a first column `village_id` (a-z, 0-9, - and _)",
                       path, 1)
    rows, seen = [], {}
    for n, record in enumerate(reader, start=2):
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        if not any(record.values()):
            continue
        line = reader.line_num
        vid = record.get(id_column, "")
        if not ID_RE.match(vid):
            raise BadInput(f"village id '{vid}' may use only a-z, 0-9, - and _", "e.g. hongfuyuan", path, line)
        if vid in seen:
            raise BadInput(f"village id '{vid}' is also on line {seen[vid]}", "give each village its own id",
                           path, line)
        seen[vid] = line
        values = {k: v for k, v in record.items() if k and k != id_column and k not in OPTION_COLUMNS and v != ""}
        rows.append(Row(line=line, village=vid, vars=values, **{k: record.get(k) or None for k in OPTION_COLUMNS}))
    if not rows:
        raise BadInput("the CSV has no villages", "add one row per village under the header", path, 2)
    return rows


def row_inputs(notice_path: Path, row: Row, engine: str, profile: str) -> str:
    """A hash of everything that decides a row's audio."""
    notice_bytes = notice_path.read_bytes()
    h = hashlib.sha256()
    h.update(notice_bytes)
    template = load_notice(notice_path).template
    if template:
        from broadcaster.resources import templates_dir
        for candidate in (notice_path.parent / template, templates_dir() / f"{template}.j2"):
            if candidate.is_file():
                h.update(candidate.read_bytes())
    h.update(json.dumps([__version__, engine, profile, asdict(row) | {"line": 0}], sort_keys=True,
                        ensure_ascii=False).encode())
    return h.hexdigest()


def render_row(notice_path: str, csv_path: str, row: Row, out_dir: str, engine: str, profile: str) -> RowResult:
    """Render one village (runs in a worker process)."""
    from broadcaster.render import RenderOptions, prepare, render_prepared, write_manifest

    folder = Path(out_dir) / row.village
    engine = row.engine or engine
    profile = row.profile or profile
    try:
        inputs = row_inputs(Path(notice_path), row, engine, profile)
        stamp = folder / ".inputs.json"
        known = read_stamp(stamp)
        if known.get("inputs") == inputs and (folder / known.get("file", "-")).is_file():
            return RowResult(row.line, row.village, "unchanged", entry=known.get("entry"))
        notice = load_notice(notice_path)
        notice = replace(notice, vars={**notice.vars, **row.vars})
        from broadcaster.audio.profiles import get_output_profile
        prepared = prepare(notice, row.voice, program=get_output_profile(profile).program)
        rendered = render_prepared(prepared, RenderOptions(out_dir=folder, engine=engine, profile=profile))
        write_manifest(folder, [rendered])
        entry = {"village": row.village, **asdict(rendered), "file": f"{row.village}/{rendered.file}"}
        write_text(stamp, json.dumps({"inputs": inputs, "file": rendered.file, "entry": entry}, ensure_ascii=False))
        return RowResult(row.line, row.village, "rendered", entry=entry)
    except BadInput as exc:
        return RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: {exc.what}"
                         + (f" — {exc.fix}" if exc.fix else ""), bad_input=True)
    except CouldNotDo as exc:
        return RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: {exc}")


def render_batch(notice_path: Path, csv_path: Path, out_dir: Path, jobs: int | None = None, engine: str = "auto",
                 profile: str = "loudspeaker", on_row: Callable[[RowResult], None] | None = None) -> list[RowResult]:
    """Render every row; returns the results in CSV order and writes out/manifest.json."""
    load_notice(notice_path)  # a broken notice is one error, not one per village
    rows = read_villages(csv_path)
    jobs = jobs or os.cpu_count() or 1
    results: list[RowResult] = []
    args = (str(notice_path), str(csv_path))
    if jobs == 1:
        for row in rows:
            results.append(render_row(*args, row, str(out_dir), engine, profile))
            if on_row:
                on_row(results[-1])
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(render_row, *args, row, str(out_dir), engine, profile) for row in rows]
            for future in as_completed(futures):
                results.append(future.result())
                if on_row:
                    on_row(results[-1])
    results.sort(key=lambda r: r.line)
    entries = [r.entry for r in results if r.entry]
    if entries:
        write_text(out_dir / "manifest.json", json.dumps({"generator": f"broadcaster {__version__}",
                                                          "villages": entries}, ensure_ascii=False, indent=2) + "\n")
    return results
