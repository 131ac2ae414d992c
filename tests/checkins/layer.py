"""Shared pieces of the check-in layer tests: the shipped engines, a fake clock, a chat driven
to a self-care ending through the real triage flow."""

from __future__ import annotations

from dataclasses import dataclass, field

from bme_bot.bootstrap import build_engine
from bme_bot.checkins.base import CheckinStore
from bme_bot.checkins.conversation import CheckinService
from bme_bot.config import load_settings
from bme_bot.core.engine import Engine
from bme_bot.core.events import Start, Text
from bme_bot.core.replies import Reply
from bme_bot.service import Service, Turn
from bme_bot.storage.base import Store

CHAT = "tg:1"
SELF_CARE_PATH = (
    "Start",
    "Under 18",
    "4",
    "none",
    "Yes, walking normally",
    "1",
    "Neither",
    "none",
    "2",
    "Getting better",
)
"""Vignette V55 (tests/transcripts/v55_c1.yaml): ends at self_care (C1)."""


def checkin_engine() -> Engine:
    settings = load_settings({})
    return build_engine(settings, flow_path=settings.flows_dir / "checkin.yaml")


@dataclass
class Clock:
    now: float = 1_800_000_000.0  # 2027-01-15 08:00 UTC
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        self.calls.append(self.now)
        return self.now


def layer(
    engine: Engine, followup: Engine, store: Store, checkins: CheckinStore, clock: Clock
) -> CheckinService:
    return CheckinService(Service(engine, store), followup, checkins, clock=clock)


async def to_self_care(service: CheckinService, chat: str = CHAT) -> Turn:
    """Run the V55 conversation; the last turn is the self-care advice (and the offer)."""
    turn = await service.handle(chat, Start())
    for line in SELF_CARE_PATH:
        turn = await service.handle(chat, Text(line))
    return turn


def offer_of(turn: Turn) -> Reply:
    offers = [r for r in turn.replies if r.asks == "checkin"]
    assert len(offers) == 1, [r.kind for r in turn.replies]
    return offers[0]
