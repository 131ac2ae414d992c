"""`bme-bot check`: load, prove every invariant over every path, lint content, and report
which transitions and outcomes the golden transcripts reach."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bme_bot.core.asking import Vocabulary
from bme_bot.core.content import ContentDoc, ContentLibrary, unreviewed
from bme_bot.core.engine import Engine
from bme_bot.core.events import Start
from bme_bot.core.flow import Flow
from bme_bot.core.followup_proof import prove_followup
from bme_bot.core.unsure_proof import describe as describe_unsure
from bme_bot.core.unsure_proof import prove_unsure
from bme_bot.core.verifier import Exploration, explore, format_answers
from bme_bot.loading.content_loader import (
    BRACES,
    lint_content,
    load_content,
    load_vocabulary,
    locale_of,
)
from bme_bot.loading.errors import Issue, LoadError
from bme_bot.loading.flow_loader import content_ids_used, load_flow
from bme_bot.loading.flow_locales import (
    DEFAULT_LOCALE,
    apply_texts,
    content_locales,
    flow_locales,
    read_locale,
)
from bme_bot.transcripts import load_transcripts, run_transcript

ENGINE_CONTENT = {"help", "privacy"}
"""Content the engine itself shows (for /help and /privacy), beside what flows refer to."""


@dataclass
class CheckReport:
    failures: int = 0
    lines: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.failures += 1
        self.lines.append(f"FAIL {text}")


def run_check(
    flow_paths: list[Path],
    content_dir: Path | None,
    transcripts_dir: Path | None,
    out: IO[str],
) -> int:
    """Check flows, content and transcripts; print a report; exit code 1 on any failure."""
    started = time.perf_counter()
    report = CheckReport()
    content: ContentLibrary | None = None
    vocabulary: Vocabulary | None = None
    if content_dir is not None:
        try:
            content = load_content(content_dir)
            # the question words too: transcripts replay typed questions as the bot reads them
            vocabulary = load_vocabulary(content_dir)
        except LoadError as exc:
            for issue in exc.issues:
                report.fail(str(issue))
    used: set[str] = set(ENGINE_CONTENT)
    unloaded: list[Path] = []
    explored: dict[str, tuple[Flow, Exploration]] = {}
    for path in flow_paths:
        try:
            flow = load_flow(path, content)
        except LoadError as exc:
            for line in issue_lines(exc.issues):
                report.fail(line)
            unloaded.append(path)
            continue
        used |= content_ids_used(flow)
        explored[flow.id] = (
            flow,
            _check_flow(report, flow, content, transcripts_dir, vocabulary=vocabulary),
        )
    for flow, result in list(explored.values()):
        if flow.follows:
            _check_followup(report, flow, result, explored, content)
    if content is not None and content_dir is not None:
        if unloaded:
            # A flow that did not load uses nothing, so every text only it uses would be
            # reported as unused: dozens of false failures hiding the real one.
            used = set(content)
            names = ", ".join(p.name for p in unloaded)
            report.say(f"content: the unused-content check is skipped: {names} did not load")
        _lint(report, dict(content), used, content_dir)
    _check_locales(report, flow_paths, explored, content_dir, content, used)
    report.say(f"time: {time.perf_counter() - started:.2f} s")
    report.say("OK: all checks passed" if report.failures == 0 else f"{report.failures} failure(s)")
    out.write("\n".join(report.lines) + "\n")
    return 0 if report.failures == 0 else 1


def issue_lines(issues: list[Issue]) -> list[str]:
    """Load errors, each reported once.

    A YAML alias (`options: *yes_no`) repeats the anchor's lines under every key that uses it,
    so one mistake there comes back once per user, all at the anchor's line. Those are
    folded into one line at the anchor that names the users.
    """
    groups: dict[tuple[str, int, str], list[Issue]] = {}
    for issue in issues:
        owner, rest = _split_key(issue.key)
        groups.setdefault((issue.file, issue.line, rest if owner else issue.key), []).append(issue)
    lines = []
    for (_, _, rest), group in groups.items():
        owners = list(dict.fromkeys(_split_key(i.key)[0] for i in group))
        first = group[0]
        if len(owners) < 2 or not first.line:
            lines += [str(i) for i in group]
            continue
        where = f"{first.file}:{first.line}"
        lines.append(
            f"{where}: {rest}: {first.message} (in a YAML anchor shared through aliases by "
            f"{len(owners)} keys: {', '.join(owners)})"
        )
    return lines


def _split_key(key: str) -> tuple[str, str]:
    """'questions.fever.options[2].id' -> ('questions.fever', 'options[2].id')."""
    parts = key.split(".", 2)
    if len(parts) < 3:
        return "", key
    return f"{parts[0]}.{parts[1]}", parts[2]


def _check_flow(
    report: CheckReport,
    flow: Flow,
    content: ContentLibrary | None,
    transcripts: Path | None,
    *,
    vocabulary: Vocabulary | None = None,
) -> Exploration:
    engine = Engine(flow, content, vocabulary=vocabulary) if content is not None else None
    result = explore(flow, resolve=engine.resolve if engine else None)
    report.say(f"flow {flow.id} v{flow.version} ({flow.source})")
    report.say(
        f"  states: {len(flow.questions)} questions, {len(flow.routers)} routers, "
        f"{len(flow.outcomes)} outcomes; {len(flow.all_routes())} routes"
    )
    report.say(
        f"  explored: {result.abstract_states} abstract states, {result.terminal_cubes} terminal "
        f"classes covering {result.concrete_paths} concrete paths in {result.seconds * 1000:.0f} ms"
    )
    if result.concrete_paths:
        report.say(
            f"  questions per path: shortest {min(result.questions_per_path)}, "
            f"median {result.percentile(0.5)}, longest {max(result.questions_per_path)}"
        )
        for disposition, lengths in sorted(result.questions_by_disposition.items()):
            report.say(
                f"    to {disposition}: {sum(lengths.values())} paths, "
                f"shortest {min(lengths)}, median {_median(lengths)}, longest {max(lengths)} "
                "answers (a checklist is one)"
            )
    if engine is not None:
        report.say(f"  engine cross-check: {result.replayed} paths replayed through the engine")
    if result.truncated:
        report.fail("exploration stopped at its node limit: nothing is proved")
    for problem in result.problems:
        report.fail(f"{problem.kind} at {problem.state}: {problem.detail}")
        report.say(f"     answers: {format_answers(problem.answers)}")
    by_invariant = {v.invariant: v for v in reversed(result.violations)}
    for invariant in flow.invariants:
        violation = by_invariant.get(invariant.id)
        if violation is None:
            report.say(f"  proved {invariant.id}: {invariant.description}")
            continue
        report.fail(
            f"{invariant.id} violated: {invariant.description}; reached {violation.outcome} "
            f"({violation.disposition}, needs at least {violation.at_least})"
        )
        report.say(f"     counterexample: {format_answers(violation.answers)}")
    if not result.problems and not result.truncated:
        report.say(
            "  proved P6 (structure): every path ends at an outcome, no path asks a fact twice"
            + (", every content reference exists" if content is not None else "")
        )
    if flow.unsure:
        _check_unsure(report, flow)
    proved = len(flow.invariants) - len(by_invariant)
    structural = "" if result.problems or result.truncated else " + P6 (structure)"
    report.say(f"  invariants: {proved}/{len(flow.invariants)} declared proved{structural}")
    unreached = sorted(set(flow.outcomes) - result.outcomes_reached)
    if unreached:
        report.fail(f"outcomes no path reaches: {', '.join(unreached)}")
    if engine is not None and transcripts is not None and transcripts.is_dir():
        if flow.presets:
            # A golden transcript starts a fresh conversation, which cannot set a preset fact.
            report.say(
                f"  transcripts: none apply (the flow starts with {', '.join(flow.presets)} set)"
            )
        else:
            _coverage(report, engine, transcripts)
    return result


def _check_followup(
    report: CheckReport,
    flow: Flow,
    result: Exploration,
    explored: dict[str, tuple[Flow, Exploration]],
    content: ContentLibrary | None,
) -> None:
    """A follow-up flow against the flow it follows: never less urgent for the same answers,
    and the followed flow's invariants wherever they can hold (see `followup_proof`)."""
    report.say(f"flow {flow.id} follows {flow.follows}")
    if flow.follows not in explored:
        sibling = Path(flow.source).with_name(f"{flow.follows}.yaml")
        try:
            followed = load_flow(sibling, content)
        except LoadError:
            report.fail(
                f"{flow.id} follows {flow.follows!r}, which is not among the checked flows "
                f"and does not load from {sibling}: the follow-up properties are not proved"
            )
            return
        explored[followed.id] = (followed, explore(followed))
    followed, followed_result = explored[flow.follows]
    if result.truncated or followed_result.truncated:
        report.fail("follow-up: an exploration stopped at its node limit: nothing is proved")
        return
    proof = prove_followup(flow, result, followed, followed_result)
    for less in proof.less_urgent:
        report.fail(
            f"F1 violated: {flow.id} ends at {less.outcome} ({less.disposition}), less urgent "
            f"than {followed.id} ever ends with the same answers (at least {less.followed_outcome}, "
            f"{less.followed_disposition})"
        )
        report.say(f"     counterexample: {format_answers(less.answers)}")
        report.say(f"     {followed.id}: {format_answers(less.followed_answers)}")
    if not proof.less_urgent:
        report.say(
            f"  proved F1: no {flow.id} conversation ends less urgent than every {followed.id} "
            f"conversation with the same answers to {', '.join(proof.shared)} "
            f"({proof.conversations} answer classes compared)"
        )
    for item in proof.invariants:
        invariant = item.invariant
        if item.violation is not None:
            terminal, answers = item.violation
            outcome = flow.outcomes[terminal.state]
            report.fail(
                f"{followed.id} {invariant.id} violated in {flow.id}: {invariant.description}; "
                f"reached {outcome.id} ({outcome.disposition}, needs at least {invariant.at_least})"
            )
            report.say(f"     counterexample: {format_answers(answers)}")
        elif item.applies:
            report.say(f"  proved {followed.id} {invariant.id} here: {invariant.description}")
        else:
            report.say(
                f"  {followed.id} {invariant.id} does not apply: its facts are never asked here"
            )


