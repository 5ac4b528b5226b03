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
import re
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from broadcaster import __version__
from broadcaster.audio.profiles import get_output_profile
from broadcaster.cluster import connect, map_unordered
from broadcaster.errors import BadInput, CouldNotDo
from broadcaster.fsutil import atomic_path, check_folder, read_stamp, remove_stale_temps, write_text, \
    write_text_if_changed
from broadcaster.i18n import _
from broadcaster.notice import ID_RE, load_notice
from broadcaster.examine import input_files, prepare
from broadcaster.render import RenderOptions, render_prepared, write_manifest
from broadcaster.resources import templates_dir
from broadcaster.yamlsource import read_text

OPTION_COLUMNS = ("voice", "engine", "profile")
ID_COLUMNS = ("village_id", "id")
STAMP = ".inputs.json"  # per village folder: the inputs its audio was made from


@dataclass(frozen=True)
class Row:
    """One village: its CSV line, output folder name, template values and options."""

    line: int
    village: str
    vars: dict
    voice: str | None = None
    engine: str | None = None
    profile: str | None = None
    refused: str = ""  # why this row cannot be rendered (a blank or damaged cell): reported, not rendered


@dataclass(frozen=True)
class RowResult:
    line: int
    village: str
    status: str          # rendered | unchanged | failed
    message: str = ""
    bad_input: bool = False
    entry: dict | None = None


MAX_ID = 64  # a village id is a folder name: long ones break paths on FAT cards and Windows
KEEP = "-"   # a cell that means "the notice's own value"; a blank cell is refused instead
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_villages(path: Path) -> list[Row]:
    """Rows of a villages CSV (UTF-8 with or without BOM, or GBK as Excel saves it).

    Mistakes in the file as a whole (no id column, a bad or repeated id) raise BadInput; a
    row with a damaged cell (blank, extra or missing cells, control characters) comes back
    with `refused` set, so the other villages still render. A blank cell is never taken to
    mean the notice's own value: that is how another village's phone number went on air.
    """
    reader = csv.reader(io.StringIO(read_text(path)))
    try:
        header = next(reader, [])
        columns = [c.strip() for c in header]
        id_column = next((c for c in ID_COLUMNS if c in columns), None)
        if id_column is None:
            raise BadInput(_("the CSV has no village_id column"),
                           _("add a first column `village_id` (a-z, 0-9, - and _)"), path, 1)
        id_index = columns.index(id_column)
        rows, seen = [], {}
        last = reader.line_num
        for cells in reader:
            line, last = last + 1, reader.line_num  # a quoted cell may span lines: report where the row starts
            if not any(c.strip() for c in cells):
                continue
            vid = cells[id_index].strip() if id_index < len(cells) else ""
            if len(vid) > MAX_ID:
                raise BadInput(_("village id '{id}…' is {n} characters long, too long (at most {max})")
                               .format(id=vid[:16], n=len(vid), max=MAX_ID),
                               _("use a short id such as hongfuyuan"), path, line)
            if not ID_RE.match(vid):
                raise BadInput(_("village id '{id}' may use only a-z, 0-9, - and _").format(id=vid),
                               _("e.g. hongfuyuan"), path, line)
            if vid in seen:
                raise BadInput(_("village id '{id}' is also on line {line}").format(id=vid, line=seen[vid]),
                               _("give each village its own id"), path, line)
            seen[vid] = line
            rows.append(_row(line, vid, columns, id_index, cells))
    except csv.Error as exc:
        raise BadInput(_("the CSV cannot be read here ({reason})").format(reason=exc),
                       _("open it in Excel or a text editor and save it again as CSV"), path,
                       reader.line_num) from None
    if not rows:
        raise BadInput(_("the CSV has no villages"), _("add one row per village under the header"), path, 2)
    return rows


def _row(line: int, vid: str, columns: list[str], id_index: int, cells: list[str]) -> Row:
    """One village from its cells; `refused` says what is wrong with them, if anything."""
    if len(cells) != len(columns):
        fix = (_("a comma inside a value? put that value in double quotes, or remove the extra cells")
               if len(cells) > len(columns) else _("fill every column (`-` for the notice's own value)"))
        return Row(line, vid, {}, refused=_("this line has {n} cells but the header has {m} columns — {fix}")
                   .format(n=len(cells), m=len(columns), fix=fix))
    values, options = {}, {}
    for k, (name, raw) in enumerate(zip(columns, cells), start=1):
        value = raw.strip()
        if k - 1 == id_index:
            continue
        where = _("column '{name}' (column {k})").format(name=name, k=k) if name else _("column {k}").format(k=k)
        if _CONTROL.search(raw):
            return Row(line, vid, {}, refused=_("the cell in {where} holds a control character — type the value "
                                                "again (copying from other programs can bring them in)")
                       .format(where=where))
        if not name:
            if value:
                return Row(line, vid, {}, refused=_("a value in {where}, which has no name in the header — "
                                                    "name the column or remove the value").format(where=where))
            continue
        if not value:
            return Row(line, vid, {}, refused=_("the cell in {where} is empty — write the value, or `-` to use "
                                                "the notice's own value").format(where=where))
        if value == KEEP:
            continue
        (options if name in OPTION_COLUMNS else values)[name] = value
    return Row(line=line, village=vid, vars=values, **{k: options.get(k) for k in OPTION_COLUMNS})


