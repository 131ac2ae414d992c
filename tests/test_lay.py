"""Unit tests for bme_bot.core.lay: one group per reading rule, on small hand-made questions."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bme_bot.core.engine import Engine
from bme_bot.core.lay import (
    EN,
    Choice,
    Marks,
    NumberScale,
    Reader,
    Unclear,
    Understood,
    mentions,
    read_answer,
    read_checklist,
)
from bme_bot.core.lay_lang import language
from bme_bot.core.lay_text import content, fold
from bme_bot.core.typed_answers import TypedAnswers

FIXTURES = Path(__file__).parent / "fixtures"

AGE = (
    Choice("child", "Under 18", ("kid", "teenager")),
    Choice("adult", "18 to 54"),
    Choice("older_adult", "55 or older", ("senior",)),
)
AGE_SCALE = NumberScale("years", (("child", 18), ("adult", 55), ("older_adult", math.inf)))
DURATION = (
    Choice("under_1_week", "Less than a week"),
    Choice("1_to_6_weeks", "1 to 6 weeks"),
    Choice("over_6_weeks", "More than 6 weeks"),
)
DAYS = NumberScale("days", (("under_1_week", 7), ("1_to_6_weeks", 43), ("over_6_weeks", math.inf)))
SITE = (
    Choice("hip", "Hip or groin", ("groin", "thigh")),
    Choice("knee", "Knee", ("kneecap",)),
    Choice("ankle", "Ankle"),
    Choice("foot", "Foot", ("heel", "toe")),
)
WALK = (
    Choice("normal", "Yes, normally", ("walking normally",)),
    Choice("limp", "Yes, with a limp", ("limp", "limping", "swollen")),
    Choice("unable", "No, can't take 4 steps", ("can't walk", "can't put weight")),
)
ONSET = (
    Choice("sudden_injury", "Suddenly, with an injury", ("injury", "fell")),
    Choice("sudden_no_injury", "Suddenly, without an injury"),
    Choice("gradual", "Gradually", ("gradual", "slowly")),
)
TREND = (
    Choice("improving", "Getting better", ("better",)),
    Choice("stable", "About the same", ("same",)),
    Choice("worsening", "Getting worse", ("worse",)),
)
FEVER = (
    Choice("yes", "Yes", ("fever", "hot", "shivery")),
    Choice("no", "No", ("fine",)),
    Choice("unsure", "Not sure", ("no thermometer",)),
)
PREGNANT = (Choice("yes", "Yes", ("pregnant",)), Choice("no", "No"))


def age(text: str) -> object:
    return read_answer(text, AGE, scale=AGE_SCALE)


def days(text: str) -> object:
    return read_answer(text, DURATION, scale=DAYS)


def fever(text: str) -> object:
    return read_answer(text, FEVER, unsure="unsure")


# --- rule 1: numbers, ids, labels, synonyms, words inside sentences ------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", "knee"),
        ("option 2", "knee"),
        ("2.", "knee"),
        ("  Knee ", "knee"),
        ("KNÉE!", "knee"),
        ("my left knee", "knee"),
        ("the heel", "foot"),
        ("Hip or groin", "hip"),
        ("it's in my right thigh", "hip"),
        ("ankle", "ankle"),
    ],
)
def test_options_by_number_id_label_synonym(text: str, value: str) -> None:
    assert read_answer(text, SITE) == Understood(value)


def test_words_inside_a_sentence() -> None:
    assert read_answer("I think it's getting worse", TREND) == Understood("worsening")


@pytest.mark.parametrize("text", ["-1", "+2", "\u22121", "5", "0"])
def test_signed_or_out_of_range_numbers_are_never_an_option(text: str) -> None:
    assert read_answer(text, SITE) == Unclear(())


def test_ids_with_underscores_are_read() -> None:
    assert age("older_adult") == Understood("older_adult")
    assert days("1_to_6_weeks") == Understood("1_to_6_weeks")


# --- rule 2: numbers and number words with a scale ------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I'm 45", "adult"),
        ("45", "adult"),
        ("seventeen", "child"),
        ("forty-five", "adult"),
        ("55", "older_adult"),
        ("54", "adult"),
        ("18", "adult"),
        ("17 years old", "child"),
        ("I'm 3", "child"),
        ("3 years", "child"),
        ("1", "child"),  # option 1 and 1 year agree
        ("over 60", "older_adult"),
        ("in my 30s", "adult"),
    ],
)
def test_ages(text: str, value: str) -> None:
    assert age(text) == Understood(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3 days", "under_1_week"),
        ("a month", "1_to_6_weeks"),
        ("since yesterday", "under_1_week"),
        ("10 days", "1_to_6_weeks"),
        ("two weeks", "1_to_6_weeks"),
        ("a few days", "under_1_week"),
        ("6 weeks", "1_to_6_weeks"),
        ("7 days", "1_to_6_weeks"),
        ("6 days", "under_1_week"),
        ("43 days", "over_6_weeks"),
        ("2 months", "over_6_weeks"),
        ("half a year", "over_6_weeks"),
        ("a year", "over_6_weeks"),
        ("3 or 4 weeks", "1_to_6_weeks"),
        ("more than 6 weeks", "over_6_weeks"),
        ("less than a week", "under_1_week"),
    ],
)
def test_durations_in_days(text: str, value: str) -> None:
    assert days(text) == Understood(value)


def test_bare_number_that_is_also_an_option_is_asked_again() -> None:
    got = age("3")
    assert isinstance(got, Unclear)
    assert set(got.candidates) == {"child", "older_adult"}
    assert "Under 18" in got.hint and "55 or older" in got.hint
    assert days("3") == Unclear(
        ("under_1_week", "over_6_weeks"), 'Did you mean "Less than a week" or "More than 6 weeks"?'
    )


@pytest.mark.parametrize("text", ["in my fifties", "about 55", "over 50"])
def test_ages_straddling_two_bands_are_asked_again(text: str) -> None:
    assert age(text) == Unclear(
        ("adult", "older_adult"), 'Did you mean "18 to 54" or "55 or older"?'
    )


@pytest.mark.parametrize("text", ["about a week", "since last week", "between 3 and 10 days"])
def test_durations_straddling_two_bands_are_asked_again(text: str) -> None:
    got = days(text)
    assert isinstance(got, Unclear) and got.candidates == ("under_1_week", "1_to_6_weeks")


# --- rule 3: negation and hedges ------------------------------------------------------------


@pytest.mark.parametrize("text", ["no fever", "not really", "nope", "never", "no", "not hot"])
def test_negations_at_yes_no_mean_no(text: str) -> None:
    assert fever(text) == Understood("no")


@pytest.mark.parametrize(
    "text",
    [
        "I don't know",
        "not sure",
        "no idea",
        "dunno",
        "maybe",
        "probably",
        "probably not",
        "possibly",
        "I think so?",
        "yes?",
        "I don't think so",
        "no thermometer",
    ],
)
def test_hedges_mean_unsure_when_offered(text: str) -> None:
    assert fever(text) == Understood("unsure")


def test_hedges_without_unsure_are_asked_again() -> None:
    assert read_answer("maybe", PREGNANT) == Unclear(("yes", "no"), 'Did you mean "Yes" or "No"?')
    got = read_answer("probably getting worse", TREND)
    assert isinstance(got, Unclear) and got.hint


def test_yes_no_words_are_built_in() -> None:
    assert fever("yeah") == Understood("yes")
    assert fever("I have a fever") == Understood("yes")
    assert read_answer("yep", PREGNANT) == Understood("yes")


def test_negated_option_at_other_questions_is_never_guessed() -> None:
    assert read_answer("not limping", WALK) == Unclear(
        ("normal", "unable"), 'Did you mean "Yes, normally" or "No, can\'t take 4 steps"?'
    )
    got = read_answer("no injury", ONSET)
    assert isinstance(got, Unclear) and got.candidates == ("sudden_no_injury", "gradual")


def test_a_negation_used_by_one_phrase_does_not_reach_the_next() -> None:
    assert read_answer("no injury, came on slowly", ONSET) == Understood("gradual")
    assert read_answer("no injury came on slowly", ONSET) == Understood("gradual")
    assert read_answer("not getting better, worse", TREND) == Understood("worsening")


def test_negated_no_word_is_asked_again_but_no_agrees() -> None:
    assert fever("not fine") == Unclear(("yes", "no"), 'Did you mean "Yes" or "No"?')
    assert fever("no, fine") == Understood("no")


# --- rule 4: misspellings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choices", "value"),
    [
        ("gradualy", ONSET, "gradual"),
        ("limpping", WALK, "limp"),
        ("swolen", WALK, "limp"),
        ("sloly", ONSET, "gradual"),  # 5 letters: deletion
        ("slwoly", ONSET, "gradual"),  # transposition
        ("kneecpa", SITE, "knee"),
    ],
)
def test_one_edit_on_long_words(text: str, choices: tuple[Choice, ...], value: str) -> None:
    assert read_answer(text, choices) == Understood(value)


def test_short_words_and_first_letters_are_not_guessed() -> None:
    assert read_answer("hel", SITE) == Unclear(())  # 3 letters: "heel" is not assumed
    assert read_answer("ankel", SITE) == Understood("ankle")
    assert read_answer("tnkle", SITE) == Unclear(())  # first letter differs


# --- rule 5: safety -------------------------------------------------------------------------


def test_two_options_in_one_text_are_asked_again() -> None:
    assert fever("yes and no") == Unclear(("yes", "no"), 'Did you mean "Yes" or "No"?')
    assert fever("no, but I feel hot") == Unclear(("yes", "no"), 'Did you mean "Yes" or "No"?')
    got = read_answer("knee and ankle", SITE)
    assert isinstance(got, Unclear) and got.candidates == ("knee", "ankle")


def test_walking_phrases() -> None:
    assert read_answer("I can walk but not far, limping", WALK) == Understood("limp")
    for text in ("can't walk", "cannot walk", "can not walk", "unable to walk", "not able to walk"):
        assert read_answer(text, WALK) == Understood("unable"), text
    assert read_answer("yes", WALK) == Unclear(
        ("normal", "limp"), 'Did you mean "Yes, normally" or "Yes, with a limp"?'
    )
    assert read_answer("no", WALK) == Understood("unable")


def test_suddenly_alone_is_asked_again() -> None:
    got = read_answer("suddenly", ONSET)
    assert isinstance(got, Unclear) and got.candidates == ("sudden_injury", "sudden_no_injury")


# --- rule 6: nothing recognised -------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "purple", "what do you mean", "???"])
def test_nothing_recognised(text: str) -> None:
    assert read_answer(text, SITE) == Unclear(())


def test_reader_matches_read_answer() -> None:
    reader = Reader(AGE, scale=AGE_SCALE)
    for text in ("45", "3", "kid", "senior", "in my fifties", "xyz"):
        assert reader.read(text) == age(text)


# --- checklists -----------------------------------------------------------------------------

ITEMS = (
    Choice("fever", "Fever or feeling hot", ("temperature",)),
    Choice("diabetes", "Diabetes", ("diabetic",)),
    Choice("hot_swollen", "Warm and swollen", ("hot and swollen",)),
    Choice("wound", "A wound or ulcer", ("ulcer", "steroids")),
    Choice("steroids", "Steroids or heavy drinking", ("steroids",)),
)


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("1 3", {"fever": "yes", "hot_swollen": "yes"}),
        ("1,3", {"fever": "yes", "hot_swollen": "yes"}),
        ("fever, diabetes", {"fever": "yes", "diabetes": "yes"}),
        ("fever and diabetes", {"fever": "yes", "diabetes": "yes"}),
        ("fever? 3", {"fever": "unsure", "hot_swollen": "yes"}),
        ("2?", {"diabetes": "unsure"}),
        ("not sure about fever", {"fever": "unsure"}),
        ("diabetes maybe", {"diabetes": "unsure"}),
        ("diabetic and not sure about ulcer", {"diabetes": "yes", "wound": "unsure"}),
        ("warm and swollen", {"hot_swollen": "yes"}),
        ("diabetis, feverr", {"diabetes": "yes", "fever": "yes"}),
        ("2?, 2", {"diabetes": "yes"}),
        ("2, 2?", {"diabetes": "yes"}),
        ("all of them", {i.id: "yes" for i in ITEMS}),
    ],
)
def test_checklist_marks(text: str, marks: dict[str, str]) -> None:
    assert read_checklist(text, ITEMS) == Marks(marks)


@pytest.mark.parametrize(
    "text", ["none", "no", "nothing", "none of these", "neither", "no to all", "None."]
)
def test_checklist_none(text: str) -> None:
    assert read_checklist(text, ITEMS) == Marks({})


@pytest.mark.parametrize(
    "text", ["1 9", "0", "13", "fever, purple", "no fever", "", "1 or 3", "-1", "fever and a rash"]
)
def test_checklist_never_drops_a_piece(text: str) -> None:
    got = read_checklist(text, ITEMS)
    assert isinstance(got, Unclear) and got.hint


def test_checklist_phrase_for_two_items_is_asked_again() -> None:
    got = read_checklist("steroids", ITEMS)
    assert isinstance(got, Unclear) and got.candidates == ("wound", "steroids")


# --- mentions -------------------------------------------------------------------------------

FLAGS = ("can't put weight", "can't walk", "foot is cold", "cold foot", "numb", "numbness")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("I can't put weight on it", True),
        ("I cannot walk since the fall", True),
        ("my foot is cold and numb", True),
        ("my foot is not cold", False),
        ("my foot isn't cold or numb", False),
        ("no numbness", False),
        ("I'm not numb", False),
        ("some numbnes in my toes", True),
        ("I had a cold last week", False),
        ("it hurts, but it's not numb", False),
        ("not swollen, but numb", True),
        ("", False),
    ],
)
def test_mentions(text: str, said: bool) -> None:
    assert mentions(text, FLAGS) is said


@pytest.mark.parametrize("text", ["1e9", "{0}", "id=1", "&#x3C;", "1000", "400 years"])
def test_implausible_or_garbled_numbers_are_asked_again(text: str) -> None:
    """Found by the reliability fuzzer: digits inside other text were read as an age."""
    ages = NumberScale("years", (("child", 18.0), ("adult", 55.0), ("older_adult", math.inf)))
    choices = [
        Choice("child", "Under 18"),
        Choice("adult", "18 to 54"),
        Choice("older_adult", "55 or older"),
    ]
    assert isinstance(read_answer(text, choices, scale=ages), Unclear)


@pytest.mark.parametrize("text", ["hello n", "x y z", "%s %d %n", "yyy n"])
def test_one_letter_answers_count_only_as_the_whole_text(text: str) -> None:
    choices = [Choice("agree", "Start", ("y",)), Choice("decline", "No thanks", ("n",))]
    assert isinstance(read_answer(text, choices), Unclear)
    assert read_answer("n", choices) == Understood("decline")


# --- other languages (issue 16): the same rules, Spanish and German words -------------------

ES = language("es")
DE = language("de")
LANGUAGES = {"en": EN, "es": ES, "de": DE}
VOCABULARIES = {
    "en": FIXTURES / "lay_vocabulary.yaml",
    "es": FIXTURES / "lay_vocabulary_es.yaml",
    "de": FIXTURES / "lay_vocabulary_de.yaml",
}


@lru_cache(maxsize=8)
def _vocabulary(locale: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(VOCABULARIES[locale].read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=256)
def _choices(locale: str, fact: str) -> tuple[Choice, ...]:
    return tuple(
        Choice(str(o["id"]), o["label"], tuple(o.get("synonyms", ())))
        for o in _vocabulary(locale)[fact]["options"]
    )


@lru_cache(maxsize=256)
def _scale(locale: str, fact: str) -> NumberScale | None:
    spec = _vocabulary(locale)[fact].get("scale")
    if spec is None:
        return None
    return NumberScale(spec["unit"], tuple((str(i), float(b)) for i, b in spec["bands"]))


def read_in(locale: str, fact: str, text: str) -> str:
    unsure = "unsure" if _vocabulary(locale)[fact].get("unsure") else None
    got = read_answer(
        text,
        _choices(locale, fact),
        scale=_scale(locale, fact),
        unsure=unsure,
        lang=LANGUAGES[locale],
    )
    return got.value if isinstance(got, Understood) else "unclear"


def test_language_by_locale_code() -> None:
    assert language("es") is ES and language("de-AT") is DE and language("en_GB") is EN
    with pytest.raises(ValueError, match="fr"):
        language("fr")


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_every_table_word_is_written_folded(locale: str) -> None:
    """The reader compares folded tokens: a table word with an accent, a capital or a German
    "ue" could never match anything."""
    lang = LANGUAGES[locale]
    n = lang.numbers
    single = {
        *lang.filler,
        *lang.negations,
        *lang.break_words,
        *lang.and_words,
        *lang.check_filler,
        *lang.option_words,
        *lang.plain_no,
        *n.small,
        *n.tens,
        *n.decades,
        *n.vague,
        *n.articles,
        *n.halves,
        *n.units,
        *n.plural_units,
        *n.between,
        *n.range_words,
    }
    runs = {*n.before, *n.after, *n.time_words, *n.decade_after, *n.and_half, *n.unit_tails}
    for word in single | {w for run in runs for w in run}:
        assert fold(word, lang) == [word], (locale, word)


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_none_and_all_of_these_never_fold_to_nothing(locale: str) -> None:
    """An empty key would read a reply made only of filler ("ja") as "none of these"."""
    lang = LANGUAGES[locale]
    for phrase in lang.none_of_these | lang.all_of_these:
        kept = [w for w in content(fold(phrase, lang), lang) if w not in lang.check_filler]
        assert kept, (locale, phrase)


@pytest.mark.parametrize(
    ("locale", "fact", "text", "value"),
    [
        # numbers and number words, compounds included
        ("es", "age_group", "veintidós", "adult"),
        ("es", "age_group", "tengo 45 años", "adult"),
        ("es", "age_group", "cuarenta y cinco", "adult"),
        ("es", "age_group", "sesenta y ocho años", "older_adult"),
        ("de", "age_group", "zweiundzwanzig", "adult"),
        ("de", "age_group", "dreißig", "adult"),
        ("de", "age_group", "dreissig", "adult"),
        ("de", "age_group", "ich bin 45", "adult"),
        ("de", "age_group", "vierundfuenfzig", "adult"),
        ("de", "age_group", "Anfang 60", "older_adult"),
        # durations: since, ago, for
        ("es", "duration", "desde ayer", "under_1_week"),
        ("es", "duration", "hace tres semanas", "1_to_6_weeks"),
        ("es", "duration", "cuatro semanas", "1_to_6_weeks"),
        ("es", "duration", "mes y medio", "over_6_weeks"),
        ("es", "duration", "desde hace meses", "over_6_weeks"),
        ("de", "duration", "seit gestern", "under_1_week"),
        ("de", "duration", "vor zwei Wochen", "1_to_6_weeks"),
        ("de", "duration", "seit Wochen", "1_to_6_weeks"),
        ("de", "duration", "anderthalb Wochen", "1_to_6_weeks"),
        ("de", "duration", "seit ueber 2 Monaten", "over_6_weeks"),
        # negation, before the verb and (German) after it
        ("es", "weight_bearing", "no puedo apoyar el pie", "unable"),
        ("es", "weight_bearing", "no lo puedo apoyar", "unable"),
        ("es", "fever", "no, no tengo fiebre", "no"),
        ("es", "fever", "sin fiebre", "no"),
        ("de", "fever", "kein Fieber", "no"),
        ("de", "fever", "Fieber habe ich nicht", "no"),
        ("de", "weight_bearing", "ich kann das Bein nicht belasten", "unable"),
        # hedges and "not sure", typed with or without accents
        ("es", "fever", "no sé", "unsure"),
        ("es", "fever", "nose", "unsure"),
        ("es", "fever", "creo que sí", "unsure"),
        ("es", "fever", "quizas", "unsure"),
        ("de", "fever", "weiß nicht", "unsure"),
        ("de", "fever", "keine Ahnung", "unsure"),
        ("de", "fever", "ich glaube schon", "unsure"),
        ("de", "fever", "vielleicht", "unsure"),
        # spelling: accents, umlauts, "ß", "ll"/"y", one wrong letter, compounds
        ("es", "site", "rodiya", "knee"),
        ("es", "site", "talon", "foot"),
        ("de", "site", "Fuss", "foot"),
        ("de", "site", "Huefte", "hip"),
        ("de", "site", "Knieschmerzen", "knee"),
        ("de", "site", "Fußgelenk", "ankle"),
    ],
)
def test_spanish_and_german_readings(locale: str, fact: str, text: str, value: str) -> None:
    assert read_in(locale, fact, text) == value


@pytest.mark.parametrize(
    ("locale", "fact", "text"),
    [
        ("es", "fever", "no lo noto"),  # "no" about a verb the reader does not know
        ("es", "fever", "no que yo sepa"),
        ("de", "cold_pale_numb", "kann den Fuß nicht bewegen"),
        ("de", "fever", "merke ich nicht"),
        ("es", "pregnant_or_postpartum", "a lo mejor"),
        ("de", "pregnant_or_postpartum", "vielleicht"),
        ("es", "age_group", "en los cincuenta"),
        ("de", "age_group", "in den Fünfzigern"),
        ("de", "age_group", "Mitte 50"),
        ("es", "duration", "una semana más o menos"),
        ("de", "duration", "seit letzter Woche"),
        ("de", "weight_bearing", "hinke nicht"),
        ("es", "weight_bearing", "no cojeo"),
    ],
)
def test_spanish_and_german_asked_again(locale: str, fact: str, text: str) -> None:
    assert read_in(locale, fact, text) == "unclear"


def test_english_reading_is_unchanged_by_the_other_languages() -> None:
    """German reads a negation after its phrase; English does not ("fever not" is not "no")."""
    assert fever("fever not") == Unclear(("yes", "no"), 'Did you mean "Yes" or "No"?')
    assert read_answer("no fever", FEVER, unsure="unsure", lang=EN) == Understood("no")


@pytest.mark.parametrize(
    ("locale", "text", "marks"),
    [
        ("es", "1 3", {"fever": "yes", "immunosuppressed": "yes"}),
        ("es", "fiebre, diabetes", {"fever": "yes", "diabetes": "yes"}),
        ("es", "solo fiebre", {"fever": "yes"}),
        ("es", "ninguno", {}),
        ("es", "ninguna de estas", {}),
        ("es", "diabetes quizas", {"diabetes": "unsure"}),
        ("de", "Fieber, Diabetes", {"fever": "yes", "diabetes": "yes"}),
        ("de", "keins davon", {}),
        ("de", "nichts", {}),
        ("de", "Fieber? 2", {"fever": "unsure", "diabetes": "yes"}),
        ("de", "alle", {"fever": "yes", "diabetes": "yes", "immunosuppressed": "yes"}),
    ],
)
def test_checklists_in_spanish_and_german(locale: str, text: str, marks: dict[str, str]) -> None:
    raw = _vocabulary(locale)
    items = []
    for fact in ("fever", "diabetes", "immunosuppressed"):
        yes = next(o for o in raw[fact]["options"] if str(o["id"]) == "yes")
        items.append(Choice(fact, raw[fact]["item"], tuple(yes.get("synonyms", ()))))
    assert read_checklist(text, items, LANGUAGES[locale]) == Marks(marks)


def test_mentions_in_german_see_a_negation_after_the_phrase() -> None:
    flags = ("taub", "Fuß ist kalt")
    assert mentions("mein Fuß ist kalt", flags, DE)
    assert not mentions("mein Fuß ist nicht kalt", flags, DE)
    assert not mentions("taub ist er nicht", flags, DE)
    assert mentions("no puedo apoyar el pie", ("no puedo apoyar",), ES)
    assert not mentions("puedo apoyar el pie", ("no puedo apoyar",), ES)


# --- properties in every language: a hedge never turns a yes into no, a negated yes is
# never yes ----------------------------------------------------------------------------------

YES_NO_FACTS = {
    locale: sorted(
        fact
        for fact, spec in _vocabulary(locale).items()
        if {"yes", "no"} <= {str(o["id"]) for o in spec["options"]}
    )
    for locale in LANGUAGES
}
NEGATED = {
    "en": ("no {}", "not {}", "I don't have {}", "without {}", "never {}"),
    "es": ("no {}", "no tengo {}", "sin {}", "nunca {}", "no, no {}"),
    "de": ("kein {}", "keine {}", "nicht {}", "ohne {}", "{} nicht", "{} habe ich nicht"),
}
HEDGED = ("{h} {y}", "{y}, {h}", "{h}, {y}", "{y} {h}")


def _yes_synonyms(locale: str, fact: str) -> list[str]:
    """The yes option's words that hold no negation of their own ("no puedo dormir")."""
    lang = LANGUAGES[locale]
    yes = next(o for o in _vocabulary(locale)[fact]["options"] if str(o["id"]) == "yes")
    return [
        s
        for s in yes.get("synonyms", ())
        if not set(fold(s, lang)) & (lang.negations | {"cant", "dont"})
    ]