def _median(lengths: Counter[int]) -> int:
    """The median of a histogram of path lengths, weighted by how many paths have each."""
    half, seen = sum(lengths.values()) / 2, 0
    for length in sorted(lengths):
        seen += lengths[length]
        if seen >= half:
            return length
    return 0


def _check_unsure(report: CheckReport, flow: Flow) -> None:
    """Property 11: for every fact that may be "not sure", that answer is never safer."""
    started = time.perf_counter()
    proof = prove_unsure(flow)
    took = (time.perf_counter() - started) * 1000
    if proof.truncated:
        report.fail("P11: the paired exploration stopped at its node limit: nothing is proved")
        return
    for violation in proof.violations:
        report.fail(f"P11 violated: {describe_unsure(violation)}")
        report.say(f"     counterexample: {format_answers(violation.answers)}")
    if not proof.violations:
        report.say(
            f"  proved P11 (unsure): for {len(flow.unsure)} facts, 'not sure' equals its declared "
            "careful answer, and no other answer is ever more urgent without being less urgent "
            f"elsewhere ({proof.nodes} paired states, {took:.0f} ms)"
        )
    for mixed in proof.mixed:
        report.say(
            f"    note: {mixed.fact}: 'not sure' is less urgent than '{mixed.other}' in "
            f"{mixed.safer_classes} classes, because the table ranks them so; "
            f"e.g. {describe_unsure(mixed.example)}"
        )


