"""The interface message catalogues: gettext `.po` files read with Babel into plain `Catalogue`s.

    bme_bot/locales/bme_bot.pot                       the English msgids, extracted (make messages)
    bme_bot/locales/<locale>/LC_MESSAGES/bme_bot.po   one locale's translations

The `.po` files are read at start-up with Babel's `read_po` (about 200 strings: a few
milliseconds), so no compiled `.mo` is kept in git and nothing is built: a translator edits a
.po, `bme-bot check` proves it complete, and the bot uses it. Extraction is also here, so the
test that the .pot is current and `make messages` extract the same way.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from bme_bot.core.catalogue import ENGLISH, Catalogue, english_plural
from bme_bot.loading.errors import Issue, LoadError

DOMAIN: Final = "bme_bot"
PACKAGE: Final = Path(__file__).resolve().parents[1]
PROJECT: Final = PACKAGE.parent
LOCALES_ROOT: Final = PACKAGE / "locales"
POT: Final = LOCALES_ROOT / f"{DOMAIN}.pot"
SOURCES: Final = ("bme_bot/core", "bme_bot/adapters", "bme_bot/checkins", "bme_bot/service.py")
"""Where interface strings live (relative to the project): the engine, the adapters, the
check-in layer, the service. `make messages` extracts from the same places."""
PLACEHOLDER: Final = re.compile(r"\{[A-Za-z0-9_]*\}|%\([A-Za-z0-9_]+\)[sd]")


def po_path(locale: str, root: Path = LOCALES_ROOT) -> Path:
    return root / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_locales(root: Path = LOCALES_ROOT) -> list[str]:
    """The locales with a .po file (English needs none: its msgids are its texts)."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if po_path(p.name, root).is_file())


def _read(path: Path, locale: str | None = None) -> Catalog:
    try:
        with path.open("rb") as handle:
            return read_po(handle, locale=locale, domain=DOMAIN)
    except (OSError, ValueError) as exc:
        raise LoadError([Issue(str(path), 0, "", f"cannot read the catalogue ({exc})")]) from None


def load_catalogue(locale: str, root: Path = LOCALES_ROOT) -> Catalogue:
    """The locale's catalogue as plain data (English: the msgids themselves). Fuzzy and
    empty translations are left out, so the English text shows (and `check` fails)."""
    if locale == "en":
        return ENGLISH
    path = po_path(locale, root)
    if not path.is_file():
        raise LoadError([Issue(str(path), 0, "", f"no message catalogue for locale {locale!r}")])
    catalog = _read(path, locale)
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple):
            forms = tuple(str(s) for s in message.string) if message.string else ()
            if any(forms):
                plurals[str(message.id[0])] = forms
        elif isinstance(message.string, str) and message.string:
            messages[str(message.id)] = message.string
    return Catalogue(locale, messages, plurals, _plural_form(catalog.plural_expr))


def _plural_form(expression: str | None) -> Callable[[int], int]:
    if not expression:
        return english_plural
    rule: Callable[[int], int] = gettext.c2py(expression)
    return rule


# --- extraction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Msg:
    """One msgid (a tuple for a plural) and where the English original is."""

    id: str | tuple[str, str]
    locations: tuple[tuple[str, int], ...]


def _python_files(project: Path) -> Iterable[Path]:
    for source in SOURCES:
        path = project / source
        if path.is_file():
            yield path
        else:
            yield from sorted(path.rglob("*.py"))


def extract(project: Path = PROJECT) -> dict[str | tuple[str, str], Msg]:
    """Every interface msgid in the code, with its file:line (relative to the project)."""
    found: dict[str | tuple[str, str], list[tuple[str, int]]] = {}
    for path in _python_files(project):
        relative = path.relative_to(project).as_posix()
        for line, text, _comments, _context in extract_from_file(
            "python", str(path), keywords=DEFAULT_KEYWORDS
        ):
            if isinstance(text, tuple):
                if len(text) < 2 or not text[0] or not text[1]:
                    continue
                key: str | tuple[str, str] = (str(text[0]), str(text[1]))
            elif text:
                key = str(text)
            else:
                continue
            found.setdefault(key, []).append((relative, line))
    return {k: Msg(k, tuple(v)) for k, v in found.items()}


