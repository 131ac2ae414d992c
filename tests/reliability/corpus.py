"""The bad input corpus: text no question can take as an answer, and decorated answers.

GARBAGE is refused at consent, at the site question and at the red-flag checklist. Not at the
age question: it reads any number in the text as an age ("{0}", "id=1", "&#x3C;"), by design.
"%n" left the format-strings case: a lone "n" is a word for "no" (consent's "No thanks").

Every GARBAGE case must get a kind re-ask and change nothing; every DECORATED case is a real
answer under invisible or compatibility characters and must be taken as that answer.
"""

from __future__ import annotations

GARBAGE: dict[str, str] = {
    "empty": "",
    "spaces": "   \t  ",
    "nul": "\x00",
    "nul-inside": "ye\x00s",
    "control-chars": "".join(chr(c) for c in range(1, 32) if c != 10),
    "del-and-c1": "\x7f\x80\x85\x9f",
    "bell-escape": "\x07\x1b[31mred\x1b[0m",
    "long-10000-ascii": "a" * 10_000,
    "long-10000-words": ("lorem ipsum dolor sit amet " * 400)[:10_000],
    "long-10000-emoji": "🦴" * 10_000,
    "long-10000-combining": ("e" + "\u0301" * 9) * 1_000,
    "rtl-override": "\u202eon seY\u202c",
    "rtl-hebrew": "\u05db\u05df \u05d1\u05d5\u05d5\u05d3\u05d0\u05d9",
    "rtl-arabic": "\u0646\u0639\u0645",
    "bidi-isolates": "\u2066\u2067\u2068\u2069",
    "zero-width-only": "\u200b\u200c\u200d\u2060\ufeff",
    "zero-width-split": "y\u200be\u200bs",
    "emoji": "👍🏽🦵🏃‍♀️🇬🇧",
    "emoji-zwj-family": "👨‍👩‍👧‍👦",
    "combining-stack": "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324",
    "html-script": "<script>alert('x')</script>",
    "html-bold": "<b>bold</b> & <i>it</i>",
    "html-link": '<a href="https://evil.example/">click</a>',
    "html-entities": "&lt;b&gt; &amp; &#x3C;i&#x3E; &nbsp;",
    "html-unclosed": "<b><i>open",
    "markdown-bold": "**not an answer**",
    "markdown-link": "[tap me](javascript:alert(1))",
    "markdown-code": "```\ncode\n```".replace("\n", " "),
    "telegram-mention": "@admin tg://user?id=1",
    "format-strings": "%s %d %x {0} {emergency_number} ${HOME}",
    "sql": "'; DROP TABLE sessions; --",
    "path": "../../../../etc/passwd",
    "number-zero": "0",
    "number-99": "99",
    "number-1e9": "1e9",
    "number-decimal": "1.5",
    "number-huge": "9" * 400,
    "unknown-command": "/sudo make me a sandwich",
    "slash-only": "/",
    "surrogate-escaped": "\udcff\udcfe",
}

SIGNED_NUMBERS: dict[str, str] = {
    "number-minus-1": "-1",
    "number-plus-1": "+1",
    "number-unicode-minus-1": "\u22121",
}
"""Out of range too, but `normalise` drops the sign: '-1' is taken as option 1 (a bug)."""

CONTAINS_AN_ANSWER: dict[str, str] = {
    "json": '{"option": "agree", "turn": 1}',
    "payload-lookalike": "q|consent|1|agree",
}
"""Odd text that still holds an answer word ("yes", "agree"): typed answers are read in
people's own words, so at the consent question each is taken as agreeing (never as a
hidden button press: a payload typed as text is only text)."""

DECORATED: dict[str, tuple[str, str]] = {
    "zero-width-around": ("\u200bYES\u200b", "agree"),
    "fullwidth": ("\uff59\uff45\uff53", "agree"),
    "combining-accent": ("y\u0301e\u0301s\u0301", "agree"),
    "rtl-marks-around": ("\u200fok\u200f", "agree"),
    "emoji-around": ("👍 ok 👍", "agree"),
    "padded-number": ("   1   ", "agree"),
    "circled-number": ("\u2461", "decline"),
    "arabic-indic-number": ("\u0661", "agree"),
}
"""At the consent question: (text, the option it must select). "١" is the digit one in
Arabic-Indic script, read as the number 1 (it was garbage before typed answers were read in
people's own words)."""