@st.composite
def hedged_yes(draw: st.DrawFn) -> tuple[str, str, str]:
    locale = draw(st.sampled_from(sorted(LANGUAGES)))
    fact = draw(st.sampled_from(YES_NO_FACTS[locale]))
    lang = LANGUAGES[locale]
    yes = draw(st.sampled_from(sorted(lang.yes) + _yes_synonyms(locale, fact)))
    hedge = draw(st.sampled_from(sorted(lang.hedges)))
    return locale, fact, draw(st.sampled_from(HEDGED)).format(h=hedge, y=yes)


@st.composite
def negated_yes(draw: st.DrawFn) -> tuple[str, str, str]:
    locale = draw(st.sampled_from(sorted(LANGUAGES)))
    fact = draw(st.sampled_from([f for f in YES_NO_FACTS[locale] if _yes_synonyms(locale, f)]))
    phrase = draw(st.sampled_from(_yes_synonyms(locale, fact)))
    return locale, fact, draw(st.sampled_from(NEGATED[locale])).format(phrase)


@settings(max_examples=400, deadline=None)
@given(hedged_yes())
def test_a_hedge_never_turns_yes_into_no(case: tuple[str, str, str]) -> None:
    locale, fact, text = case
    assert read_in(locale, fact, text) != "no", case


@settings(max_examples=400, deadline=None)
@given(negated_yes())
def test_a_negated_yes_is_never_yes(case: tuple[str, str, str]) -> None:
    locale, fact, text = case
    assert read_in(locale, fact, text) != "yes", case


def test_typed_answers_read_the_flow_in_its_locale(engine: Engine) -> None:
    """The flow's own words, read with the locale's plain words: English by default."""
    english = TypedAnswers(engine.flow)
    spanish = TypedAnswers(engine.flow, "es")
    assert english.language is EN and spanish.language is ES
    assert english.read_typed("fever", "no sé") != Understood("unsure")
    assert spanish.read_typed("fever", "no sé") == Understood("unsure")
    assert spanish.read_typed("fever", "sí") == Understood("yes")
    assert [c.label for c in spanish.single_choices("fever")] == ["Sí", "No", "No sé"]
    assert [c.label for c in english.single_choices("fever")] == ["Yes", "No", "Not sure"]
    assert TypedAnswers(engine.flow, "de").says("nicht taub", ("taub",)) is False
    with pytest.raises(ValueError, match="xx"):
        TypedAnswers(engine.flow, "xx")
