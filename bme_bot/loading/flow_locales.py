"""A flow's texts in another language: `flows/locales/<locale>/<flow file>`, beside the flow.

The English flow file holds the structure (facts, values, routes, tables, conditions) and the
English texts. A locale file holds only texts, keyed by question id, option id, checklist item
fact, outcome id and topic id, so a translation can never change a route: a structural key in a
locale file is refused with its file:line. Every text the English flow has must be there (a
missing one names the locale, the key and the English file:line), with the same placeholders.

    questions:
      age_group:
        text: "¿Cuántos años tienes? ..."
        summary: Edad
        options:
          child: {label: "Menos de 18", synonyms: [niño, niña]}
      red_flags:
        checklist:
          fever: {label: "Fiebre ...", synonyms: [...], mentions: [...], if_unsure: "..."}
    outcomes:
      E1: {reason: "..."}
    topics:
      what_is_bme: {label: "¿Qué es el edema de médula ósea?"}
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import yaml

from bme_bot.core.flow import Flow, Item, Option, Question
from bme_bot.core.retrieval import words_of
from bme_bot.loading.errors import FlowError, Issue
from bme_bot.loading.yaml_lines import LineList, LineMap, load_yaml

DEFAULT_LOCALE: Final = "en"
"""The flow files' own language: the original every locale translates."""

LOCALES_DIR: Final = "locales"
LOCALE: Final = re.compile(r"^[a-z]{2,3}(?:_[A-Z]{2})?$")
"""A locale folder's name: "es", "de", "pt_BR"."""

PLACEHOLDER: Final = re.compile(r"\{[^{}\n]*\}")

QUESTION_TEXTS: Final = ("text", "summary", "why", "if_unsure")
OPTION_TEXTS: Final = ("label",)
ITEM_TEXTS: Final = ("label", "if_unsure")
PHRASES: Final = ("synonyms", "mentions", "no_synonyms")
FREE_PHRASES: Final = frozenset({"synonyms", "no_synonyms"})
"""Word lists a locale may give where the English has none (people type other words); a
`mentions` list only where the English has one, since it makes an answer a red flag."""

STRUCTURAL: Final = frozenset(
    {
        "id",
        "version",
        "start",
        "follows",
        "facts",
        "values",
        "unsure_counts_as",
        "preset",
        "fact",
        "content",
        "scale",
        "unit",
        "bands",
        "next",
        "when",
        "goto",
        "routers",
        "short_circuits",
        "invariants",
        "notes",
        "dispositions",
        "safety_net",
        "rule",
        "disposition",
        "advice",
        "guidance",
        "offer_checkin",
        "at_least",
        "description",
    }
)
"""Keys of the English flow that are structure, never text: refused in a locale file."""

TOP_TEXT_KEYS: Final = ("locale", "flow", "title", "questions", "outcomes", "topics")


@dataclass(frozen=True)
class Slot:
    """One text of the English flow: where it is, and what it says."""

    key: str
    """Dotted: `questions.red_flags.checklist.fever.label`, `outcomes.E1.reason`."""
    value: str | tuple[str, ...]
    line: int


def locale_file(flow_path: Path | str, locale: str) -> Path:
    """Where a flow's texts in `locale` live: `<flow dir>/locales/<locale>/<flow file>`."""
    path = Path(flow_path)
    return path.parent / LOCALES_DIR / locale / path.name


def flow_locales(flows_dir: Path | str) -> list[str]:
    """The locale folders under `<flows_dir>/locales` (English, the original, is not one)."""
    root = Path(flows_dir) / LOCALES_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and LOCALE.match(p.name))


def content_locales(content_root: Path | str) -> list[str]:
    """The locale folders of a content root (`content/en`, `content/es`, ...)."""
    root = Path(content_root)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and LOCALE.match(p.name))


def available_locales(
    flows_dir: Path | str | None = None, content_root: Path | str | None = None
) -> list[str]:
    """Every shipped locale, English first: the folders under `flows/locales` and `content/`.
    A locale is usable only when `bme-bot check` proves it complete in both."""
    found: set[str] = set()
    if flows_dir is not None:
        found |= set(flow_locales(flows_dir))
    if content_root is not None:
        found |= set(content_locales(content_root))
    found.discard(DEFAULT_LOCALE)
    return [DEFAULT_LOCALE, *sorted(found)]


