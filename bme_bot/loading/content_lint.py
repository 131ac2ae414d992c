"""The content lint's banned phrasing in each translated locale (English's is `BANNED` in
`content_loader`). The same rules in the locale's own words: no diagnostic claim, no dose,
no guarantee, and no "tomorrow" in same-day advice ("mañana", "morgen"). A locale with no
table here fails the lint, so a new language cannot ship unlinted."""

from __future__ import annotations

from typing import Final

_ES_DISEASE: Final = (
    r"(?:fractura|infecci[oó]n|trombosis|co[aá]gulo|edema|necrosis|osteonecrosis|artrosis"
    r"|artritis|osteoartritis|c[aá]ncer|tumor|mieloma|gota|osteoporosis|lesi[oó]n|rotura"
    r"|pie de charcot|epifisi[oó]lisis|s[ií]ndrome|enfermedad|reacci[oó]n de estr[eé]s)"
)
_DE_DISEASE: Final = (
    r"\w*(?:fraktur|bruch|infektion|entzündung|thrombose|gerinnsel|ödem|nekrose|arthrose"
    r"|arthritis|krebs|tumor|myelom|gicht|osteoporose|syndrom|krankheit|erkrankung)\w*"
)

LOCALE_BANNED: Final[dict[str, dict[str, str]]] = {
    "es": {
        rf"\b(?:tienes|tiene|usted tiene)\s+(?:una?\s+)?(?:\w+\s+)?{_ES_DISEASE}": (
            "a diagnostic claim ('tienes ...'): describe, do not diagnose"
        ),
        r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|miligramos?|microgramos?)\b": "a drug dose: no doses",
        r"\bmañana\b": "same-day advice must not say mañana: say hoy, or urgencias",
        r"\bgarantiz|\bgarant[ií]a": "no guarantees in health education",
        r"\busted\b": "the bot says tú, never usted",
        r"\bvosotros\b|\bos\s": "neutral Spanish: no vosotros",
    },
    "de": {
        rf"\b(?:Sie haben|du hast)\s+(?:eine?[nm]?\s+)?(?:\w+\s+)?{_DE_DISEASE}": (
            "a diagnostic claim ('Sie haben ...'): describe, do not diagnose"
        ),
        r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|Milligramm|Mikrogramm)\b": "a drug dose: no doses",
        r"\b(?:über)?morgen\b": "same-day advice must not say morgen: say heute, or Notaufnahme",
        r"\bgarantie|\bgarantiert": "no guarantees in health education",
        r"\bdu\b|\bdich\b|\bdir\b": "the bot says Sie, never du",
    },
}


def banned_patterns(locale: str) -> dict[str, str] | None:
    """The locale's banned patterns (regex -> why), or None when it has no table."""
    return LOCALE_BANNED.get(locale)
