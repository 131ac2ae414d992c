"""A conversation's state as plain JSON-serialisable data (nothing else is ever stored)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Session:
    """Where one chat stands in a flow.

    `history` lists the questions answered, in order, so /back can undo them; `facts` holds
    only the answers the flow asked for. `turn` rises with every question shown, so a button
    from an earlier turn can be recognised as stale. No message text is ever kept.
    """

    flow_id: str
    flow_version: str
    state: str
    facts: dict[str, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()
    turn: int = 0
    outcome: str | None = None
    route: str | None = None
    region: str | None = None
    pending: dict[str, str] = field(default_factory=dict)
    """Marks ticked on the open checklist, not yet submitted (fact -> "yes" or "unsure")."""
    early: dict[str, str] = field(default_factory=dict)
    """Answers given out of order (a red flag the person typed before it was asked); the
    flow uses each when it reaches that question, so the person is not asked twice."""
    detour: str | None = None
    """A red-flag fact asked out of order because the person typed it; `state` is where the
    conversation resumes once it is answered."""
    locale: str | None = None
    """The language chosen for this chat (`/language`, or Telegram's language on the first
    message); None is the bot's default locale."""
    trail: tuple[str, ...] = field(default=(), compare=False)
    """The routes and rules the last answer took (for --debug); derived, never stored."""

    @property
    def done(self) -> bool:
        return self.outcome is not None

    def evolve(self, **changes: Any) -> Session:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "flow": self.flow_id,
            "v": self.flow_version,
            "state": self.state,
            "facts": dict(self.facts),
            "history": list(self.history),
            "turn": self.turn,
        }
        if self.outcome is not None:
            data["outcome"] = self.outcome
            data["route"] = self.route
        if self.region is not None:
            data["region"] = self.region
        if self.pending:
            data["pending"] = dict(self.pending)
        if self.early:
            data["early"] = dict(self.early)
        if self.detour is not None:
            data["detour"] = self.detour
        if self.locale is not None:
            data["lang"] = self.locale
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Session:
        """Rebuild a session; raises ValueError on data that is not a session."""
        try:
            facts = data.get("facts", {})
            history = data.get("history", [])
            pending = data.get("pending", {})
            early = data.get("early", {})
            if not all(isinstance(m, dict) for m in (facts, pending, early)) or not isinstance(
                history, list
            ):
                raise TypeError("facts, pending and early must be mappings and history a list")
            return cls(
                flow_id=str(data["flow"]),
                flow_version=str(data["v"]),
                state=str(data["state"]),
                facts={str(k): str(v) for k, v in facts.items()},
                history=tuple(str(q) for q in history),
                turn=int(data.get("turn", 0)),
                outcome=None if data.get("outcome") is None else str(data["outcome"]),
                route=None if data.get("route") is None else str(data["route"]),
                region=None if data.get("region") is None else str(data["region"]),
                pending={str(k): str(v) for k, v in pending.items()},
                early={str(k): str(v) for k, v in early.items()},
                detour=None if data.get("detour") is None else str(data["detour"]),
                locale=None if data.get("lang") is None else str(data["lang"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a stored session: {exc}") from exc