def _coverage(report: CheckReport, engine: Engine, directory: Path) -> None:
    try:
        transcripts = load_transcripts(directory)
    except LoadError as exc:
        for issue in exc.issues:
            report.fail(str(issue))
        return
    routes: set[str] = set()
    outcomes: set[str] = set()
    failed = 0
    for transcript in transcripts:
        result = run_transcript(engine, transcript)
        routes |= result.routes
        outcomes |= result.outcomes
        if result.divergence:
            failed += 1
            report.fail(f"transcript diverges: {result.divergence}")
    all_routes = {r.id for r in engine.flow.all_routes()}
    covered = len(routes & all_routes)
    report.say(
        f"  transcripts: {len(transcripts)} in {directory}, {failed} diverging; "
        f"transitions covered {covered}/{len(all_routes)} ({100 * covered / len(all_routes):.0f}%), "
        f"outcomes covered {len(outcomes)}/{len(engine.flow.outcomes)}"
    )
    missing_routes = sorted(all_routes - routes)
    if missing_routes:
        report.say(f"    transitions no transcript takes: {', '.join(missing_routes)}")
    missing_outcomes = sorted(set(engine.flow.outcomes) - outcomes)
    if missing_outcomes:
        report.say(f"    outcomes no transcript reaches: {', '.join(missing_outcomes)}")


def _lint(
    report: CheckReport, docs: dict[str, ContentDoc], used: set[str], directory: Path
) -> None:
    issues, reports = lint_content(docs, used)
    for issue in issues:
        report.fail(str(issue))
    if reports:
        average = sum(r.average_sentence_words for r in reports) / len(reports)
        longest = max(reports, key=lambda r: r.average_sentence_words)
        report.say(
            f"content {directory}: {len(reports)} files, sources and review dates present; "
            f"average sentence {average:.1f} words (longest average: {longest.id}, "
            f"{longest.average_sentence_words})"
        )
        for item in sorted(reports, key=lambda r: r.id):
            report.say(
                f"    {item.id:<18} {item.words:>4} words  {item.average_sentence_words:>5} w/sentence"
            )