# --- the English texts ----------------------------------------------------------------------


def english_slots(flow_path: Path | str) -> list[Slot]:
    """Every text of the English flow file, with its line (from the file itself, so a
    missing translation can point at the English original)."""
    path = Path(flow_path)
    raw = load_yaml(path.read_text(encoding="utf-8"))
    return list(_slots(raw)) if isinstance(raw, LineMap) else []


def _slots(top: LineMap) -> Iterator[Slot]:
    if isinstance(top.get("title"), str):
        yield Slot("title", top["title"], top.lines["title"])
    questions = top.get("questions")
    if isinstance(questions, LineMap):
        for qid in questions:
            body = questions[qid]
            if not isinstance(body, LineMap):
                continue
            key = f"questions.{qid}"
            yield from _texts(body, key, QUESTION_TEXTS)
            for entry in _entries(body.get("options"), "id"):
                ident, option = entry
                yield from _texts(option, f"{key}.options.{ident}", OPTION_TEXTS + PHRASES)
            for ident, item in _entries(body.get("checklist"), "fact"):
                yield from _texts(item, f"{key}.checklist.{ident}", ITEM_TEXTS + PHRASES)
    outcomes = top.get("outcomes")
    if isinstance(outcomes, LineMap):
        for oid in outcomes:
            if isinstance(outcomes[oid], LineMap):
                yield from _texts(outcomes[oid], f"outcomes.{oid}", ("reason",))
    for ident, topic in _entries(top.get("topics"), "id"):
        yield from _texts(topic, f"topics.{ident}", ("label",))


def _entries(raw: Any, id_key: str) -> Iterator[tuple[str, LineMap]]:
    if not isinstance(raw, LineList):
        return
    for entry in raw:
        if isinstance(entry, LineMap) and isinstance(entry.get(id_key), str):
            yield entry[id_key], entry


def _texts(body: LineMap, key: str, names: tuple[str, ...]) -> Iterator[Slot]:
    for name in names:
        value = body.get(name)
        if name in PHRASES:
            if isinstance(value, list) and value:
                yield Slot(f"{key}.{name}", tuple(str(v) for v in value), body.lines[name])
        elif isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            yield Slot(f"{key}.{name}", str(value), body.lines[name])


# --- a locale file --------------------------------------------------------------------------


@dataclass
class LocaleTexts:
    """A locale file read against the English flow: its texts by slot key, and every issue."""

    locale: str
    file: str
    texts: dict[str, str | tuple[str, ...]]
    lines: dict[str, int]
    issues: list[Issue]
    english: dict[str, Slot]
    """Every text of the English flow, by key: each must be translated."""

    @property
    def slots(self) -> int:
        return len(self.english)


def read_locale(flow_path: Path | str, locale: str) -> LocaleTexts:
    """Read `locales/<locale>/<flow file>` against the English flow: structural keys, ids
    the English flow does not have, missing texts and placeholder mismatches are issues."""
    english_file = str(flow_path)
    path = locale_file(flow_path, locale)
    slots = {s.key: s for s in english_slots(flow_path)}
    result = LocaleTexts(locale, str(path), {}, {}, [], slots)
    if not path.is_file():
        result.issues.append(
            Issue(
                english_file,
                0,
                "",
                f"locale {locale!r}: no texts for this flow ({path} does not exist)",
            )
        )
        return result
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        result.issues.append(Issue(str(path), line, "", f"YAML syntax error: {exc}"))
        return result
    _Walker(result, slots).top(raw)
    for key, slot in slots.items():
        if key not in result.texts:
            result.issues.append(
                Issue(
                    english_file,
                    slot.line,
                    key,
                    f"missing in locale {locale!r} ({path}): the English text has no translation",
                )
            )
            continue
        _compare(result, slot, english_file)
    _distinct_labels(result)
    return result


