"""What a person can do, as plain data the engine understands (adapters make these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Start:
    """Begin (or begin again) from the first question."""


@dataclass(frozen=True)
class Answer:
    """Choose an option by id; `question` and `turn` bind a button to the question it was for."""

    option_id: str
    question: str | None = None
    turn: int | None = None


@dataclass(frozen=True)
class Toggle:
    """Tick a checklist item: blank -> yes -> not sure -> blank. Nothing is answered until
    Done; `question` and `turn` bind the tap to the checklist it was shown on."""

    fact: str
    question: str | None = None
    turn: int | None = None


@dataclass(frozen=True)
class Text:
    """Typed text: matched to an option's number, id, label or synonyms."""

    text: str


@dataclass(frozen=True)
class Back:
    """Undo the last answer."""


@dataclass(frozen=True)
class Restart:
    """Forget the answers and start over."""


@dataclass(frozen=True)
class Why:
    """Explain which answers led to the advice."""


@dataclass(frozen=True)
class Topics:
    """List the educational topics."""


@dataclass(frozen=True)
class ShowTopic:
    topic_id: str


@dataclass(frozen=True)
class SetRegion:
    """Choose the region for the emergency number; with no code, list the regions."""

    code: str | None = None


@dataclass(frozen=True)
class Help:
    """Say what the bot does and how to use it."""


@dataclass(frozen=True)
class Privacy:
    """Say what is stored, for how long, and how to erase it."""


@dataclass(frozen=True)
class Forget:
    """Erase everything stored about this chat (the service deletes; the engine confirms)."""


@dataclass(frozen=True)
class Ask:
    """A typed question to answer from the reviewed content (`/ask TEXT`); with no text the
    bot says how to ask."""

    text: str = ""


@dataclass(frozen=True)
class SetLanguage:
    """Choose the language of the conversation; with no code, list the languages."""

    code: str | None = None


Event = (
    Start
    | Answer
    | Toggle
    | Text
    | Back
    | Restart
    | Why
    | Topics
    | ShowTopic
    | SetRegion
    | Help
    | Privacy
    | Forget
    | Ask
    | SetLanguage
)

COMMANDS: dict[str, Event] = {
    "start": Start(),
    "restart": Restart(),
    "back": Back(),
    "why": Why(),
    "topics": Topics(),
    "help": Help(),
    "region": SetRegion(),
    "privacy": Privacy(),
    "forget": Forget(),
    "language": SetLanguage(),
}


def parse_command(text: str) -> Event | None:
    """Turn '/back', '/region UK', '/ask how long...' or '/start@SomeBot payload' into an
    event; None if not one."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    word, _, argument = stripped[1:].partition(" ")
    name = word.split("@", 1)[0].lower()
    if name == "region" and argument.strip():
        return SetRegion(argument.strip())
    if name == "language" and argument.strip():
        return SetLanguage(argument.strip().lower())
    if name == "ask":
        return Ask(" ".join(argument.split()))
    return COMMANDS.get(name)
