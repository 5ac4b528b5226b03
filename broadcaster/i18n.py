"""User-facing text in the user's language: gettext catalogs chosen by BROADCASTER_LANG or the locale."""
from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

DOMAIN = "broadcaster"
LOCALE_DIR = Path(__file__).parent / "locale"


def language() -> str:
    """'zh_CN' when BROADCASTER_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG), says zh_*; else 'en'."""
    for var in ("BROADCASTER_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


@lru_cache(maxsize=None)
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _(message: str) -> str:
    """The message in the user's language. Format after translating: `_("… {name}").format(name=…)`."""
    return _catalog(language()).gettext(message)


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; `_()` translates it where it is shown."""
    return message
