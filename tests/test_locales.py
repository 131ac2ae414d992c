"""Flow texts and content per locale: text only beside the English structure, every string
present, the same placeholders, and `bme-bot check` proving each shipped locale complete.

The small cases copy the docs/FLOWS.md example and its Spanish texts
(tests/fixtures/locales/knee_example_es.yaml) into a temporary flows folder and break one
thing at a time; the last ones run on the shipped flows and content.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from pathlib import Path

import pytest

from bme_bot.checking import run_check
from bme_bot.core import lay
from bme_bot.core.content import clinically_reviewed, unreviewed
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Start, Toggle
from bme_bot.core.typed_answers import TypedAnswers
from bme_bot.loading.content_loader import load_content, load_vocabulary
from bme_bot.loading.errors import ContentError, FlowError
from bme_bot.loading.flow_loader import load_flow
from bme_bot.loading.flow_locales import available_locales, locale_file, read_locale

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "flows"
CONTENT = ROOT / "content"
EXAMPLE = ROOT / "tests" / "fixtures" / "flows_doc_example.yaml"
EXAMPLE_ES = ROOT / "tests" / "fixtures" / "locales" / "knee_example_es.yaml"


def example(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """The doc example as `flows/knee_example.yaml` with its Spanish texts beside it; `edit`
    replaces one exact fragment of the Spanish file (it must occur once)."""
    flow = tmp_path / "flows" / "knee_example.yaml"
    flow.parent.mkdir()
    shutil.copy(EXAMPLE, flow)
    texts = EXAMPLE_ES.read_text(encoding="utf-8")
    if edit is not None:
        assert texts.count(edit[0]) == 1, edit[0]
        texts = texts.replace(*edit)
    target = locale_file(flow, "es")
    target.parent.mkdir(parents=True)
    target.write_text(texts, encoding="utf-8")
    return flow


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [n for n, line in enumerate(lines, start=1) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def check(flows: list[Path], content: Path | None = None) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = run_check(flows, content, None, out)
    return code, out.getvalue().splitlines()


def failures(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("FAIL")]


# --- the loader -----------------------------------------------------------------------------


def test_a_complete_locale_gives_the_same_flow_with_its_texts(tmp_path: Path) -> None:
    flow_path = example(tmp_path)
    english = load_flow(flow_path)
    spanish = load_flow(flow_path, locale="es")
    assert spanish.questions["walk"].text == "¿Puedes dar 4 pasos con esa pierna ahora mismo?"
    assert spanish.questions["consent"].option("agree") is not None
    assert spanish.questions["consent"].options[0].label == "Empezar"
    assert spanish.questions["warning_signs"].items[0].if_unsure == (
        "Tómate la temperatura si puedes."
    )
    assert spanish.outcomes["cannot_walk"].reason.startswith("No poder dar 4 pasos")
    assert [t.label for t in spanish.topics] == ["¿Qué es el edema de médula ósea?"]
    # The structure is the English flow's, untouched.
    assert spanish.facts == english.facts and spanish.start == english.start
    assert spanish.all_routes() == english.all_routes()
    assert spanish.short_circuits == english.short_circuits
    for qid, question in english.questions.items():
        other = spanish.questions[qid]
        assert [o.id for o in other.options] == [o.id for o in question.options]
        assert [(i.fact, i.when) for i in other.items] == [(i.fact, i.when) for i in question.items]
    assert {k: (o.rule, o.disposition, o.guidance) for k, o in spanish.outcomes.items()} == {
        k: (o.rule, o.disposition, o.guidance) for k, o in english.outcomes.items()
    }
    assert load_flow(flow_path, locale="en") == english


def test_a_structural_key_in_a_locale_file_is_refused_with_its_line(tmp_path: Path) -> None:
    flow_path = example(
        tmp_path,
        ("    summary: Evolución\n", "    summary: Evolución\n    next: [{goto: decide}]\n"),
    )
    with pytest.raises(FlowError) as refused:
        load_flow(flow_path, locale="es")
    texts = locale_file(flow_path, "es")
    issues = [i for i in refused.value.issues if "structural key" in i.message]
    assert len(issues) == 1, refused.value.issues
    assert issues[0].file == str(texts)
    assert issues[0].line == line_of(texts, "next: [{goto: decide}]")
    assert issues[0].key == "questions.trend.next"


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (
            (
                '      agree: {label: "Empezar", synonyms: ["vale", "sí"]}\n',
                '      agree: {label: "Empezar", goto: trend}\n',
            ),
            "questions.consent.options.agree.goto",
            "structural key",
        ),
        (
            ("      normal: {label", "      walking: {label"),
            "questions.walk.options.walking",
            "the English flow has no",
        ),
        (
            ('  cold_numb: {label: "El pie', '  cold_numb: {when: {walk: limp}, label: "El pie'),
            "questions.warning_signs.checklist.cold_numb.when",
            "structural key",
        ),
        (
            (
                '      normal: {label: "Sí, con normalidad"}',
                '      normal: {label: "Sí", mentions: ["bien"]}',
            ),
            "questions.walk.options.normal.mentions",
            "no such text",
        ),
        (
            ('stable: {label: "Más o menos igual"}', 'stable: {label: "va MEJOR"}'),
            "questions.trend.options.stable.label",
            "the same label as questions.trend.options.improving.label",
        ),
    ],
)
def test_only_texts_of_known_ids_are_accepted(
    tmp_path: Path, edit: tuple[str, str], key: str, message: str
) -> None:
    flow_path = example(tmp_path, edit)
    issues = read_locale(flow_path, "es").issues
    found = [i for i in issues if i.key == key]
    assert len(found) == 1 and message in found[0].message, issues


def test_a_missing_translation_names_the_locale_the_key_and_the_english_line(
    tmp_path: Path,
) -> None:
    why = '    why: "No poder dar 4 pasos puede indicar un hueso roto."\n'
    flow_path = example(tmp_path, (why, ""))
    english_line = line_of(flow_path, 'why: "Not being able to take 4 steps')
    issues = read_locale(flow_path, "es").issues
    assert [str(i) for i in issues] == [
        f"{flow_path}:{english_line}: questions.walk.why: missing in locale 'es' "
        f"({locale_file(flow_path, 'es')}): the English text has no translation"
    ]
    with pytest.raises(FlowError):
        load_flow(flow_path, locale="es")
    code, lines = check([flow_path])
    assert code == 1
    assert failures(lines) == [f"FAIL {issues[0]}"]


def test_a_missing_word_list_and_a_missing_file_fail_check(tmp_path: Path) -> None:
    flow_path = example(tmp_path, (', mentions: ["no puedo caminar", "no puedo apoyar"]', ""))
    issues = read_locale(flow_path, "es").issues
    assert [i.key for i in issues] == ["questions.walk.options.unable.mentions"]
    assert issues[0].line == line_of(flow_path, 'mentions: ["can\'t walk"')
    other = locale_file(flow_path, "de")
    other.parent.mkdir()
    code, lines = check([flow_path])
    assert code == 1
    assert f"FAIL {flow_path}: locale 'de': no texts for this flow ({other} does not exist)" in (
        lines
    )


def test_placeholders_must_match_the_english(tmp_path: Path) -> None:
    flow_path = example(tmp_path)
    text = flow_path.read_text(encoding="utf-8")
    english = '"Can you take 4 steps on that leg right now?"'
    flow_path.write_text(
        text.replace(english, '"Can you take 4 steps? If not, call {emergency_number}."'), "utf-8"
    )
    issues = read_locale(flow_path, "es").issues
    assert len(issues) == 1, issues
    assert issues[0].key == "questions.walk.text"
    assert issues[0].file == str(locale_file(flow_path, "es"))
    assert "placeholders none differ from the English ['{emergency_number}']" in issues[0].message
    assert f"{flow_path}:{line_of(flow_path, '{emergency_number}')}" in issues[0].message


def test_available_locales_are_the_folders_present(tmp_path: Path) -> None:
    assert available_locales(FLOWS, CONTENT) == ["en", "de", "es"]
    flow_path = example(tmp_path)
    assert available_locales(flow_path.parent) == ["en", "es"]
    assert available_locales(tmp_path / "nowhere", None) == ["en"]


# --- content per locale ---------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["es", "de"])
def test_translated_content_loads_and_says_it_is_not_yet_reviewed(locale: str) -> None:
    english = load_content(CONTENT / "en")
    docs = load_content(CONTENT / locale)
    assert set(docs) == set(english)
    assert all(
        d.locale == locale and d.translated_from == english[k].reviewed for k, d in docs.items()
    )
    assert clinically_reviewed(english) and not unreviewed(english)
    assert not clinically_reviewed(docs) and unreviewed(docs) == tuple(sorted(docs))
    words = load_vocabulary(CONTENT / locale)
    assert words.locale == locale and words.red_flags and words.synonyms


def test_front_matter_rules_depend_on_the_locale(tmp_path: Path) -> None:
    source = (CONTENT / "es" / "myths.md").read_text(encoding="utf-8")
    es = tmp_path / "es"
    es.mkdir()
    (es / "myths.md").write_text(re.sub(r"translated_from: .*\n", "", source), "utf-8")
    with pytest.raises(ContentError) as refused:  # as check reads it: translated_from required
        load_content(es, "es")
    assert [(i.key, i.message.split(":")[0]) for i in refused.value.issues] == [
        ("translated_from", "missing")
    ]
    with pytest.raises(ContentError) as refused:  # not a translation: it needs a reviewer
        load_content(es)
    assert [i.key for i in refused.value.issues] == ["reviewed_by"]
    en = tmp_path / "en"
    en.mkdir()
    (en / "myths.md").write_text(source, "utf-8")  # an English file may not be a translation
    with pytest.raises(ContentError) as refused:
        load_content(en)
    assert {i.key for i in refused.value.issues} == {"translated_from", "reviewed_by"}
    (es / "myths.md").write_text(source, "utf-8")
    assert not load_content(es)["myths"].clinically_reviewed


# --- bme-bot check on the shipped locales ---------------------------------------------------


def test_the_shipped_flows_and_content_pass_check_in_every_locale() -> None:
    code, lines = check(sorted(FLOWS.glob("*.yaml")), CONTENT / "en")
    assert code == 0, failures(lines)
    text = "\n".join(lines)
    for locale in ("es", "de"):
        block = text.split(f"locale {locale}\n", 1)[1]
        assert "flow bme_triage: 250/250 texts" in block
        assert "flow checkin: 85/85 texts" in block
        assert f"content {CONTENT / locale}: 47/47 files, placeholders match" in block
        assert "7 red-flag groups" in block
    assert "interface strings: complete in every locale" in text


def test_check_fails_a_locale_whose_content_lacks_a_file(tmp_path: Path) -> None:
    shutil.copytree(FLOWS, tmp_path / "flows")
    shutil.copytree(CONTENT, tmp_path / "content")
    (tmp_path / "content" / "de" / "myths.md").unlink()
    code, lines = check(sorted((tmp_path / "flows").glob("*.yaml")), tmp_path / "content" / "en")
    assert code == 1
    assert failures(lines) == [
        f"FAIL {tmp_path / 'content' / 'en' / 'myths.md'}:2: id: locale 'de': missing "
        f"({tmp_path / 'content' / 'de' / 'myths.md'})"
    ]


# --- the engine and the reader in Spanish and German ----------------------------------------


def test_a_spanish_engine_asks_in_spanish_and_reaches_an_emergency() -> None:
    content = load_content(CONTENT / "es")
    flow = load_flow(FLOWS / "bme_triage.yaml", content, locale="es")
    engine = Engine(flow, content, vocabulary=load_vocabulary(CONTENT / "es"))
    english = load_flow(FLOWS / "bme_triage.yaml")
    session, replies = engine.step(None, Start())
    asked = [replies[-1].text]
    for event in (
        Answer("agree"),
        Answer("adult"),
        Answer("knee"),
        Toggle("calf_swelling"),
        Answer("done"),
        Answer("unable"),
    ):
        session, replies = engine.step(session, event)
        asked.append(replies[-1].text)
    assert session.done and session.outcome == "E2"
    for qid in ("age_group", "site", "red_flags", "weight_bearing"):
        spanish, original = flow.questions[qid].text, english.questions[qid].text
        assert any(spanish in text for text in asked), qid
        assert not any(original in text for text in asked), qid
    assert "Empezar" in asked[0]  # the consent content, in Spanish, quotes the Start button
    assert flow.outcomes["E2"].reason in "\n".join(r.text for r in replies)


@pytest.mark.parametrize(
    ("locale", "fact", "text", "value"),
    [
        ("es", "weight_bearing", "no puedo apoyar el pie", "unable"),
        ("es", "weight_bearing", "cojeando un poco", "limp"),
        ("es", "site", "me duele el tobillo", "ankle"),
        ("es", "fever", "tengo fiebre", "yes"),
        ("es", "wound", "no sé", "unsure"),
        ("es", "consent", "vale", "agree"),
        ("es", "trend", "va peor", "worsening"),
        ("de", "weight_bearing", "ich kann das Bein nicht belasten", "unable"),
        ("de", "weight_bearing", "ich humple", "limp"),
        ("de", "site", "die Ferse", "foot"),
        ("de", "fever", "Schüttelfrost", "yes"),
        ("de", "wound", "weiss nicht", "unsure"),
        ("de", "consent", "ok", "agree"),
        ("de", "trend", "es wird schlimmer", "worsening"),
    ],
)
def test_the_shipped_word_lists_read_typed_answers(
    locale: str, fact: str, text: str, value: str
) -> None:
    flow = load_flow(FLOWS / "bme_triage.yaml", locale=locale)
    assert TypedAnswers(flow, locale).read_typed(fact, text) == lay.Understood(value)


@pytest.mark.parametrize(
    ("locale", "text", "fact"),
    [
        ("es", "me caí y no puedo apoyar", "weight_bearing"),
        ("es", "tengo el pie frío y azulado", "cold_pale_numb"),
        ("de", "ich kann nicht auftreten", "weight_bearing"),
        ("de", "mein Fuß ist kalt und blau geworden", "cold_pale_numb"),
    ],
)
def test_red_flag_mentions_are_found_in_each_language(locale: str, text: str, fact: str) -> None:
    flow = load_flow(FLOWS / "bme_triage.yaml", locale=locale)
    assert TypedAnswers(flow, locale).mentioned({}, (), text) == fact


def test_a_localized_flow_is_a_plain_flow_value() -> None:
    """The engine and the proofs take it as they take the English one (nothing new to learn)."""
    flow = load_flow(FLOWS / "checkin.yaml", locale="de")
    assert dataclasses.is_dataclass(flow)
    assert flow.questions["checkin_status"].options[0].label == "Besser"
