"""User-facing text in the user's language: gettext catalogs chosen by BROADCASTER_LANG or the locale."""
from __future__ import annotations

import gettext
import io
import os
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

DOMAIN = "broadcaster"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "zh_CN")
# The web desk answers each request in its browser's language; a context variable keeps
# one request's choice from leaking into another served at the same time.
_CHOSEN: ContextVar[str | None] = ContextVar("broadcaster_language", default=None)


def language() -> str:
    """'zh_CN' when BROADCASTER_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), says zh_*; else 'en'.

    Inside `use_language` (a web request) that language wins.
    """
    chosen = _CHOSEN.get()
    if chosen:
        return chosen
    for var in ("BROADCASTER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


@lru_cache(maxsize=None)
def _catalog(lang: str, stamp: float) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return gettext.GNUTranslations(f)
    if po.is_file():
        # A source checkout whose .po changed since the build compiled it: compile in memory.
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po.open("rb") as f:
            catalog = read_po(f)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return gettext.GNUTranslations(buf)
    return gettext.NullTranslations()


def _current() -> gettext.NullTranslations:
    lang = language()
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    stamp = po.stat().st_mtime if lang != "en" and po.is_file() else 0.0
    return _catalog(lang, stamp)


def use_language(lang: str | None) -> None:
    """Answer in `lang` ('en' or 'zh_CN') in this context (one web request); None: the environment's."""
    _CHOSEN.set(lang if lang in LANGUAGES else None)


def _(message: str) -> str:
    """The message in the user's language. Format after translating: `_("… {name}").format(name=…)`."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for n, in the user's language."""
    return _current().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; `_()` translates it where it is shown."""
    return message


def translate_click() -> None:
    """Route click's own messages (usage errors, 'Usage:', 'Show this message and exit.') through our catalog.

    click looks its messages up with the process-wide `gettext.gettext`, whose language comes
    from the environment alone and cannot follow BROADCASTER_LANG, so its module-level names
    are pointed at ours once.
    """
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser,
                   click.termui, click.types, click.utils):
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
