"""Which messages the translation catalogs must hold (used by scripts/catalog and the tests)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from broadcaster.i18n import DOMAIN, LOCALE_DIR

PACKAGE = Path(__file__).parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# click's own modules whose messages reach our users (usage errors, help headings)
CLICK_MODULES = ("core", "exceptions", "formatting", "parser", "types", "decorators", "termui", "utils")
# click translates these through a variable, so no extractor sees them
CLICK_DYNAMIC = ("required",)


def source_messages() -> dict[str | tuple[str, str], list[str]]:
    """Every message id marked in our code and click's, with where it is made."""
    from babel.messages.extract import extract_from_file

    found: dict = {}
    files = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "catalog.py")
    click_dir = Path(importlib.util.find_spec("click").origin).parent
    files += [click_dir / f"{m}.py" for m in CLICK_MODULES]
    for path in files:
        for lineno, message, _comments, _context in extract_from_file("python", str(path), keywords=KEYWORDS):
            if message:
                where = f"{path.relative_to(path.parents[1])}:{lineno}"
                found.setdefault(message, []).append(where)
    for message in CLICK_DYNAMIC:
        found.setdefault(message, []).append("click/core.py:0")
    for message, where in data_messages().items():
        found.setdefault(message, []).extend(where)
    return found


def data_messages() -> dict[str, list[str]]:
    """Texts our shipped data files show to users: the voice profiles' `stand_in:` notes."""
    import yaml

    from broadcaster.resources import voices_dir

    found: dict = {}
    for path in sorted(voices_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for text in (data.get("stand_in") or {}).values():
            found.setdefault(str(text), []).append(f"voices/{path.name}:0")
    return found


def help_messages() -> dict[str, list[str]]:
    """Every command's and option's help text (click keeps them as plain strings)."""
    from broadcaster.cli import cli

    found: dict = {}

    def walk(command, path: str) -> None:
        for obj in [command, *command.params]:
            for attr in ("help", "short_help", "epilog"):
                text = obj.__dict__.get(f"_source_{attr}", getattr(obj, attr, None))
                if text:
                    found.setdefault(text, []).append(f"{path}/{getattr(obj, 'name', '')}/{attr}".replace(" ", "/"))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(cli, "broadcaster")
    return found


def all_messages() -> dict:
    found = source_messages()
    for k, v in help_messages().items():
        found.setdefault(k, []).extend(v)
    return found


def po_path(lang: str = "zh_CN") -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def untranslated(lang: str = "zh_CN") -> dict:
    """Message ids that the catalog lacks or leaves empty, with where they are made."""
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        catalog = read_po(f)
    missing = {}
    for msgid, where in all_messages().items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing[msgid] = where
    return missing


def update(lang: str = "zh_CN") -> tuple[int, int]:
    """Rewrite the catalog with every current message id, keeping translations; (total, untranslated)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    path = po_path(lang)
    with path.open("rb") as f:
        old = read_po(f)
    # the old dates and no line numbers: an unchanged message list rewrites the file byte for byte,
    # so branches that each add messages merge without conflicts over moved lines
    new = Catalog(locale=lang, project="broadcaster", charset="utf-8",
                  creation_date=old.creation_date, revision_date=old.revision_date)
    new.header_comment = "# Simplified Chinese messages for broadcaster (scripts/catalog keeps it up to date)."
    new.language_team = new.last_translator = "broadcaster developers"
    new.fuzzy = False
    def order(item) -> tuple[str, str]:
        msgid, where = item
        return where[0].rsplit(":", 1)[0], msgid[0] if isinstance(msgid, tuple) else msgid

    for msgid, where in sorted(all_messages().items(), key=order):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = old.get(key)
        string = entry.string if entry is not None else ("", "") if isinstance(msgid, tuple) else ""
        locations = [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) if ":" in w else (w, 0) for w in where]
        flags = ("python-brace-format",) if "{" in key and where[0].endswith(tuple("0123456789")) else ()
        new.add(msgid, string, locations=locations[:3], flags=flags)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        write_po(f, new, width=100, omit_header=False, sort_output=False, include_lineno=False)
    tmp.replace(path)
    return len(new), len(untranslated(lang))


def add_translations(pairs: dict, lang: str = "zh_CN") -> int:
    """Write translations {msgid or (singular, plural): text or [texts]} into the catalog; how many."""
    from babel.messages.pofile import read_po, write_po

    path = po_path(lang)
    with path.open("rb") as f:
        catalog = read_po(f)
    for msgid, string in pairs.items():
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        entry = catalog.get(key)
        if entry is None:
            catalog.add(msgid, tuple(string) if isinstance(string, list) else string)
        else:
            entry.string = tuple(string) if isinstance(string, list) else string
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as f:
        write_po(f, catalog, width=100)
    tmp.replace(path)
    return len(pairs)
