"""The one place that orders lock -> skip duplicates -> load -> step -> save -> release.

Exact-once: an update id already saved is skipped before loading, and the save itself refuses
an update id that another process saved meanwhile (`DuplicateUpdateError`) or a session that
changed since it was loaded (`StaleWriteError`, retried from a fresh load a bounded number of
times). Any other store failure becomes `ServiceUnavailable`: the adapter answers with
`Service.unavailable_reply()` (polling) or a 5xx (webhook, so Telegram delivers it again).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field

from bme_bot.core.engine import Engine
from bme_bot.core.events import Back, Event, Forget, Text, parse_command
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.errors import ServiceUnavailable as ServiceUnavailable
from bme_bot.storage.base import DuplicateUpdateError, StaleWriteError, Store, StoreError
from bme_bot.storage.ids import check_update_id

log = logging.getLogger(__name__)

UNAVAILABLE_TEXT = "Sorry, I'm temporarily unavailable. Please try again in a minute."
NOTHING_STORED_TEXT = (
    "Nothing was stored about this chat, so nothing was erased. "
    "Send /start whenever you want to begin."
)


@dataclass(frozen=True)
class Turn:
    """What one update produced: the replies to send and the session after it."""

    replies: list[Reply] = field(default_factory=list)
    session: Session | None = None
    duplicate: bool = False


class Service:
    def __init__(self, engine: Engine, store: Store, *, max_attempts: int = 8) -> None:
        self.engine = engine
        self.store = store
        self.max_attempts = max_attempts
        self.stale_retries = 0
        """How often a save lost a race with another process and the step was redone."""

    @staticmethod
    def unavailable_reply() -> Reply:
        """What to tell the person when the store is down (its `.text` is plain text)."""
        return Reply("info", UNAVAILABLE_TEXT)

    async def handle(self, chat: str, event: Event, *, update_id: int | None = None) -> Turn:
        """Handle one update of one chat; raises ServiceUnavailable if the store failed, and
        UpdateIdError (before any store call) for an id outside 0 <= id < 2^63."""
        if update_id is not None:
            check_update_id(update_id)
        if isinstance(event, Text) and isinstance(parse_command(event.text), Forget):
            event = Forget()
        try:
            async with self.store.lock(chat):
                return await self._handle_locked(chat, event, update_id)
        except StoreError as exc:
            log.warning("store unavailable: %s", exc)
            raise ServiceUnavailable(str(exc)) from exc

    async def _handle_locked(self, chat: str, event: Event, update_id: int | None) -> Turn:
        for attempt in range(self.max_attempts):
            # A re-delivered update is refused by `save` and `delete` themselves, atomically,
            # in every store (DuplicateUpdateError below): no separate look-up, one store round
            # trip less per update.
            if isinstance(event, Forget):
                return await self._forget(chat, update_id)
            stored = await self.store.load(chat)
            session = None
            if stored is not None:
                try:
                    session = Session.from_dict(stored.data)
                except ValueError:
                    log.warning("unreadable stored session replaced by a new one")
            new_session, replies = self.engine.step(session, event)
            try:
                await self.store.save(
                    chat,
                    new_session.to_dict(),
                    expected_version=stored.version if stored else 0,
                    update_id=update_id,
                    counters=count_changes(session, new_session, event),
                )
            except DuplicateUpdateError:
                return Turn(duplicate=True)
            except StaleWriteError:
                # Another process saved this chat meanwhile: step again from its state.
                self.stale_retries += 1
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311
                continue
            return Turn(replies, new_session)
        raise StoreError(f"the chat kept changing under {self.max_attempts} attempts")

    async def _forget(self, chat: str, update_id: int | None) -> Turn:
        """Erase the chat; confirm "erased" only if this very call erased a session.

        The store checks and deletes in one transaction, so when two processes get a /forget
        of one chat at once, one says erased and the other that nothing was stored."""
        try:
            erased = await self.store.delete(chat, update_id=update_id)
        except DuplicateUpdateError:
            return Turn(duplicate=True)
        if not erased:
            return Turn([Reply("info", NOTHING_STORED_TEXT)], None)
        _, replies = self.engine.step(None, Forget())
        return Turn(replies, None)


def count_changes(
    before: Session | None, after: Session, event: Event | None = None
) -> dict[str, int]:
    """Anonymous counters from one step: no chat ids, no answers, only flow positions.

    `conversations_started`; `outcome:<outcome id>` when advice is reached (the flow maps it
    to its rule and disposition); `asked:<question>` when a question is put; and
    `answered:<question>` when it is answered, so asked minus answered is the drop-off.
    """
    counts: dict[str, int] = {}
    if isinstance(event, Text):
        event = parse_command(event.text) or event
    going_back = isinstance(event, Back)
    if (
        len(after.history) == 0
        and (before is None or before.history or before.done)
        and not (going_back and before is not None)
    ):
        counts["conversations_started"] = 1
    if after.done and (before is None or not before.done):
        counts[f"outcome:{after.outcome}"] = 1
    if not after.done and (before is None or before.state != after.state):
        counts[f"asked:{after.state}"] = 1
    if (
        before is not None
        and len(after.history) == len(before.history) + 1
        and after.history[:-1] == before.history
    ):
        counts[f"answered:{after.history[-1]}"] = 1
    return counts