@dataclass(frozen=True)
class NoticeBundle:
    """A notice and the files beside it that shape its audio, as bytes: all a remote worker needs."""

    name: str     # the notice's file name
    files: dict   # path relative to the notice's folder -> bytes (the notice itself included)
    elsewhere: tuple = ()  # (file name, sha256) of inputs outside the folder: a built-in template, music

    def digest(self) -> str:
        h = hashlib.sha256()
        for rel in sorted(self.files):
            h.update(rel.encode() + b"\0" + hashlib.sha256(self.files[rel]).digest())
        h.update(json.dumps(sorted(self.elsewhere)).encode())
        return h.hexdigest()

    def unpack(self, folder: Path) -> Path:
        """Write the files under `folder`; returns the notice's path there."""
        for rel, data in self.files.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder / self.name


def bundle_notice(notice_path: Path, portable: bool = False) -> NoticeBundle:
    """The notice's input files; `portable` (for a cluster) refuses music outside its folder.

    Built-in templates are not shipped (every worker has the same broadcaster) but are hashed.
    """
    notice = load_notice(notice_path)
    folder = notice_path.parent.resolve()
    builtin = templates_dir().resolve()
    files, elsewhere = {}, []
    for path in input_files(notice):
        resolved = path.resolve()
        if resolved.is_relative_to(folder):
            files[resolved.relative_to(folder).as_posix()] = path.read_bytes()
            continue
        if portable and not resolved.is_relative_to(builtin):
            raise notice.error(_("music file '{music}' is outside the notice's folder")
                               .format(music=notice.options.get("music")),
                               _("copy it beside the notice and write `music: {name}` "
                                 "(cluster workers receive only that folder's files)").format(name=path.name),
                               "music")
        elsewhere.append((path.name, hashlib.sha256(path.read_bytes()).hexdigest()))
    return NoticeBundle(name=notice_path.name, files=files, elsewhere=tuple(elsewhere))