def _distinct_labels(result: LocaleTexts) -> None:
    """Two answers of one question with the same label (accents and case aside) could not
    be told apart, typed or read: each is an issue at the second one's line."""
    seen: dict[tuple[str, str], str] = {}
    for key, text in result.texts.items():
        parts = key.split(".")
        if len(parts) != 5 or parts[2] not in ("options", "checklist") or parts[4] != "label":
            continue
        if not isinstance(text, str):
            continue
        folded = " ".join(words_of(text))
        other = seen.setdefault((".".join(parts[:3]), folded), key)
        if other != key:
            result.issues.append(
                Issue(
                    result.file,
                    result.lines[key],
                    key,
                    f"locale {result.locale!r}: the same label as {other}: answers must differ",
                )
            )


def _compare(result: LocaleTexts, slot: Slot, english_file: str) -> None:
    """Same placeholders as the English text, in any order."""
    text = result.texts[slot.key]
    if not isinstance(slot.value, str) or not isinstance(text, str):
        return
    english = sorted(PLACEHOLDER.findall(slot.value))
    translated = sorted(PLACEHOLDER.findall(text))
    if english != translated:
        result.issues.append(
            Issue(
                result.file,
                result.lines[slot.key],
                slot.key,
                f"locale {result.locale!r}: placeholders {translated or 'none'} differ from the "
                f"English {english or 'none'} ({english_file}:{slot.line})",
            )
        )


