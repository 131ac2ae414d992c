"""German for the lay reader ("Sie" or "du", typed with or without umlauts: "über", "ueber"
and "uber" read alike, "ß" as "ss"), in the terms of docs/locales/de.md."""

from __future__ import annotations

from typing import Final

from bme_bot.core.lay_lang import LayLanguage, LayNumbers, seq, words

_UNITS: Final = seq(
    "null eins zwei drei vier funf sechs sieben acht neun zehn elf zwolf dreizehn vierzehn "
    "funfzehn sechzehn siebzehn achtzehn neunzehn"
)
_TENS: Final = {
    "zwanzig": 20,
    "dreissig": 30,
    "dreisig": 30,
    "vierzig": 40,
    "funfzig": 50,
    "sechzig": 60,
    "siebzig": 70,
    "achtzig": 80,
    "neunzig": 90,
}
_COMPOUND_UNITS: Final = ("ein", "zwei", "drei", "vier", "funf", "sechs", "sieben", "acht", "neun")
_WEEKDAYS: Final = seq(
    "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag wochenende"
)
_LAST: Final = seq(
    "letzte letzten letztes letzter vorige vorigen voriges vergangene vergangenen vergangenes"
)

NUMBERS: Final = LayNumbers(
    small={
        **{w: float(n) for n, w in enumerate(_UNITS)},
        "zwo": 2.0,
        **{
            f"{unit}und{tens}": float(n + value)
            for n, unit in enumerate(_COMPOUND_UNITS, 1)
            for tens, value in _TENS.items()
        },
        "anderthalb": 1.5,
        "eineinhalb": 1.5,
        "zweieinhalb": 2.5,
        "dreieinhalb": 3.5,
        "viereinhalb": 4.5,
        "hundert": 100.0,
    },
    tens=_TENS,
    tens_joiners=frozenset(),
    decades={
        **{w + "ern": n for w, n in _TENS.items() if n > 20},
        **{w + "er": n for w, n in _TENS.items() if n > 20},
        "zwanzigern": 20,
        "zwanziger": 20,
    },
    decade_before=frozenset(),
    decade_after={},
    decade_suffixes=frozenset({"ern", "er", "igern", "iger", "zigern", "ziger"}),
    vague={
        "paar": (2.0, 4.0),
        "wenige": (2.0, 4.0),
        "wenigen": (2.0, 4.0),
        "einige": (2.0, 6.0),
        "einigen": (2.0, 6.0),
        "mehrere": (3.0, 6.0),
        "mehreren": (3.0, 6.0),
        "etliche": (3.0, 6.0),
        "etlichen": (3.0, 6.0),
    },
    vague_of=frozenset(),
    articles=frozenset({"ein", "eine", "einen", "einem", "einer", "eines"}),
    weak_numbers=frozenset(),
    halves=frozenset({"halb", "halbe", "halben", "halbes", "halber"}),
    half_skip=frozenset(),
    and_half=(("und", "ein", "halb"), ("und", "eine", "halbe"), ("und", "einhalb"), ("einhalb",)),
    units={
        **{w: "hour" for w in ("stunde", "stunden", "std", "h")},
        **{w: "day" for w in ("tag", "tage", "tagen", "tg", "d")},
        **{w: "week" for w in ("woche", "wochen", "wo", "wch")},
        **{w: "month" for w in ("monat", "monate", "monaten", "mon", "mo")},
        **{
            w: "year"
            for w in ("jahr", "jahre", "jahren", "jahres", "j", "jahrig", "jahrige", "jahriger")
        },
    },
    unit_half=True,
    unit_pairs={},
    unit_tails=(("alt",),),
    plural_units=frozenset({"tage", "tagen", "wochen", "monate", "monaten", "jahre", "jahren"}),
    before={
        ("mehr", "als"): "gt",
        ("uber",): "gt",
        ("alter", "als"): "gt",
        ("langer", "als"): "gt",
        ("mindestens",): "ge",
        ("wenigstens",): "ge",
        ("gut",): "ge",
        ("weniger", "als"): "lt",
        ("knapp", "unter"): "lt",
        ("unter",): "lt",
        ("junger", "als"): "lt",
        ("kurzer", "als"): "lt",
        ("fast",): "almost",
        ("beinahe",): "almost",
        ("knapp",): "almost",
        ("etwa",): "about",
        ("ungefahr",): "about",
        ("ca",): "about",
        ("circa",): "about",
        ("zirka",): "about",
        ("rund",): "about",
        ("so", "um", "die"): "about",
        ("um", "die"): "about",
        ("anfang",): "early",
        ("mitte",): "mid",
        ("ende",): "late",
    },
    after={
        ("oder", "mehr"): "ge",
        ("oder", "alter"): "ge",
        ("oder", "langer"): "ge",
        ("und", "alter"): "ge",
        ("und", "mehr"): "ge",
        ("plus",): "ge",
        ("oder", "weniger"): "le",
        ("oder", "junger"): "le",
        ("und", "junger"): "le",
    },
    between=frozenset({"zwischen"}),
    range_words=frozenset({"bis", "oder", "und"}),
    time_words={
        ("heute",): (0.0, 0.0),
        ("heute", "morgen"): (0.0, 0.0),
        ("heute", "fruh"): (0.0, 0.0),
        ("heute", "nacht"): (0.0, 1.0),
        ("gestern",): (1.0, 1.0),
        ("letzte", "nacht"): (1.0, 1.0),
        ("vorgestern",): (2.0, 2.0),
        ("diese", "woche"): (0.0, 6.0),
        ("dieser", "woche"): (0.0, 6.0),
        **{(last, "woche"): (1.0, 13.0) for last in _LAST},
        **{(last, day): (1.0, 13.0) for last in _LAST for day in _WEEKDAYS},
        **{(last, "monat"): (14.0, 60.0) for last in _LAST},
        **{(day,): (1.0, 6.0) for day in _WEEKDAYS},
    },
)

