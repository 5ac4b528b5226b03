"""Printing shared by several commands: JSON output, columns with Chinese in them, the proof-listening verdicts
(`render --verify`, `verify`)."""
from __future__ import annotations

from pathlib import Path

import click

from broadcaster.errors import ExitStatus
from broadcaster.i18n import _, ngettext


def echo_json(data: object, indent: int | None = 2) -> None:
    """Print `data` as JSON with Chinese as it is: indented, or one line per call with indent=None (events)."""
    import json  # here, not at the top: `broadcaster --help` never loads it (about 1.5 ms of a ~65 ms start)

    click.echo(json.dumps(data, ensure_ascii=False, indent=indent))


def width(text: str) -> int:
    """The terminal columns `text` takes (a Chinese character takes two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """`text` padded to `columns` terminal columns (a Chinese character takes two)."""
    fill = " " * max(columns - width(text), 0)
    return fill + text if right else text + fill


def listen_and_report(paths: list[Path], as_json: bool) -> list:
    """Transcribe the programs with the offline listener; print each verdict unless as_json."""
    from broadcaster.verify import verify_files

    def report(v) -> None:
        if v.error:  # said as it happens, the others still checked; the exit status says it at the end
            click.echo(_("error: {message}").format(message=v.error), err=True)
            return
        if as_json:
            return
        name = Path(v.file).name
        if v.score is None:
            click.echo(f"{name}  {v.reason}")
            return
        s = v.score
        click.echo(_("{file}  heard {heard:.1%} of {n} characters right, pinyin error rate {per:.3f}").format(
            file=name, heard=s.heard_right, n=s.characters, per=s.pinyin_errors))
        for d in s.differences:
            times = f"  (×{d.count})" if d.count > 1 else ""
            click.echo(f"    {d.said or '—'} [{d.said_pinyin}] → {d.heard or '—'} [{d.heard_pinyin}]{times}")

    return verify_files(paths, on_done=report)


def fail_below(verdicts: list, min_heard: float | None) -> None:
    """Exit 1 when a file could not be read (each was named as it failed) or heard below `min_heard`."""
    from broadcaster.verify import below, failed

    low = below(verdicts, min_heard) if min_heard is not None else []
    for v in low:
        click.echo(_("error: {file}: {heard:.1%} of characters heard right, below {want:.1%}").format(
            file=v.file, heard=v.score.heard_right, want=min_heard), err=True)
    bad = failed(verdicts)
    if bad:
        click.echo(ngettext("error: {count} program could not be checked (named above)",
                            "error: {count} programs could not be checked (named above)",
                            len(bad)).format(count=len(bad)), err=True)
    if low or bad:
        raise click.exceptions.Exit(ExitStatus.FAILED)
