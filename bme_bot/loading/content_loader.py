"""Markdown files with YAML front matter -> `ContentLibrary`, and the content lint.

Front matter carries `id`, `title`, `sources` (a list of citations), `reviewed` (a date) and
`reviewed_by` (the role of the reviewer), so every text can be traced to who checked it and when.
A translation (`content/<locale>/`, any locale but English) also carries `translated_from`, the
English file's review date it was translated from, and may have an empty `reviewed_by` until a
clinician checks it in that language.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bme_bot.core.asking import ExtraFlag, Vocabulary
from bme_bot.core.content import ContentDoc
from bme_bot.core.retrieval import words_of
from bme_bot.loading.content_lint import banned_patterns
from bme_bot.loading.errors import ContentError, Issue
from bme_bot.loading.flow_locales import DEFAULT_LOCALE, LOCALE
from bme_bot.loading.yaml_lines import load_plain_yaml

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.DOTALL)
FRONT_KEYS = {"id", "title", "sources", "reviewed", "reviewed_by"}
TRANSLATED_FROM = "translated_from"

BANNED = {
    r"\byou have\b": "a diagnostic claim ('you have ...'): describe, do not diagnose",
    r"\byou(?:'ve| are) got\b": "a diagnostic claim: describe, do not diagnose",
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|µg|milligrams?|micrograms?)\b": "a drug dose: no doses",
    r"\bpitting\b": "pitting swelling is soft-tissue edema, not marrow edema (seed error)",
    r"\bcore depression\b": "the procedure is core decompression (seed error)",
    r"\bspinal cord decompression\b": "the procedure is core decompression (seed error)",
    r"ultrasound (?:can|will|may) (?:show|see|detect)": "ultrasound cannot see inside bone",
    r"\broutine (?:bone marrow )?biopsy\b": "a bone marrow biopsy is not routine (seed error)",
    r"\bguarantee": "no guarantees in health education",
    # Same-day advice that offers "tomorrow at the latest" or "by tomorrow" quietly turns
    # urgent into next-day care; no text here needs the word, so it is banned outright.
    r"\btomorrow\b": (
        "same-day advice must not say tomorrow: say today, or an emergency department "
        "if you cannot be seen today"
    ),
}

# `{emergency_number}` is the only placeholder the engine fills in anywhere. The safety net may
# also open a bullet with a fact tag, `- {fact} ` or `- {fact=value} `: the engine drops that
# bullet when the person already reported the fact, so the net never repeats what they said.
PLACEHOLDER = "{emergency_number}"
TAGGED_CONTENT = {"safety_net"}
BULLET_TAG = re.compile(r"^- \{[a-z_]+(?:=[a-z0-9_]+)?\} ")
BRACES = re.compile(r"\{[^{}\n]*\}")

SENTENCE = re.compile(r"[^.!?]+[.!?]")


@dataclass(frozen=True)
class ContentReport:
    id: str
    path: str
    words: int
    average_sentence_words: float


def locale_of(directory: Path | str) -> str:
    """A content directory's locale: its name when that is a locale ("es"), else English."""
    name = Path(directory).name
    return name if LOCALE.match(name) else DEFAULT_LOCALE