class _Walker:
    """Walks a locale file's YAML, keeping texts and refusing anything else."""

    def __init__(self, result: LocaleTexts, slots: dict[str, Slot]) -> None:
        self.result = result
        self.slots = slots
        self.parents = {k.rsplit(".", 1)[0] for k in slots}

    def issue(self, line: int, key: str, message: str) -> None:
        self.result.issues.append(Issue(self.result.file, line, key, message))

    def mapping(self, value: Any, line: int, key: str) -> LineMap | None:
        if not isinstance(value, LineMap):
            self.issue(line, key, "expected a mapping")
            return None
        for name, dup_line in value.duplicates:
            self.issue(dup_line, f"{key}.{name}", "key given twice")
        return value

    def keys(self, body: LineMap, key: str, allowed: tuple[str, ...]) -> Iterator[str]:
        """The allowed keys of `body`; structural and unknown ones become issues."""
        for name in body:
            where = f"{key}.{name}" if key else str(name)
            if isinstance(name, bool):
                self.issue(body.lines[name], where, 'got a boolean key: quote "yes" and "no"')
            elif name in allowed:
                yield str(name)
            elif name in STRUCTURAL:
                self.issue(
                    body.lines[name],
                    where,
                    "structural key in a locale file: a translation holds text only; facts, "
                    "values, routes and conditions stay in the English flow",
                )
            else:
                self.issue(body.lines[name], where, f"unknown key (allowed: {', '.join(allowed)})")

    def top(self, raw: Any) -> None:
        body = self.mapping(raw, 1, "flow")
        if body is None:
            return
        locale = body.get("locale")
        if locale is not None and locale != self.result.locale:
            self.issue(
                body.lines["locale"],
                "locale",
                f"{locale!r} differs from its folder {self.result.locale!r}",
            )
        for name in self.keys(body, "", TOP_TEXT_KEYS):
            line = body.lines[name]
            if name == "title":
                self.put("title", body[name], line)
            elif name in ("questions", "outcomes", "topics"):
                self.ids(body[name], line, name)

    def ids(self, raw: Any, line: int, section: str) -> None:
        body = self.mapping(raw, line, section)
        if body is None:
            return
        for ident in body:
            key = f"{section}.{ident}"
            if isinstance(ident, bool):
                self.issue(body.lines[ident], key, 'got a boolean key: quote "yes" and "no"')
                continue
            if key not in self.parents and not any(p.startswith(key + ".") for p in self.parents):
                self.issue(body.lines[ident], key, f"the English flow has no {key}")
                continue
            entry = self.mapping(body[ident], body.lines[ident], key)
            if entry is None:
                continue
            if section == "questions":
                self.question(entry, key)
            else:
                names = ("reason",) if section == "outcomes" else ("label",)
                self.fields(entry, key, names)

    def question(self, body: LineMap, key: str) -> None:
        for name in self.keys(body, key, (*QUESTION_TEXTS, "options", "checklist")):
            line = body.lines[name]
            if name in ("options", "checklist"):
                entries = self.mapping(body[name], line, f"{key}.{name}")
                if entries is None:
                    continue
                names = OPTION_TEXTS if name == "options" else ITEM_TEXTS
                for ident in entries:
                    ikey = f"{key}.{name}.{ident}"
                    if isinstance(ident, bool):
                        self.issue(entries.lines[ident], ikey, 'got a boolean key: quote "yes"')
                        continue
                    if ikey not in self.parents:
                        self.issue(entries.lines[ident], ikey, f"the English flow has no {ikey}")
                        continue
                    entry = self.mapping(entries[ident], entries.lines[ident], ikey)
                    if entry is not None:
                        self.fields(entry, ikey, (*names, *PHRASES))
            else:
                self.put(f"{key}.{name}", body[name], line)

    def fields(self, body: LineMap, key: str, names: tuple[str, ...]) -> None:
        for name in self.keys(body, key, names):
            self.put(f"{key}.{name}", body[name], body.lines[name])

    def put(self, key: str, value: Any, line: int) -> None:
        name = key.rsplit(".", 1)[-1]
        if key not in self.slots and name not in FREE_PHRASES:
            self.issue(line, key, "the English flow has no such text here")
            return
        if name in PHRASES:
            phrases = self.phrases(value, line, key)
            if phrases:
                self.result.texts[key] = phrases
                self.result.lines[key] = line
            return
        text = self.text(value, line, key)
        if text:
            self.result.texts[key] = text
            self.result.lines[key] = line

    def text(self, value: Any, line: int, key: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            self.issue(line, key, "expected non-empty text")
            return ""
        return str(value)

    def phrases(self, value: Any, line: int, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            self.issue(line, key, "expected a non-empty list of phrases")
            return ()
        found = []
        for index, phrase in enumerate(value):
            text = self.text(phrase, line, f"{key}[{index}]")
            if text:
                found.append(text)
        return tuple(found)


# --- the localized flow ---------------------------------------------------------------------


def localize_flow(flow: Flow, flow_path: Path | str, locale: str) -> Flow:
    """The same flow (structure, ids, routes) with the texts of `locale`; FlowError lists
    every problem of its locale file. English returns the flow unchanged."""
    if locale == DEFAULT_LOCALE:
        return flow
    texts = read_locale(flow_path, locale)
    if texts.issues:
        raise FlowError(texts.issues)
    return apply_texts(flow, texts.texts)


def apply_texts(flow: Flow, texts: dict[str, str | tuple[str, ...]]) -> Flow:
    """`flow` with every text found in `texts` (slot key -> text); others kept as they are."""

    def text(key: str, default: str) -> str:
        value = texts.get(key)
        return value if isinstance(value, str) else default

    def phrases(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = texts.get(key)
        return value if isinstance(value, tuple) else default

    def option(qkey: str, o: Option) -> Option:
        key = f"{qkey}.options.{o.id}"
        return replace(
            o,
            label=text(f"{key}.label", o.label),
            synonyms=phrases(f"{key}.synonyms", o.synonyms),
            mentions=phrases(f"{key}.mentions", o.mentions),
        )

    def item(qkey: str, i: Item) -> Item:
        key = f"{qkey}.checklist.{i.fact}"
        return replace(
            i,
            label=text(f"{key}.label", i.label),
            synonyms=phrases(f"{key}.synonyms", i.synonyms),
            mentions=phrases(f"{key}.mentions", i.mentions),
            no_synonyms=phrases(f"{key}.no_synonyms", i.no_synonyms),
            if_unsure=text(f"{key}.if_unsure", i.if_unsure),
        )

    def question(q: Question) -> Question:
        key = f"questions.{q.id}"
        return replace(
            q,
            text=text(f"{key}.text", q.text),
            summary=text(f"{key}.summary", q.summary),
            why=text(f"{key}.why", q.why),
            if_unsure=text(f"{key}.if_unsure", q.if_unsure),
            options=tuple(option(key, o) for o in q.options),
            items=tuple(item(key, i) for i in q.items),
        )

    return replace(
        flow,
        title=text("title", flow.title),
        questions={qid: question(q) for qid, q in flow.questions.items()},
        outcomes={
            oid: replace(o, reason=text(f"outcomes.{oid}.reason", o.reason))
            for oid, o in flow.outcomes.items()
        },
        topics=tuple(replace(t, label=text(f"topics.{t.id}.label", t.label)) for t in flow.topics),
    )
