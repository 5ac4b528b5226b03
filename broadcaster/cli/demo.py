"""The lines scripts/demo prints between its commands, in the user's language (`python -m broadcaster.cli.demo`)."""
from __future__ import annotations

import sys

from broadcaster.i18n import _


def lines(step: str, out: str = "", root: str = "") -> list[str]:
    """What the demo says at `step` (check, render, done), with its output folder `out` under `root`."""
    if step == "check":
        return [_("Checking every example notice and jingle…")]
    if step == "render":
        return [_("Making the audio of every example into {out}/ (offline: no network needed)…").format(out=out)]
    if step == "done":
        return ["", _("Done. Listen to the files in {folder}/ (manifest.json lists them).").format(
                    folder=f"{root}/{out}" if root else out),
                _("For the web page: run  broadcaster serve examples/  and open http://127.0.0.1:8750")]
    raise ValueError(step)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    for line in lines(*args[:3]):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