def pot_messages(path: Path = POT) -> dict[str | tuple[str, str], Msg]:
    """The msgids of the committed .pot, with its `#:` references."""
    catalog = _read(path)
    out: dict[str | tuple[str, str], Msg] = {}
    for message in catalog:
        if not message.id:
            continue
        key: str | tuple[str, str] = (
            (str(message.id[0]), str(message.id[1]))
            if isinstance(message.id, tuple)
            else str(message.id)
        )
        out[key] = Msg(key, tuple((str(f), int(n or 0)) for f, n in message.locations))
    return out


def write_pot(path: Path = POT, project: Path = PROJECT) -> int:
    """Extract the code's msgids into the .pot (what `make messages` runs); their number."""
    catalog = Catalog(domain=DOMAIN, project="bme-bot", charset="utf-8")
    messages = extract(project)
    for msg in messages.values():
        catalog.add(msg.id, locations=list(msg.locations))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=False)
    return len(messages)


# --- completeness (for `bme-bot check`) ----------------------------------------------------


@dataclass(frozen=True)
class CatalogueFinding:
    locale: str
    key: str
    file: str
    line: int
    message: str


def _short(msgid: str | tuple[str, str]) -> str:
    text = msgid[0] if isinstance(msgid, tuple) else msgid
    text = " ".join(text.split())
    return f"msgid {text[:60]!r}" + ("..." if len(text) > 60 else "")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def catalogue_findings(
    locales: Iterable[str], root: Path = LOCALES_ROOT, pot: Path = POT, project: Path = PROJECT
) -> tuple[list[CatalogueFinding], int]:
    """Every .pot msgid translated in every locale's .po, with the same placeholders, and
    the .pot current (every msgid of the code in it). Each finding names the locale, the
    msgid and the English original's file:line. Also returns how many msgids there are."""
    findings: list[CatalogueFinding] = []
    english = pot_messages(pot)
    code = extract(project)
    for key, msg in code.items():
        if key not in english:
            file, line = msg.locations[0]
            findings.append(
                CatalogueFinding(
                    "en", _short(key), file, line, "not in the .pot: run make messages"
                )
            )
    for locale in locales:
        if locale == "en":
            continue
        path = po_path(locale, root)
        if not path.is_file():
            findings.append(CatalogueFinding(locale, "catalogue", str(pot), 0, f"missing ({path})"))
            continue
        catalog = _read(path, locale)
        for key, msg in english.items():
            # where the English is now (the .pot's `#:` line, if the code no longer has it)
            now = code.get(key, msg).locations
            file, line = now[0] if now else (str(pot), 0)
            found = catalog.get(key[0] if isinstance(key, tuple) else key)
            strings: list[str] = []
            if found is not None and not found.fuzzy and found.string:
                raw = found.string
                strings = [str(s) for s in raw] if isinstance(raw, tuple | list) else [str(raw)]
            if not strings or not all(strings):
                findings.append(
                    CatalogueFinding(locale, _short(key), file, line, f"not translated in {path}")
                )
                continue
            originals = list(key) if isinstance(key, tuple) else [key]
            wanted = placeholders(originals[-1])
            for text in strings:
                if placeholders(text) != wanted and placeholders(text) != placeholders(
                    originals[0]
                ):
                    findings.append(
                        CatalogueFinding(
                            locale,
                            _short(key),
                            file,
                            line,
                            f"placeholders {placeholders(text) or 'none'} differ from the "
                            f"English {wanted or 'none'} ({path})",
                        )
                    )
                    break
    return findings, len(english)
