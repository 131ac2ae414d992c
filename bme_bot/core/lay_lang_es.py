"""Spanish for the lay reader: neutral Spanish for Spain and Latin America, typed with or
without accents ("no se" and "nose" read as "no sé"), in the terms of docs/locales/es.md."""

from __future__ import annotations

from typing import Final

from bme_bot.core.lay_lang import LayLanguage, LayNumbers, seq, words

_UNITS: Final = seq(
    "cero uno dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
    "dieciseis diecisiete dieciocho diecinueve veinte veintiuno veintidos veintitres "
    "veinticuatro veinticinco veintiseis veintisiete veintiocho veintinueve"
)
_TENS: Final = {
    "veinte": 20,
    "treinta": 30,
    "cuarenta": 40,
    "cincuenta": 50,
    "sesenta": 60,
    "setenta": 70,
    "ochenta": 80,
    "noventa": 90,
}
_DECADE_WORDS: Final = {
    "veinteanero": 20,
    "treintanero": 30,
    "treinton": 30,
    "cuarenton": 40,
    "cincuenton": 50,
    "sesenton": 60,
    "setenton": 70,
    "ochenton": 80,
}
_WEEKDAYS: Final = seq("lunes martes miercoles jueves viernes sabado domingo finde")

NUMBERS: Final = LayNumbers(
    small={
        **{w: float(n) for n, w in enumerate(_UNITS)},
        "veintiun": 21.0,
        "cien": 100.0,
    },
    tens=_TENS,
    tens_joiners=frozenset({"y"}),
    decades={
        **_DECADE_WORDS,
        **{w[:-1] + "a": n for w, n in _DECADE_WORDS.items() if w.endswith("o")},
        **{w + "a": n for w, n in _DECADE_WORDS.items() if w.endswith("n")},
        **{w + "es": n for w, n in _DECADE_WORDS.items() if w.endswith("n")},
        **{w + "s": n for w, n in _DECADE_WORDS.items() if w.endswith("o")},
    },
    decade_before=frozenset({"los"}),
    decade_after={
        ("y", "tantos"): (0.0, 9.99),
        ("y", "tantas"): (0.0, 9.99),
        ("y", "pico"): (0.0, 9.99),
        ("y", "algo"): (0.0, 9.99),
        ("y", "pocos"): (1.0, 4.99),
        ("y", "muchos"): (5.0, 9.99),
    },
    decade_suffixes=frozenset({"s"}),
    vague={
        "pocos": (2.0, 4.0),
        "pocas": (2.0, 4.0),
        "par": (2.0, 2.0),
        "varios": (3.0, 6.0),
        "varias": (3.0, 6.0),
        "cuantos": (2.0, 5.0),
        "cuantas": (2.0, 5.0),
        "algunos": (2.0, 6.0),
        "algunas": (2.0, 6.0),
    },
    vague_of=frozenset({"de"}),
    articles=frozenset({"un", "una"}),
    weak_numbers=frozenset({"uno"}),
    halves=frozenset({"medio", "media"}),
    half_skip=frozenset(),
    and_half=(("y", "medio"), ("y", "media")),
    units={
        **{w: "hour" for w in ("hora", "horas", "h", "hr", "hrs")},
        **{w: "day" for w in ("dia", "dias", "d")},
        **{w: "week" for w in ("semana", "semanas", "sem", "sems")},
        **{w: "month" for w in ("mes", "meses")},
        **{w: "year" for w in ("ano", "anos", "anio", "anios", "anyo", "anyos")},
    },
    unit_half=True,
    unit_pairs={},
    unit_tails=(("de", "edad"),),
    plural_units=frozenset({"dias", "semanas", "meses", "anos", "anios"}),
    before={
        ("mas", "o", "menos"): "about",
        ("mas", "de"): "gt",
        ("mas", "que"): "gt",
        ("mayor", "de"): "gt",
        ("mayor", "que"): "gt",
        ("por", "encima", "de"): "gt",
        ("al", "menos"): "ge",
        ("por", "lo", "menos"): "ge",
        ("como", "minimo"): "ge",
        ("minimo",): "ge",
        ("menos", "de"): "lt",
        ("menos", "que"): "lt",
        ("menor", "de"): "lt",
        ("menor", "que"): "lt",
        ("por", "debajo", "de"): "lt",
        ("casi",): "almost",
        ("unos",): "about",
        ("unas",): "about",
        ("alrededor", "de"): "about",
        ("aproximadamente",): "about",
        ("aprox",): "about",
        ("cerca", "de"): "about",
        ("como",): "about",
    },
    after={
        ("mas", "o", "menos"): "about",
        ("o", "mas"): "ge",
        ("y", "mas"): "ge",
        ("o", "mayor"): "ge",
        ("para", "arriba"): "ge",
        ("o", "menos"): "le",
        ("o", "menor"): "le",
    },
    between=frozenset({"entre"}),
    range_words=frozenset({"a", "o", "u", "y", "hasta"}),
    time_words={
        ("hoy",): (0.0, 0.0),
        ("esta", "manana"): (0.0, 0.0),
        ("esta", "tarde"): (0.0, 0.0),
        ("esta", "noche"): (0.0, 0.0),
        ("ayer",): (1.0, 1.0),
        ("anoche",): (1.0, 1.0),
        ("anteayer",): (2.0, 2.0),
        ("antier",): (2.0, 2.0),
        ("antes", "de", "ayer"): (2.0, 2.0),
        ("esta", "semana"): (0.0, 6.0),
        ("semana", "pasada"): (1.0, 13.0),
        ("pasada", "semana"): (1.0, 13.0),
        ("otro", "dia"): (2.0, 10.0),
        ("mes", "pasado"): (14.0, 60.0),
        ("pasado", "mes"): (14.0, 60.0),
        ("fin", "de", "semana"): (1.0, 6.0),
        ("fin", "de", "semana", "pasado"): (1.0, 13.0),
        **{(day, "pasado"): (1.0, 13.0) for day in _WEEKDAYS},
        **{(day,): (1.0, 6.0) for day in _WEEKDAYS},
    },
)

