"""Where the package's data lives, in a wheel install and in a source checkout alike.

One layout: broadcaster/data/<area>/ for the data of each part (speech, jingle, engines, audio,
player) and data/notice_templates/ for the built-in notice templates. Two exceptions, each with its
reason: the voice profiles live in the repository's top-level voices/ (the product's layout), which
the wheel carries as data/voices/; and the translation catalogs keep gettext's own layout in
broadcaster/locale/, which i18n.py finds by itself (it is loaded before anything else) and the build
hook compiles. Every other module finds its data here.
"""
from __future__ import annotations

from pathlib import Path

from broadcaster.errors import CouldNotDo
from broadcaster.i18n import LOCALE_DIR, _

PACKAGE = Path(__file__).resolve().parent
DATA = PACKAGE / "data"


def data_path(area: str, *names: str) -> Path:
    """A data file or folder of one part of the package: broadcaster/data/<area>/<names>."""
    return DATA.joinpath(area, *names)


def data_dir(name: str) -> Path:
    """A data folder: inside the package (in a wheel, `voices/` too), else the checkout's top level.

    CouldNotDo when it is in neither place: the installation is incomplete.
    """
    for folder in (DATA / name, PACKAGE.parent / name):
        if folder.is_dir():
            return folder
    raise CouldNotDo(_("broadcaster's data folder '{name}' is missing: reinstall broadcaster").format(name=name))


def templates_dir() -> Path:
    """The built-in notice templates (*.j2)."""
    return data_dir("notice_templates")


def voices_dir() -> Path:
    """The voice profiles (voices/*.yaml)."""
    return data_dir("voices")


def locale_dir() -> Path:
    """The translation catalogs (<lang>/LC_MESSAGES/broadcaster.po and .mo)."""
    return LOCALE_DIR