# --- every locale complete --------------------------------------------------------------------


@dataclass(frozen=True)
class LocaleFinding:
    """One string missing or wrong in one locale, pointing at the English original."""

    locale: str
    key: str
    """What is missing: a flow text key, a content id, a message id."""
    file: str
    """The English original's file (a flow, a content file, a .pot/.po catalogue)."""
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: locale {self.locale!r}: {self.message}"


def report_locale_findings(report: CheckReport, area: str, findings: list[LocaleFinding]) -> None:
    """The hook for other per-locale proofs (the interface message catalogues): each finding
    is a failure naming the locale, the key and the English file:line; none is one line
    saying the area is complete in every locale."""
    for finding in findings:
        report.fail(str(finding))
    if not findings:
        report.say(f"  {area}: complete in every locale")


def interface_string_findings(locales: list[str]) -> list[LocaleFinding]:
    """Interface strings (engine replies, Telegram, console) missing from a locale's message
    catalogue (`bme_bot/locales/<locale>/LC_MESSAGES/bme_bot.po`), with other placeholders,
    or missing from the .pot; each names the English original's file:line."""
    from bme_bot.loading.catalogues import catalogue_findings

    findings, _ = catalogue_findings(locales)
    return [LocaleFinding(f.locale, f.key, f.file, f.line, f.message) for f in findings]


def _locales_of(flow_paths: list[Path], content_dir: Path | None) -> tuple[list[str], Path | None]:
    """The shipped locales besides English: folders under each flow's `locales/` and beside
    the content directory (when it is a locale folder such as `content/en`)."""
    found: set[str] = set()
    for path in flow_paths:
        found |= set(flow_locales(path.parent))
    root = None
    if content_dir is not None and locale_of(content_dir) == content_dir.name:
        root = content_dir.parent
        found |= set(content_locales(root))
    found.discard(DEFAULT_LOCALE)
    return sorted(found), root


def _check_locales(
    report: CheckReport,
    flow_paths: list[Path],
    explored: dict[str, tuple[Flow, Exploration]],
    content_dir: Path | None,
    content: ContentLibrary | None,
    used: set[str],
) -> None:
    """Each locale complete: every flow text, content file and question word, the same
    placeholders, and the content lint in the locale's words."""
    locales, root = _locales_of(flow_paths, content_dir)
    if not locales:
        return
    flows = {Path(flow.source): flow for flow, _ in explored.values()}
    for locale in locales:
        report.say(f"locale {locale}")
        docs = _check_locale_content(report, locale, root, content, used)
        for path in flow_paths:
            flow = flows.get(path)
            if flow is not None:
                _check_locale_flow(report, locale, path, flow, docs)
    report_locale_findings(report, "interface strings", interface_string_findings(locales))


def _check_locale_flow(
    report: CheckReport, locale: str, path: Path, flow: Flow, docs: ContentLibrary | None
) -> None:
    texts = read_locale(path, locale)
    for line in issue_lines(texts.issues):
        report.fail(line)
    found = len(set(texts.texts) & set(texts.english))
    if texts.issues:
        report.say(f"  flow {flow.id}: {found}/{texts.slots} texts in {texts.file}")
        return
    localized = apply_texts(flow, texts.texts)
    if docs is not None and not content_ids_used(localized) - set(docs):
        # (a content file missing from the locale is reported once, by the content check)
        engine = Engine(localized, docs)
        _, replies = engine.step(None, Start())
        if not replies or replies[-1].kind != "question":
            report.fail(f"{path}: locale {locale!r}: the engine does not open with a question")
    report.say(
        f"  flow {flow.id}: {found}/{texts.slots} texts ({_slot_counts(texts.texts)}), "
        "placeholders match, structure is the English flow's (proved above)"
    )


def _slot_counts(texts: dict[str, str | tuple[str, ...]]) -> str:
    counts: Counter[str] = Counter()
    for key in texts:
        parts = key.split(".")
        if parts[0] == "questions" and len(parts) == 3:
            counts["question texts"] += 1
        elif parts[0] == "questions" and parts[2] == "options" and parts[-1] == "label":
            counts["options"] += 1
        elif parts[0] == "questions" and parts[2] == "checklist" and parts[-1] == "label":
            counts["checklist items"] += 1
        elif parts[0] == "questions" and parts[-1] in ("synonyms", "mentions", "no_synonyms"):
            counts["word lists"] += 1
        elif parts[0] == "questions":
            counts["item hints"] += 1
        elif parts[0] == "outcomes":
            counts["outcomes"] += 1
        elif parts[0] == "topics":
            counts["topics"] += 1
        elif parts[0] == "title":
            counts["title"] += 1
    order = ("question texts", "options", "checklist items", "item hints", "word lists")
    names = (*order, "outcomes", "topics", "title")
    return ", ".join(f"{counts[name]} {name}" for name in names if counts[name])


