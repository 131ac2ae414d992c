"""The interface strings of one locale, as plain data handed to the engine and the adapters.

English msgids live in the code (marked with `N_` where they are constants, or written inside
`_()` / `ngettext()` calls) and are extracted into `bme_bot/locales/bme_bot.pot`; each locale's
`bme_bot/locales/<locale>/LC_MESSAGES/bme_bot.po` translates them. The loading layer reads the
.po files (`bme_bot.loading.catalogues`) and builds a `Catalogue`; the core only looks strings
up, so it stays pure. A msgid missing from a catalogue falls back to the English text (and
`bme-bot check` fails on it first).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field


def N_(message: str) -> str:
    """Mark a constant as an interface string: returned unchanged (the English msgid), it
    is translated where it is shown, with `Catalogue.gettext`."""
    return message


def english_plural(n: int) -> int:
    """English (and German, Spanish) plural forms: one, or other."""
    return 0 if n == 1 else 1


@dataclass(frozen=True)
class Catalogue:
    """msgid -> translation for one locale; `plurals` maps a singular msgid to its forms, and
    `plural_form` picks the form for a count (the .po's `Plural-Forms`)."""

    locale: str = "en"
    messages: Mapping[str, str] = field(default_factory=dict)
    plurals: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    plural_form: Callable[[int], int] = english_plural

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self.plurals.get(singular)
        index = self.plural_form(n)
        if forms and 0 <= index < len(forms) and forms[index]:
            return forms[index]
        return singular if english_plural(n) == 0 else plural

    def _(self, message: str) -> str:
        """`gettext`, under the name pybabel extracts (`self.catalogue._("...")`)."""
        return self.gettext(message)


ENGLISH = Catalogue()
"""The English original: every msgid is its own text."""

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español", "de": "Deutsch"}
"""Each language in its own words (the /language buttons): never translated."""


def best_locale(code: str | None, available: Collection[str]) -> str | None:
    """The shipped locale for a language tag ("es", "es-MX", "de_AT" -> es, de), or None."""
    if not code:
        return None
    tag = code.strip().replace("_", "-").lower()
    if tag in available:
        return tag
    base = tag.split("-", 1)[0]
    return base if base in available else None