def load_content(directory: Path | str, locale: str | None = None) -> dict[str, ContentDoc]:
    """Read every `*.md` in a directory; raises ContentError listing every bad file.

    A file with `translated_from` is a translation: its `reviewed_by` may be empty (not yet
    clinically reviewed). Given a `locale` (as `bme-bot check` does), the rule is strict:
    outside English every file needs `translated_from`, and English has none. Without one,
    the locale is the directory's name ("es"; English otherwise) and only English refuses
    `translated_from`."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ContentError([Issue(str(directory), 0, "", "content directory not found")])
    strict = locale is not None
    locale = locale or locale_of(directory)
    docs: dict[str, ContentDoc] = {}
    issues: list[Issue] = []
    for path in sorted(directory.glob("*.md")):
        doc = _read(path, issues, locale, strict=strict)
        if doc is None:
            continue
        if doc.id in docs:
            issues.append(
                Issue(str(path), 2, "id", f"id {doc.id!r} also used by {docs[doc.id].path}")
            )
        docs[doc.id] = doc
    if issues:
        raise ContentError(issues)
    return docs


def _read(
    path: Path, issues: list[Issue], locale: str = DEFAULT_LOCALE, *, strict: bool = False
) -> ContentDoc | None:
    file = str(path)
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if match is None:
        issues.append(
            Issue(
                file, 1, "", "missing front matter (--- id/title/sources/reviewed/reviewed_by ---)"
            )
        )
        return None
    try:
        meta = load_plain_yaml(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        issues.append(Issue(file, (mark.line + 2) if mark else 1, "", f"front matter YAML: {exc}"))
        return None
    if not isinstance(meta, dict):
        issues.append(Issue(file, 2, "", "front matter must be a mapping"))
        return None
    before = len(issues)
    english = locale == DEFAULT_LOCALE
    for key in sorted(set(meta) - FRONT_KEYS - {TRANSLATED_FROM}):
        issues.append(Issue(file, _line(match.group(1), key), key, "unknown front matter key"))
    required = strict and not english
    translated_from = _translated_from(meta, english, required, file, match.group(1), issues)
    translation = not english and (strict or TRANSLATED_FROM in meta)
    for key in sorted(FRONT_KEYS - set(meta)):
        issues.append(Issue(file, 1, key, "missing front matter key"))
    sources = meta.get("sources")
    if "sources" in meta and (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(s, str) and s.strip() for s in sources)
    ):
        issues.append(
            Issue(
                file,
                _line(match.group(1), "sources"),
                "sources",
                "needs a non-empty list of citations",
            )
        )
    reviewed = meta.get("reviewed")
    if "reviewed" in meta and not isinstance(reviewed, dt.date):
        try:
            dt.date.fromisoformat(str(reviewed))
        except ValueError:
            issues.append(
                Issue(
                    file, _line(match.group(1), "reviewed"), "reviewed", "needs a date (YYYY-MM-DD)"
                )
            )
    reviewed_by = meta.get("reviewed_by")
    if translation and reviewed_by is None:
        reviewed_by = ""  # `reviewed_by:` with nothing: not reviewed yet, as ""
    if "reviewed_by" in meta and not (
        isinstance(reviewed_by, str) and (reviewed_by.strip() or translation)
    ):
        issues.append(
            Issue(
                file,
                _line(match.group(1), "reviewed_by"),
                "reviewed_by",
                "needs the reviewer's role as text (e.g. project clinical lead)",
            )
        )
    doc_id = str(meta.get("id", ""))
    if "id" in meta and doc_id != path.stem:
        issues.append(
            Issue(
                file,
                _line(match.group(1), "id"),
                "id",
                f"id {doc_id!r} differs from the file name {path.stem!r}",
            )
        )
    body = match.group(2).strip()
    if not body:
        issues.append(Issue(file, 1, "", "empty body"))
    if len(issues) > before:
        return None
    return ContentDoc(
        id=doc_id,
        title=str(meta["title"]),
        body=body,
        sources=tuple(str(s) for s in sources or ()),
        reviewed=str(reviewed),
        path=file,
        reviewed_by=str(reviewed_by).strip(),
        translated_from=translated_from,
        locale=locale,
    )


def _translated_from(
    meta: dict[str, object],
    english: bool,
    required: bool,
    file: str,
    front: str,
    issues: list[Issue],
) -> str:
    """A translation's English review date; English, the original, has none."""
    if english:
        if TRANSLATED_FROM in meta:
            issues.append(
                Issue(
                    file,
                    _line(front, TRANSLATED_FROM),
                    TRANSLATED_FROM,
                    "only a translation has translated_from: English is the original",
                )
            )
        return ""
    if TRANSLATED_FROM not in meta:
        if required:
            issues.append(
                Issue(file, 1, TRANSLATED_FROM, "missing: the English review date translated from")
            )
        return ""
    value = meta[TRANSLATED_FROM]
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        issues.append(
            Issue(file, _line(front, TRANSLATED_FROM), TRANSLATED_FROM, "needs a date (YYYY-MM-DD)")
        )
        return ""


def _line(front: str, key: str) -> int:
    for number, line in enumerate(front.splitlines(), start=2):
        if line.startswith(f"{key}:"):
            return number
    return 1


