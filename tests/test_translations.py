"""Every translated content file mirrors its English original.

A translation may change words, never structure: the same id and sources, the same placeholders
and safety-net tags (the engine relies on them), the same headings, bullets and numbers, and no
phrasing the lint refuses in that locale. The front matter is read with a plain YAML parse
here, independently of the project's loader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bme_bot.core.content import ContentDoc
from bme_bot.loading.content_lint import LOCALE_BANNED
from bme_bot.loading.content_loader import lint_content

CONTENT = Path(__file__).resolve().parents[1] / "content"
ENGLISH = CONTENT / "en"
LOCALES = sorted(p.name for p in CONTENT.iterdir() if p.is_dir() and p.name != "en")

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
BRACES = re.compile(r"\{[^{}\n]*\}")
HEADING = re.compile(r"^(?:#{1,6} |\*\*)")
BULLET = re.compile(r"^\s*[-*] ")
LINK_URL = re.compile(r"\]\(([^)]*)\)")
COMMAND = re.compile(r"(?<![\w/])/[a-z_]+\b")
NUMBER = re.compile(r"\d+")

# Numbers a locale may add on purpose, with the reason. A local service's phone number is the
# only kind: the English text names the service generically ("an out-of-hours service").
ADDED_NUMBERS: dict[str, dict[str, str]] = {
    "de": {"116": "116 117, the German on-call doctor service", "117": "116 117, as above"},
}
# Ordinals a locale writes out in words ("5th metatarsal": "fünften Mittelfußknochen"); each
# match counts as that number.
SPELLED_NUMBERS: dict[str, dict[str, str]] = {
    "es": {"5": r"\bquint[oa]s?\b"},
    "de": {"5": r"\bfünfte[nmrs]?\b"},
}

# Sentence length is the lint's own measure (words per sentence). Translations run a little
# longer than English; beyond these ratios the text is no longer "short sentences".
SENTENCE_RATIO_LOCALE = 1.25
SENTENCE_RATIO_FILE = 1.5

# The banned wording per locale is the content lint's own table (diagnostic claims in the
# locale's words, doses, "tomorrow", guarantees, the form of address).
BANNED = LOCALE_BANNED


@dataclass(frozen=True)
class Doc:
    path: Path
    meta: dict[str, object]
    body: str


def _read(path: Path) -> Doc:
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    assert match is not None, f"{path}: no front matter"
    meta = yaml.safe_load(match.group(1))
    assert isinstance(meta, dict), f"{path}: front matter is not a mapping"
    return Doc(path, meta, match.group(2).strip())


def _pairs(locale: str) -> list[tuple[Doc, Doc]]:
    pairs = []
    for english in sorted(ENGLISH.glob("*.md")):
        translated = CONTENT / locale / english.name
        assert translated.is_file(), f"{locale}: {english.name} has no translation"
        pairs.append((_read(english), _read(translated)))
    return pairs


def _lines(body: str, pattern: re.Pattern[str]) -> int:
    return sum(1 for line in body.splitlines() if pattern.match(line))


def _blocks(body: str) -> int:
    return len([b for b in re.split(r"\n\s*\n", body) if b.strip()])


def test_some_locale_besides_english_exists() -> None:
    """Without this, an empty parametrisation would pass by testing nothing."""
    assert LOCALES, "no content locale besides en"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_english_file_has_a_translation_and_no_extra(locale: str) -> None:
    english = {p.name for p in ENGLISH.glob("*.md")}
    translated = {p.name for p in (CONTENT / locale).glob("*.md")}
    assert english - translated == set(), f"{locale}: missing translations"
    assert translated - english == set(), f"{locale}: files with no English original"


@pytest.mark.parametrize("locale", LOCALES)
def test_front_matter_matches_the_english_original(locale: str) -> None:
    for english, translated in _pairs(locale):
        name = f"{locale}/{translated.path.name}"
        assert translated.meta.get("id") == english.meta["id"], f"{name}: id"
        assert translated.meta.get("sources") == english.meta["sources"], f"{name}: sources"
        assert str(translated.meta.get("reviewed")) == str(english.meta["reviewed"]), (
            f"{name}: reviewed must be the English file's review date"
        )
        assert str(translated.meta.get("translated_from")) == str(english.meta["reviewed"]), (
            f"{name}: translated_from must be the English file's review date"
        )
        assert "reviewed_by" in translated.meta, f"{name}: reviewed_by missing"
        assert isinstance(translated.meta["reviewed_by"], str), f"{name}: reviewed_by not text"
        title = translated.meta.get("title")
        assert isinstance(title, str) and title.strip(), f"{name}: title"
        expected_keys = set(english.meta) | {"translated_from"}
        assert set(translated.meta) == expected_keys, f"{name}: front matter keys"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_tags_links_and_commands_are_unchanged(locale: str) -> None:
    for english, translated in _pairs(locale):
        name = f"{locale}/{translated.path.name}"
        assert sorted(BRACES.findall(translated.body)) == sorted(BRACES.findall(english.body)), (
            f"{name}: placeholders or safety-net tags differ"
        )
        assert LINK_URL.findall(translated.body) == LINK_URL.findall(english.body), (
            f"{name}: link URLs differ"
        )
        assert sorted(COMMAND.findall(translated.body)) == sorted(COMMAND.findall(english.body)), (
            f"{name}: /commands differ"
        )


@pytest.mark.parametrize("locale", LOCALES)
def test_structure_matches_the_english_original(locale: str) -> None:
    for english, translated in _pairs(locale):
        name = f"{locale}/{translated.path.name}"
        assert _lines(translated.body, HEADING) == _lines(english.body, HEADING), (
            f"{name}: number of headings (lines opening with # or **)"
        )
        assert _lines(translated.body, BULLET) == _lines(english.body, BULLET), (
            f"{name}: number of bullet lines"
        )
        assert _blocks(translated.body) == _blocks(english.body), f"{name}: number of paragraphs"


@pytest.mark.parametrize("locale", LOCALES)
def test_numbers_are_carried_over(locale: str) -> None:
    """Step counts, ages, days and percentages are safety facts; none may be lost or changed."""
    added = ADDED_NUMBERS.get(locale, {})
    for english, translated in _pairs(locale):
        found = [n for n in NUMBER.findall(translated.body) if n not in added]
        for number, pattern in SPELLED_NUMBERS.get(locale, {}).items():
            found += [number] * len(re.findall(pattern, translated.body, re.IGNORECASE))
        assert sorted(found) == sorted(NUMBER.findall(english.body)), (
            f"{locale}/{translated.path.name}: numbers differ"
        )


def _sentence_lengths(docs: list[Doc]) -> dict[str, float]:
    library = {
        d.path.stem: ContentDoc(
            id=d.path.stem, title="", body=d.body, sources=(), reviewed="", path=str(d.path)
        )
        for d in docs
    }
    _, reports = lint_content(library, used=set(library))
    return {r.id: r.average_sentence_words for r in reports}


@pytest.mark.parametrize("locale", LOCALES)
def test_sentences_stay_short(locale: str) -> None:
    pairs = _pairs(locale)
    english = _sentence_lengths([e for e, _ in pairs])
    translated = _sentence_lengths([t for _, t in pairs])
    long_files = [
        f"{name}: {translated[name]} words a sentence against {english[name]} in English"
        for name in english
        if translated[name] > english[name] * SENTENCE_RATIO_FILE
    ]
    assert long_files == []
    mean_en = sum(english.values()) / len(english)
    mean_tr = sum(translated.values()) / len(translated)
    assert mean_tr <= mean_en * SENTENCE_RATIO_LOCALE, (
        f"{locale}: {mean_tr:.1f} words a sentence on average against {mean_en:.1f} in English"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_no_banned_phrasing(locale: str) -> None:
    assert locale in BANNED, f"{locale}: add its banned patterns to this test"
    problems = []
    for _, translated in _pairs(locale):
        for number, line in enumerate(translated.body.splitlines(), start=1):
            for pattern, why in BANNED[locale].items():
                if re.search(pattern, line, re.IGNORECASE):
                    problems.append(f"{translated.path.name} body line {number}: {why}")
    assert problems == []


@pytest.mark.parametrize(
    ("locale", "line", "pattern_start"),
    [
        ("es", "Tienes una fractura por estrés.", r"\b(?:tienes"),
        ("es", "Toma 500 mg al día.", r"\b\d+"),
        ("es", "Si no, ve mañana.", r"\bmañana"),
        ("es", "Usted debe descansar.", r"\busted"),
        ("de", "Sie haben einen Ermüdungsbruch.", r"\b(?:Sie haben"),
        ("de", "Nehmen Sie 400 mg.", r"\b\d+"),
        ("de", "Gehen Sie morgen zum Arzt.", r"\b(?:über)?morgen"),
    ],
)
def test_banned_patterns_catch_what_they_name(locale: str, line: str, pattern_start: str) -> None:
    """The table above must bite: each sample is caught by the pattern meant for it."""
    hits = [p for p in BANNED[locale] if re.search(p, line, re.IGNORECASE)]
    assert any(p.startswith(pattern_start) for p in hits), hits