def row_inputs(notice_digest: str, row: Row, engine: str, profile: str) -> str:
    """A hash of everything that decides a row's audio."""
    values = {k: v for k, v in asdict(row).items() if k != "refused"} | {"line": 0}
    return hashlib.sha256(json.dumps([__version__, notice_digest, engine, profile, values],
                                     sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _stamp_matches(folder: Path, inputs: str) -> dict | None:
    known = read_stamp(folder / STAMP)
    if known.get("inputs") == inputs and (folder / known.get("file", "-")).is_file():
        return known
    return None


def _render_into(notice_path: Path, row: Row, out: Path, engine: str, profile: str):
    notice = load_notice(notice_path)
    notice = replace(notice, vars={**notice.vars, **row.vars})
    prepared = prepare(notice, row.voice, program=get_output_profile(profile).program)
    return render_prepared(prepared, RenderOptions(out_dir=out, engine=engine, profile=profile))


def _failed(csv_path: str, row: Row, exc: Exception) -> RowResult:
    if isinstance(exc, BadInput):
        return RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: {exc.what}"
                         + (f" — {exc.fix}" if exc.fix else ""), bad_input=True)
    return RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: {exc}")


def _finish(folder: Path, row: Row, rendered, inputs: str) -> RowResult:
    """The village's manifest, then the input stamp last: a kill before it means "render again"."""
    write_manifest(folder, [rendered])
    entry = {"village": row.village, **asdict(rendered), "file": f"{row.village}/{rendered.file}"}
    write_text(folder / STAMP, json.dumps({"inputs": inputs, "file": rendered.file, "entry": entry},
                                          ensure_ascii=False))
    return RowResult(row.line, row.village, "rendered", entry=entry)


def render_row(notice_path: str, csv_path: str, row: Row, out_dir: str, engine: str, profile: str,
               notice_digest: str) -> RowResult:
    """Render one village into its folder (runs in a worker process)."""
    folder = Path(out_dir) / row.village
    engine = row.engine or engine
    profile = row.profile or profile
    inputs = row_inputs(notice_digest, row, engine, profile)
    known = _stamp_matches(folder, inputs)
    if known:
        return RowResult(row.line, row.village, "unchanged", entry=known.get("entry"))
    try:
        return _finish(folder, row, _render_into(Path(notice_path), row, folder, engine, profile), inputs)
    except (BadInput, CouldNotDo) as exc:
        return _failed(csv_path, row, exc)


@dataclass(frozen=True)
class RemoteRow:
    """What a cluster worker sends back for one village: what it rendered and the files, or why not."""

    rendered: object = None   # render.Rendered
    files: dict = field(default_factory=dict)  # file name -> bytes
    failed: RowResult | None = None


def render_bundle_row(bundle: NoticeBundle, csv_path: str, row: Row, engine: str, profile: str) -> RemoteRow:
    """Render one village from a shipped notice in a scratch folder (runs on a cluster worker)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="broadcaster-row-") as tmp:
        notice_path = bundle.unpack(Path(tmp) / "notice")
        out = Path(tmp) / "out"
        try:
            rendered = _render_into(notice_path, row, out, row.engine or engine, row.profile or profile)
        except (BadInput, CouldNotDo) as exc:
            return RemoteRow(failed=_failed(csv_path, row, exc))
        files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "manifest.json"}
    return RemoteRow(rendered, files)


def _store(folder: Path, row: Row, remote: RemoteRow, inputs: str) -> RowResult:
    """Write a worker's files into the village folder, each atomically, as a local render would."""
    for name, data in remote.files.items():
        with atomic_path(folder / name) as tmp:
            tmp.write_bytes(data)
    return _finish(folder, row, remote.rendered, inputs)


def render_batch(notice_path: Path, csv_path: Path, out_dir: Path, jobs: int | None = None, engine: str = "auto",
                 profile: str = "loudspeaker", on_row: Callable[[RowResult], None] | None = None,
                 cluster: str | None = None) -> list[RowResult]:
    """Render every row; returns the results in CSV order and writes out/manifest.json.

    `cluster`: a Dask scheduler address (or "local") to render on instead of local processes.
    """
    from broadcaster.examine import check_recordings

    started = time.time()
    check_recordings(load_notice(notice_path))  # a bad recording: one error, not 300
    bundle = bundle_notice(notice_path, portable=cluster is not None)  # a broken notice: one error, not 300
    digest = bundle.digest()
    rows = read_villages(csv_path)
    jobs = jobs or os.cpu_count() or 1
    results: list[RowResult] = []

    def report(result: RowResult) -> None:
        results.append(result)
        if on_row:
            on_row(result)

    check_folder(out_dir)  # read-only, or under a file: one line now, not one per village
    remove_stale_temps(out_dir, started)  # what a killed run left
    for row in rows:
        remove_stale_temps(out_dir / row.village, started)
        if row.refused:
            report(RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: {row.refused}",
                             bad_input=True))
    rows = [row for row in rows if not row.refused]

    args = (str(notice_path), str(csv_path))
    if cluster:
        _render_on_cluster(cluster, jobs, bundle, digest, str(csv_path), rows, out_dir, engine, profile, report)
    elif jobs == 1:
        for row in rows:
            report(render_row(*args, row, str(out_dir), engine, profile, digest))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(render_row, *args, row, str(out_dir), engine, profile, digest) for row in rows]
            for future in as_completed(futures):
                report(future.result())
    results.sort(key=lambda r: r.line)
    entries = [r.entry for r in results if r.entry]
    if entries:
        # an unchanged re-run leaves it alone (its mtime tells watchers and rsync nothing changed)
        write_text_if_changed(out_dir / "manifest.json", json.dumps(
            {"generator": f"broadcaster {__version__}", "villages": entries}, ensure_ascii=False, indent=2) + "\n")
    return results


def _render_on_cluster(address: str, jobs: int, bundle: NoticeBundle, digest: str, csv_path: str, rows: list[Row],
                       out_dir: Path, engine: str, profile: str, report: Callable[[RowResult], None]) -> None:
    """Unchanged rows are settled here; the rest render on the workers and are written here."""
    todo: list[tuple[Row, str]] = []
    for row in rows:
        inputs = row_inputs(digest, row, row.engine or engine, row.profile or profile)
        known = _stamp_matches(out_dir / row.village, inputs)
        if known:
            report(RowResult(row.line, row.village, "unchanged", entry=known.get("entry")))
        else:
            todo.append((row, inputs))
    if not todo:
        return
    with connect(address, local_workers=jobs) as client:
        items = [(csv_path, row, engine, profile) for row, _ in todo]
        for i, outcome in map_unordered(client, render_bundle_row, bundle, items):
            row, inputs = todo[i]
            if isinstance(outcome, Exception):
                report(RowResult(row.line, row.village, "failed", f"{csv_path}:{row.line}: " + _(
                    "the cluster could not render this village ({reason}) — run the same command again to "
                    "retry it").format(reason=f"{type(outcome).__name__}: {outcome}")))
            elif outcome.failed:
                report(outcome.failed)
            else:
                report(_store(out_dir / row.village, row, outcome, inputs))