DE: Final = LayLanguage(
    code="de",
    filler=words(
        "ich mich mir mein meine meinen meinem meiner meines er sie der die das den dem des ein "
        "eine einen einem einer eines es ist war sind bin bist hat habe hab haben hatte hatten "
        "wird wurde tut da dort hier jetzt gerade grade halt eben mal schon auch bitte danke "
        "hallo links rechts linke linken linker linkes rechte rechten rechter rechtes beide "
        "beiden am im an in auf zu zum zur mit von vom bei beim um sehr etwas bisschen so noch "
        "immer also naja na hm hmm ah oh ach ok okay ne"
    ),
    negations=words(
        "nicht kein keine keinen keinem keiner keines keins nie niemals ohne nein nichts weder nix"
    ),
    negation_after=True,
    no_alone=True,
    plain_no=frozenset({"nein", "no", "nee"}),
    break_words=words("aber obwohl jedoch sondern trotzdem ausser allerdings"),
    and_words=frozenset({"und"}),
    hedges=words(
        "weiss nicht|weiss ich nicht|weiss es nicht|keine ahnung|ka|nicht sicher|unsicher|"
        "nicht so sicher|nicht ganz sicher|vielleicht|evtl|eventuell|moglicherweise|moglich|"
        "wahrscheinlich|vermutlich|glaube|glaub|denke|schatze|schwer zu sagen|kann sein|"
        "konnte sein|mag sein|kann nicht sagen|kann ich nicht sagen|irgendwie|unklar|"
        "nicht genau|weiss nicht genau|kann ich nicht beurteilen",
        "|",
    ),
    yes=words(
        "ja|j|jo|jep|jap|jup|jaa|jawohl|klar|na klar|genau|richtig|stimmt|korrekt|sicher|"
        "auf jeden fall|definitiv|naturlich|ja bitte|ja klar|ja genau|habe ich|ist so|doch",
        "|",
    ),
    no=words(
        "nein|n|ne|nee|no|nope|nicht|nie|niemals|nichts|kein|keine|keins|gar nicht|"
        "nicht wirklich|eigentlich nicht|uberhaupt nicht|auf keinen fall|keineswegs|falsch|"
        "habe ich nicht|nix",
        "|",
    ),
    none_of_these=words(
        "keins|keine|keiner|keines|kein|nichts|nein|n|nee|no|keins davon|keine davon|"
        "keiner davon|nichts davon|nichts trifft zu|trifft nichts zu|keins trifft zu|"
        "trifft keins zu|nein zu allem|alles nein|gar nichts|nix|nichts von allem|"
        "nichts von dem|keine dieser",
        "|",
    ),
    all_of_these=words("alle|alles|alle davon|alles davon|ja zu allem|alle treffen zu", "|"),
    check_filler=words("und auch ja plus nur sowie nehme nehm nehmen einnehmen trifft treffen"),
    option_words=words("option nummer nr antwort auswahl punkt"),
    canon=((("nicht", "mehr"), "nicht"),),
    one_word_canon={"garnicht": "nicht", "nich": "nicht", "net": "nicht", "weis": "weiss"},
    hedge_canon=(),
    hedge_canon_unless=frozenset(),
    digraphs=(("ue", "u"), ("ae", "a"), ("oe", "o")),
    suffixes=("e", "en", "n", "er", "es", "em", "s"),
    swaps=(),
    compound_tails=("schmerzen", "schmerz", "gelenks", "gelenk", "knochen", "bereich"),
    numbers=NUMBERS,
    did_you_mean="Meinen Sie {options} oder {last}?",
    number_again="Bitte geben Sie die Zahl noch einmal ein, zum Beispiel 45 oder 3 Wochen.",
    pick_closest="Wenn Sie nicht sicher sind, wählen Sie die Antwort, die am ehesten passt.",
    checklist_hint=(
        'Geben Sie die Nummern ein, die zutreffen, zum Beispiel "1 3" (mit ?, wenn Sie nicht '
        'sicher sind), oder "keine".'
    ),
    yes_no_labels=("Ja", "Nein", "Weiß nicht"),
)