def lint_content(
    docs: dict[str, ContentDoc], used: set[str], locale: str | None = None
) -> tuple[list[Issue], list[ContentReport]]:
    """Banned phrasing (the locale's own patterns), placeholders, unused files, and sentence
    lengths (reported only). Given a `locale` (as `bme-bot check` does), one with no banned
    patterns is an issue; otherwise each document's own locale picks them (English's when
    there are none for it)."""
    issues: list[Issue] = []
    reports: list[ContentReport] = []
    unlinted: set[str] = set()
    for doc in docs.values():
        lines = doc.body.splitlines()
        body_start = _body_line(doc)
        doc_locale = locale or doc.locale
        banned = BANNED if doc_locale == DEFAULT_LOCALE else banned_patterns(doc_locale)
        if banned is None and locale is None:
            banned = BANNED  # a folder named like a locale we have no table for: English rules
        if banned is None:
            if doc_locale not in unlinted:
                unlinted.add(doc_locale)
                issues.append(
                    Issue(
                        doc.path,
                        1,
                        "",
                        f"the content lint has no banned patterns for locale {doc_locale!r}: "
                        "add them to LOCALE_BANNED (bme_bot/loading/content_lint.py)",
                    )
                )
            banned = {}
        for pattern, why in banned.items():
            for number, line in enumerate(lines):
                if re.search(pattern, line, re.IGNORECASE):
                    issues.append(
                        Issue(doc.path, body_start + number, "", f"banned phrasing: {why}")
                    )
        for number, line in enumerate(lines):
            for problem in _placeholder_problems(doc.id, line):
                issues.append(Issue(doc.path, body_start + number, "", problem))
        if doc.id not in used:
            issues.append(
                Issue(doc.path, 1, "", f"content {doc.id!r} is not used by any flow or by the bot")
            )
        reports.append(_report(doc))
    return issues, reports


def _placeholder_problems(doc_id: str, line: str) -> list[str]:
    """Anything in braces other than the emergency number, or a fact tag where one is allowed."""
    rest = line
    if doc_id in TAGGED_CONTENT:
        tag = BULLET_TAG.match(line)
        if tag is not None:
            rest = line[tag.end() :]
    elif BULLET_TAG.match(line):
        return [f"a fact tag opens a bullet only in {', '.join(sorted(TAGGED_CONTENT))}"]
    problems = []
    for found in BRACES.findall(rest):
        if found == PLACEHOLDER:
            continue
        if doc_id in TAGGED_CONTENT:
            hint = "a fact tag must open a bullet: '- {fact} ' or '- {fact=value} '"
        else:
            hint = f"{PLACEHOLDER} is the only placeholder"
        problems.append(f"unknown placeholder {found}: {hint}")
    return problems


def _body_line(doc: ContentDoc) -> int:
    try:
        text = Path(doc.path).read_text(encoding="utf-8")
    except OSError:
        return 1
    closing = text.find("\n---\n", 4)
    offset = text[: closing + 5].count("\n") if closing >= 0 else 0
    leading = (
        len(text[closing + 5 :]) - len(text[closing + 5 :].lstrip("\n")) if closing >= 0 else 0
    )
    return offset + leading + 1


def _report(doc: ContentDoc) -> ContentReport:
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", doc.body).replace("**", "")
    plain = re.sub(r"^\s*-\s+", "", plain, flags=re.MULTILINE)
    chunks = [
        c for block in plain.split("\n") for c in (SENTENCE.findall(block) or [block]) if c.strip()
    ]
    words = [len(c.split()) for c in chunks]
    average = sum(words) / len(words) if words else 0.0
    return ContentReport(doc.id, doc.path, sum(words), round(average, 1))


# --- the words of questions (content/<locale>/questions.yaml) --------------------------------

VOCABULARY_FILE = "questions.yaml"
VOCABULARY_KEYS = {
    *FRONT_KEYS,
    TRANSLATED_FROM,
    "locale",
    "stopwords",
    "question_openers",
    "synonyms",
    "dose",
    "diagnosis",
    "red_flags",
}
_FLAG_KEYS = {"phrases", "fact", "value", "disposition", "guidance"}


