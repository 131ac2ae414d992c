"""English for the lay reader: the tables the reader was built with, unchanged."""

from __future__ import annotations

from typing import Final

from bme_bot.core.lay_lang import LayLanguage, LayNumbers, seq, words

_SMALL_WORDS: Final = seq(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS_WORDS: Final = seq("twenty thirty forty fifty sixty seventy eighty ninety")
_WEEKDAYS: Final = seq("monday tuesday wednesday thursday friday saturday sunday weekend")

NUMBERS: Final = LayNumbers(
    small={w: float(n) for n, w in enumerate(_SMALL_WORDS)},
    tens={w: 10 * n for n, w in enumerate(_TENS_WORDS, 2)},
    tens_joiners=frozenset(),
    decades={
        **{w[:-1] + "ies": 10 * n for n, w in enumerate(_TENS_WORDS, 2)},
        "teens": 13,
    },
    decade_before=frozenset(),
    decade_after={},
    decade_suffixes=frozenset({"s"}),
    vague={"few": (2.0, 4.0), "couple": (2.0, 2.0), "several": (3.0, 6.0)},
    vague_of=frozenset({"of"}),
    articles=frozenset({"a", "an"}),
    weak_numbers=frozenset({"one"}),
    halves=frozenset({"half"}),
    half_skip=frozenset({"a", "an"}),
    and_half=(("and", "a", "half"),),
    units={
        **{w: "hour" for w in ("hour", "hours", "hr", "hrs", "h")},
        **{w: "day" for w in ("day", "days", "d")},
        **{w: "week" for w in ("week", "weeks", "wk", "wks", "w")},
        **{w: "month" for w in ("month", "months", "mo", "mos", "mths", "mth")},
        **{w: "year" for w in ("year", "years", "yr", "yrs", "yo", "y")},
    },
    unit_half=False,
    unit_pairs={("y", "o"): "year"},
    unit_tails=(("old",),),
    plural_units=frozenset({"days", "weeks", "months", "years"}),
    before={
        ("more", "than"): "gt",
        ("over",): "gt",
        ("above",): "gt",
        ("longer", "than"): "gt",
        ("older", "than"): "gt",
        ("past",): "gt",
        ("at", "least"): "ge",
        ("less", "than"): "lt",
        ("under",): "lt",
        ("below",): "lt",
        ("younger", "than"): "lt",
        ("shorter", "than"): "lt",
        ("within",): "lt",
        ("almost",): "almost",
        ("nearly",): "almost",
        ("about",): "about",
        ("around",): "about",
        ("roughly",): "about",
        ("approximately",): "about",
        ("approx",): "about",
    },
    after={
        ("or", "more"): "ge",
        ("or", "older"): "ge",
        ("or", "over"): "ge",
        ("or", "longer"): "ge",
        ("plus",): "ge",
        ("and", "over"): "ge",
        ("and", "up"): "ge",
        ("or", "less"): "le",
        ("or", "younger"): "le",
        ("or", "under"): "le",
    },
    between=frozenset({"between"}),
    range_words=frozenset({"to", "or", "and", "till", "until"}),
    time_words={
        ("today",): (0.0, 0.0),
        ("tonight",): (0.0, 0.0),
        ("this", "morning"): (0.0, 0.0),
        ("this", "afternoon"): (0.0, 0.0),
        ("yesterday",): (1.0, 1.0),
        ("last", "night"): (1.0, 1.0),
        ("this", "week"): (0.0, 6.0),
        ("last", "week"): (1.0, 13.0),
        **{("last", day): (1.0, 13.0) for day in _WEEKDAYS},
        ("last", "month"): (14.0, 60.0),
        **{(day,): (1.0, 6.0) for day in _WEEKDAYS},
    },
)

EN: Final = LayLanguage(
    code="en",
    filler=words(
        "i im ive id me my mine myself the a an it its is was were are am be been left right "
        "both on in at of to for with have has had got get do does did there this that these "
        "those them just um uh er erm oh ok okay please thanks thank you any even still now "
        "currently"
    ),
    negations=words(
        "no not never without dont cant wont isnt arent wasnt werent havent hasnt hadnt wouldnt "
        "shouldnt aint none nothing neither nor non nobody"
    ),
    negation_after=False,
    no_alone=False,
    plain_no=frozenset({"no"}),
    break_words=words("but though although however yet except whereas"),
    and_words=frozenset({"and"}),
    hedges=words(
        "not sure|unsure|dont know|dont no|no idea|dunno|idk|maybe|probably|possibly|perhaps|"
        "might|think so|guess|not certain|uncertain|cant tell|cant say|hard to say|hard to tell|"
        "kind of|sort of|kinda|sorta|who knows|no clue|suppose so",
        "|",
    ),
    yes=words(
        "yes|y|yeah|yea|yep|yup|ya|yah|aye|sure|correct|definitely|absolutely|of course|true|"
        "indeed|i do|i am|i have|it does|it is|yes please",
        "|",
    ),
    no=words(
        "no|n|nope|nah|naw|never|not really|not at all|none|nothing|not|false|i dont|i havent|"
        "im not|it doesnt|it isnt|no way|definitely not",
        "|",
    ),
    none_of_these=words(
        "none|no|n|nope|nah|nothing|neither|none of these|none of them|no to all|no none|"
        "none apply|nothing applies|all no|no to everything|not any",
        "|",
    ),
    all_of_these=words("all|all of them|all of these|everything|yes to all", "|"),
    check_filler=words("and also plus yes y yeah about apply take taking on"),
    option_words=words("option number choice answer"),
    canon=(
        (("can", "not"), "cant"),
        (("could", "not"), "cant"),
        (("not", "able", "to"), "cant"),
        (("not", "able"), "cant"),
        (("unable", "to"), "cant"),
        (("do", "not"), "dont"),
        (("does", "not"), "dont"),
        (("did", "not"), "dont"),
    ),
    one_word_canon={
        "cannot": "cant",
        "couldnt": "cant",
        "unable": "cant",
        "doesnt": "dont",
        "didnt": "dont",
    },
    hedge_canon=(),
    hedge_canon_unless=frozenset(),
    digraphs=(),
    suffixes=("s", "es"),
    swaps=(),
    compound_tails=(),
    numbers=NUMBERS,
    did_you_mean="Did you mean {options} or {last}?",
    number_again="Please type the number again, like 45 or 3 weeks.",
    pick_closest="If you are not sure, pick the answer closest to how it is.",
    checklist_hint='Type the numbers that apply, like "1 3" (add ? if not sure), or "none".',
    yes_no_labels=("Yes", "No", "Not sure"),
)