def _check_locale_content(
    report: CheckReport,
    locale: str,
    root: Path | None,
    english: ContentLibrary | None,
    used: set[str],
) -> ContentLibrary | None:
    """The locale's content: loads, mirrors every English file (same ids, placeholders,
    translated from the current English review), passes the locale's lint; and its
    question words mirror the English red flags."""
    if root is None or english is None:
        return None
    directory = root / locale
    if not directory.is_dir():
        report.fail(f"{root}: locale {locale!r}: no content folder ({directory})")
        return None
    try:
        docs = load_content(directory, locale)
    except LoadError as exc:
        for issue in exc.issues:
            report.fail(str(issue))
        return None
    for cid, doc in sorted(english.items()):
        other = docs.get(cid)
        if other is None:
            report.fail(
                f"{doc.path}:2: id: locale {locale!r}: missing ({directory / Path(doc.path).name})"
            )
            continue
        if sorted(BRACES.findall(doc.body)) != sorted(BRACES.findall(other.body)):
            report.fail(
                f"{other.path}: locale {locale!r}: placeholders "
                f"{sorted(BRACES.findall(other.body)) or 'none'} differ from the English "
                f"{sorted(BRACES.findall(doc.body)) or 'none'} ({doc.path})"
            )
        if other.translated_from != doc.reviewed:
            report.fail(
                f"{other.path}: translated_from: locale {locale!r}: translated from the "
                f"{other.translated_from} text, but {doc.path} was reviewed {doc.reviewed}: "
                "translate the change"
            )
    for cid in sorted(set(docs) - set(english)):
        report.fail(f"{docs[cid].path}:2: id: locale {locale!r}: no English original {cid!r}")
    issues, reports = lint_content(docs, used, locale)
    for issue in issues:
        report.fail(str(issue))
    _vocabulary(report, locale, root)
    if reports:
        average = sum(r.average_sentence_words for r in reports) / len(reports)
        longest = max(reports, key=lambda r: r.average_sentence_words)
        waiting = len(unreviewed(docs))
        report.say(
            f"  content {directory}: {len(docs)}/{len(english)} files, placeholders match; "
            f"{len(docs) - waiting} clinically reviewed, {waiting} not yet; average sentence "
            f"{average:.1f} words (longest average: {longest.id}, "
            f"{longest.average_sentence_words})"
        )
        for item in sorted(reports, key=lambda r: r.id):
            report.say(
                f"    {item.id:<18} {item.words:>4} words  {item.average_sentence_words:>5} w/sentence"
            )
    return docs


def _vocabulary(report: CheckReport, locale: str, root: Path) -> None:
    """The locale's question words load, and flag the same facts, values and dispositions
    as the English ones (a translation may add phrases, never drop a red flag)."""
    try:
        english = load_vocabulary(root / DEFAULT_LOCALE, DEFAULT_LOCALE)
        words = load_vocabulary(root / locale, locale)
    except LoadError as exc:
        for issue in exc.issues:
            report.fail(str(issue))
        return
    file = root / locale / "questions.yaml"
    if not file.is_file():
        report.fail(
            f"{root / DEFAULT_LOCALE / 'questions.yaml'}: locale {locale!r}: missing ({file})"
        )
        return

    def flags(v: Vocabulary) -> list[tuple[str, str, str, str]]:
        return sorted(
            (f.fact or "", f.value or "", f.disposition, f.guidance or "") for f in v.red_flags
        )

    if flags(english) != flags(words):
        report.fail(
            f"{file}: red_flags: locale {locale!r}: flags {flags(words)} differ from the English "
            f"{flags(english)}"
        )
    empty = [
        name
        for name, value in (
            ("stopwords", words.stopwords),
            ("question_openers", words.question_openers),
            ("synonyms", words.synonyms),
            ("dose", words.dose_cues),
            ("diagnosis", words.diagnosis_openers),
        )
        if not value
    ]
    for name in empty:
        report.fail(f"{file}: {name}: locale {locale!r}: empty (the English has words here)")
    if not empty:
        report.say(
            f"  question words {file}: {len(words.synonyms)} lay phrases, "
            f"{len(words.red_flags)} red-flag groups "
            f"({sum(len(f.phrases) for f in words.red_flags)} phrases) as in English"
        )