def load_vocabulary(directory: Path | str, locale: str | None = None) -> Vocabulary:
    """The locale's question words (`content/<locale>/questions.yaml`); an empty vocabulary
    when the file does not exist (the bot still answers, without synonyms or stop words).
    Given a `locale` (as `bme-bot check` does), the file's `locale` must agree and, outside
    English, it needs `translated_from`; without one, the file's own `locale` (else the
    directory's name) is used. ContentError names file:line."""
    strict = locale is not None
    path = Path(directory) / VOCABULARY_FILE
    if not path.is_file():
        return Vocabulary(locale=locale or locale_of(directory))
    file = str(path)
    try:
        data = load_plain_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ContentError(
            [Issue(file, (mark.line + 1) if mark else 1, "", f"YAML: {exc}")]
        ) from exc
    issues: list[Issue] = []
    if not isinstance(data, dict):
        raise ContentError([Issue(file, 1, "", "must be a mapping")])
    for key in sorted(set(data) - VOCABULARY_KEYS, key=str):
        issues.append(Issue(file, 1, str(key), "unknown key"))
    for key in sorted(FRONT_KEYS - set(data)):
        issues.append(Issue(file, 1, key, "missing key (every content file has it)"))
    if locale is None:
        locale = str(data.get("locale") or locale_of(directory))
    if "locale" in data and data["locale"] != locale:
        issues.append(Issue(file, 1, "locale", f"{data['locale']!r} differs from {locale!r}"))
    english = locale == DEFAULT_LOCALE
    if (TRANSLATED_FROM in data and english) or (
        strict and not english and TRANSLATED_FROM not in data
    ):
        issues.append(
            Issue(
                file,
                1,
                TRANSLATED_FROM,
                "a translation needs translated_from (the English review date); English has none",
            )
        )
    if not _texts(data.get("sources")):
        issues.append(Issue(file, 1, "sources", "needs a non-empty list of citations"))
    try:
        dt.date.fromisoformat(str(data.get("reviewed")))
    except ValueError:
        issues.append(Issue(file, 1, "reviewed", "needs a date (YYYY-MM-DD)"))
    synonyms = data.get("synonyms") or {}
    if not isinstance(synonyms, dict) or not all(
        isinstance(k, str) and _texts(v) for k, v in synonyms.items()
    ):
        issues.append(Issue(file, 1, "synonyms", "needs a mapping: lay phrase -> [content words]"))
        synonyms = {}
    dose = data.get("dose") or {}
    diagnosis = data.get("diagnosis") or {}
    flags: list[ExtraFlag] = []
    for number, entry in enumerate(data.get("red_flags") or [], start=1):
        where = f"red_flags[{number}]"
        if (
            not isinstance(entry, dict)
            or set(entry) - _FLAG_KEYS
            or not _texts(entry.get("phrases"))
        ):
            issues.append(Issue(file, 1, where, f"needs phrases, and only {sorted(_FLAG_KEYS)}"))
            continue
        level = entry.get("disposition", "emergency")
        if level not in ("emergency", "urgent") or ("fact" in entry) != ("value" in entry):
            issues.append(
                Issue(file, 1, where, "fact and value go together; disposition emergency or urgent")
            )
            continue
        flags.append(
            ExtraFlag(
                tuple(entry["phrases"]),
                entry.get("fact"),
                None if entry.get("value") is None else str(entry["value"]),
                level,
                entry.get("guidance"),
            )
        )
    if issues:
        raise ContentError(issues)
    return Vocabulary(
        locale=str(data.get("locale", locale)),
        stopwords=frozenset(words_of(str(data.get("stopwords", "")))),
        question_openers=_tuple(data.get("question_openers")),
        synonyms={str(k): tuple(v) for k, v in synonyms.items()},
        dose_cues=_tuple(dose.get("cues")),
        doses_alone=_tuple(dose.get("doses_alone")),
        medicines=_tuple(dose.get("medicines")),
        diagnosis_openers=_tuple(diagnosis.get("openers")),
        conditions=_tuple(diagnosis.get("conditions")),
        red_flags=tuple(flags),
    )


def _texts(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def _tuple(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()
