"""The one place that orders lock -> skip duplicates -> load -> step -> save -> release.

Exact-once: an update id already saved is skipped before loading, and the save itself refuses
an update id that another process saved meanwhile (`DuplicateUpdateError`) or a session that
changed since it was loaded (`StaleWriteError`, retried from a fresh load a bounded number of
times). Any other store failure becomes `ServiceUnavailable`: the adapter answers with
`Service.unavailable_reply()` (polling) or a 5xx (webhook, so Telegram delivers it again).

Ambiguous saves: a save (or an erasure) that raised some other StoreError may still have been
written (Redis ran the script, but its answer was lost or came after the socket timeout). The
service then asks the store whether the update id was recorded (the save marks it in the same
transaction) or, without an update id, whether the session now holds what was saved; saved, it
answers as if nothing had failed (the person sees the question they are really at), not saved,
it is a plain failure (nothing changed: "try again" is true). A duplicate (an update already
saved, delivered again) is answered with where the chat is now, so that a reply lost with a
crash or a 5xx is sent again instead of never.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, nullcontext
from dataclasses import dataclass, field

from bme_bot.core.catalogue import ENGLISH, N_, Catalogue
from bme_bot.core.engine import Engine
from bme_bot.core.events import Back, Event, Forget, Text, parse_command
from bme_bot.core.replies import Reply
from bme_bot.core.session import Session
from bme_bot.errors import ServiceUnavailable as ServiceUnavailable
from bme_bot.storage.base import DuplicateUpdateError, StaleWriteError, Store, StoreError
from bme_bot.storage.ids import check_update_id

log = logging.getLogger(__name__)

UNAVAILABLE_TEXT = N_("Sorry, I'm temporarily unavailable. Please try again in a minute.")
NOTHING_STORED_TEXT = N_(
    "Nothing was stored about this chat, so nothing was erased. "
    "Send /start whenever you want to begin."
)


CHECK_ATTEMPTS = 3
"""How often an ambiguous save is checked (with a short pause) before giving up as unknown."""
CHECK_PAUSE = 0.2


@dataclass(frozen=True)
class Turn:
    """What one update produced: the replies to send and the session after it. A duplicate
    carries where the chat is now (the open question or the menu), to be shown again if the
    person may not have seen it."""

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
        self.ambiguous_saves: dict[str, int] = {"saved": 0, "not_saved": 0, "unknown": 0}
        """Saves whose answer was lost, by what the check found."""

    @staticmethod
    def unavailable_reply(catalogue: Catalogue = ENGLISH) -> Reply:
        """What to tell the person when the store is down (its `.text` is plain text)."""
        return Reply("info", catalogue.gettext(UNAVAILABLE_TEXT))

    async def handle(
        self,
        chat: str,
        event: Event,
        *,
        update_id: int | None = None,
        waiting: Callable[[], AbstractAsyncContextManager[None]] | None = None,
        locale: str | None = None,
    ) -> Turn:
        """Handle one update of one chat; raises ServiceUnavailable if the store failed, and
        UpdateIdError (before any store call) for an id outside 0 <= id < 2^63.

        `waiting` wraps the wait for the chat's lock (held, perhaps, by another process): the
        Telegram adapter gives the update's processing slot back for it. `locale` (a language
        tag such as Telegram's `language_code`) picks the language of a new conversation."""
        if update_id is not None:
            check_update_id(update_id)
        if isinstance(event, Text) and isinstance(parse_command(event.text), Forget):
            event = Forget()
        try:
            async with AsyncExitStack() as held:
                async with waiting() if waiting is not None else nullcontext():
                    await held.enter_async_context(self.store.lock(chat))
                return await self._handle_locked(chat, event, update_id, locale)
        except StoreError as exc:
            log.warning("store unavailable: %s", exc)
            raise ServiceUnavailable(str(exc)) from exc

    async def _handle_locked(
        self, chat: str, event: Event, update_id: int | None, locale: str | None = None
    ) -> Turn:
        for attempt in range(self.max_attempts):
            # A re-delivered update is refused by `save` and `delete` themselves, atomically,
            # in every store (DuplicateUpdateError below): no separate look-up, one store round
            # trip less per update.
            if isinstance(event, Forget):
                return await self._forget(chat, update_id, locale)
            stored = await self.store.load(chat)
            session = None
            if stored is not None:
                try:
                    session = Session.from_dict(stored.data)
                except ValueError:
                    log.warning("unreadable stored session replaced by a new one")
            new_session, replies = self.engine.step(session, event, locale=locale)
            data = new_session.to_dict()
            expected = stored.version if stored else 0
            try:
                await self.store.save(
                    chat,
                    data,
                    expected_version=expected,
                    update_id=update_id,
                    counters=count_changes(session, new_session, event),
                )
            except DuplicateUpdateError:
                return await self._duplicate(chat)
            except StaleWriteError:
                # Another process saved this chat meanwhile: step again from its state.
                self.stale_retries += 1
                await asyncio.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311
                continue
            except StoreError:
                if not await self._was_saved(chat, update_id, data, expected):
                    raise
            return Turn(replies, new_session)
        raise StoreError(f"the chat kept changing under {self.max_attempts} attempts")

    async def _duplicate(self, chat: str) -> Turn:
        """An update already saved: where the chat is now, to show again (a reply lost with
        a crash or a 5xx). Reading it is best effort: the duplicate itself is certain."""
        try:
            stored = await self.store.load(chat)
            session = Session.from_dict(stored.data) if stored is not None else None
        except (StoreError, ValueError):
            return Turn(duplicate=True)
        if session is None or not self.engine.is_current(session):
            return Turn(duplicate=True)
        words = self.engine.for_session(session).words
        return Turn(words.resume(session), session, duplicate=True)

    async def _was_saved(
        self, chat: str, update_id: int | None, data: dict[str, object], expected: int
    ) -> bool:
        """After a save that failed without saying why: was it written? True or False when the
        store could tell; the original error stands (False) when it could not, after a few
        tries (then it is "unknown", and the person is told to try again)."""
        for attempt in range(CHECK_ATTEMPTS):
            try:
                if update_id is not None:
                    saved = await self.store.seen(update_id)
                else:
                    stored = await self.store.load(chat)
                    saved = stored is not None and stored.version > expected and stored.data == data
            except StoreError:
                if attempt + 1 < CHECK_ATTEMPTS:
                    await asyncio.sleep(CHECK_PAUSE)
                continue
            self.ambiguous_saves["saved" if saved else "not_saved"] += 1
            log.warning("store error on save; the step was %s", "saved" if saved else "not saved")
            return saved
        self.ambiguous_saves["unknown"] += 1
        log.warning("store error on save; whether the step was saved is unknown")
        return False

    async def _forget(self, chat: str, update_id: int | None, locale: str | None = None) -> Turn:
        """Erase the chat; confirm "erased" only if this very call erased a session.

        The store checks and deletes in one transaction, so when two processes get a /forget
        of one chat at once, one says erased and the other that nothing was stored."""
        try:
            erased = await self.store.delete(chat, update_id=update_id)
        except DuplicateUpdateError:
            return Turn(duplicate=True)
        except StoreError:
            # Ambiguous: if the update id was recorded, the erasure happened (whether or not a
            # session was there, nothing is stored now); otherwise the failure stands.
            if update_id is None or not await self._was_saved(chat, update_id, {}, 0):
                raise
            erased = True
        if not erased:
            nothing = self.engine.for_locale(locale).catalogue.gettext(NOTHING_STORED_TEXT)
            return Turn([Reply("info", nothing)], None)
        _, replies = self.engine.step(None, Forget(), locale=locale)
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