_CAN: Final = ("puedo", "puedes", "puede", "pude", "podia", "podre", "consigo", "logro")
_CLITICS: Final = ("", "lo", "la", "me", "le", "se")

ES: Final = LayLanguage(
    code="es",
    filler=words(
        "yo me mi mis el la los las lo le les un una unos unas de del en al que con se te es "
        "era son soy estoy esta estan estaba tengo tiene tienes tenia tuve he ha han hay ya "
        "ahora aun todavia eh ehm em bueno pues hola gracias por favor para muy izquierdo "
        "izquierda derecho derecha ambos ambas eso esto este ese esa ok okey vale"
    ),
    negations=words("no nunca jamas sin ni ningun ninguno ninguna nada nadie tampoco nopuedo"),
    negation_after=False,
    no_alone=True,
    plain_no=frozenset({"no"}),
    break_words=words("pero aunque sino excepto salvo mientras embargo"),
    and_words=frozenset({"y", "e"}),
    hedges=words(
        "nose|ns|no se|no lo se|ni idea|no tengo idea|no tengo ni idea|no estoy seguro|"
        "no estoy segura|no seguro|inseguro|insegura|no sabria decir|no sabria|no lo tengo claro|"
        "no tengo claro|dudo|tengo dudas|quiza|quizas|tal vez|talvez|a lo mejor|puede ser|"
        "puede que si|puede que no|posiblemente|probablemente|seguramente|creo|me parece|supongo|diria que|"
        "no se si|dificil de decir|dificil saber|cualquiera sabe|a saber|no recuerdo|"
        "no me acuerdo|no estoy convencido",
        "|",
    ),
    yes=words(
        "si|sip|sii|claro|claro que si|por supuesto|desde luego|correcto|cierto|exacto|"
        "efectivamente|afirmativo|asi es|eso es|si tengo|lo tengo|si me pasa|si claro",
        "|",
    ),
    no=words(
        "no|n|nop|nope|nel|para nada|en absoluto|nunca|jamas|nada|ninguno|ninguna|tampoco|"
        "que va|no tengo|no es|no lo tengo|de ninguna manera|negativo|falso|no no",
        "|",
    ),
    none_of_these=words(
        "ninguno|ninguna|ningun|ningunos|ninguno de estos|ninguna de estas|ninguno de ellos|"
        "ninguna de ellas|nada|nada de eso|nada de esto|no|n|nop|ni uno|ni una|no a todo|"
        "no a todos|no tengo ninguno|no tengo ninguna|todo no|ninguno aplica|ninguna aplica|"
        "nada aplica|tampoco",
        "|",
    ),
    all_of_these=words(
        "todos|todas|todo|todos ellos|todas ellas|todos estos|todas estas|si a todo|"
        "si a todos|todo si|todos si",
        "|",
    ),
    check_filler=words("y e tambien ademas mas si sobre tomo tomando aplica aplican solo"),
    option_words=words("opcion numero num respuesta"),
    canon=(
        (("no", "lo", "se"), "nose"),
        (("no", "se", "puede"), "nopuedo"),
        (("no", "soy", "capaz", "de"), "nopuedo"),
        (("no", "soy", "capaz"), "nopuedo"),
        (("sin", "poder"), "nopuedo"),
        *(
            ((("no", clitic, can) if clitic else ("no", can)), "nopuedo")
            for clitic in _CLITICS
            for can in _CAN
        ),
    ),
    one_word_canon={"imposible": "nopuedo"},
    hedge_canon=((("no", "se"), "nose"), (("yo", "que", "se"), "nose")),
    hedge_canon_unless=words(
        "me te le les lo la ha han habia ve veia nota notaba siente sentia mueve movia dobla "
        "doblaba hincha hincho inflama inflamo cura curo pasa paso quita quito va fue mejora "
        "mejoro apoya apoyaba calma calmo alivia alivio estira flexiona"
    ),
    digraphs=(("ll", "y"),),
    suffixes=("s", "es"),
    swaps=(("o", "a"), ("a", "o"), ("os", "as"), ("as", "os")),
    compound_tails=(),
    numbers=NUMBERS,
    did_you_mean="¿Quieres decir {options} o {last}?",
    number_again="Escribe el número otra vez, por ejemplo 45 o 3 semanas.",
    pick_closest="Si no lo sabes, elige la respuesta más parecida a cómo estás.",
    checklist_hint=(
        'Escribe los números que correspondan, por ejemplo "1 3" (añade ? si no lo sabes), '
        'o "ninguno".'
    ),
    yes_no_labels=("Sí", "No", "No sé"),
)
