"""Check-ins wired around the running bot, as a layer over the main `Service`.

`CheckinService` has the Service's `handle(chat, event, update_id=...) -> Turn`, so an adapter
uses it unchanged (it *is* a Service to the type checker; everything it does not do itself is
the main service's, reached through `main`). Per update it:

- handles `/checkins` (what is planned), `/stop` (cancel everything) and `/forget` (cancel
  everything, erase the check-in record, then the main service's own /forget);
- answers the offer ("Shall I check on you in N days?"): its buttons carry the question id
  `checkin` (`q|checkin|TURN|OPTION`), which the main engine would call stale, so the layer
  takes them before delegating; typed "yes", "no", "5 days" too;
- while a check-in conversation is open (started by the scheduler through `start_checkin`),
  sends the chat's events to a second Service on the check-in flow, whose session lives under
  `<chat>:checkin` in the same store; when it ends, adds the anonymous ending counters and,
  after "better", offers one more check-in. Then the chat is the main flow's again;
- after a main turn that ends at soon, routine or self_care, appends the offer.

What the layer keeps, under `<chat>:checkin`: the check-in conversation's session (if any) and
the open offer (the disposition it follows, the suggested days, when the conversation ended,
the frame offset, and the turns that bind its buttons). Nothing the person typed. The
schedule itself is the `CheckinStore`'s. Nothing is planned without an explicit yes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from bme_bot.checkins import texts
from bme_bot.checkins.base import (
    CHECKIN_DISPOSITIONS,
    Checkin,
    CheckinStore,
    Claim,
    counter_name,
)
from bme_bot.checkins.counting import ending_counters
from bme_bot.checkins.rules import (
    HOUR,
    MAX_DAYS,
    MIN_DAYS,
    Lateness,
    due_time,
    frame_minutes,
    suggested_days,
)
from bme_bot.checkins.scheduler import Due
from bme_bot.core.engine import Engine, normalise
from bme_bot.core.events import Answer, Event, Forget, Restart, Start, Text, parse_command
from bme_bot.core.regions import REGIONS
from bme_bot.core.replies import Reply, ReplyOption
from bme_bot.core.session import Session
from bme_bot.core.wording import Wording
from bme_bot.logs import hash_chat, log_event
from bme_bot.service import Service, ServiceUnavailable, Turn
from bme_bot.storage.base import DuplicateUpdateError, StaleWriteError, Stored, StoreError
from bme_bot.storage.ids import check_update_id

log = logging.getLogger(__name__)

CHECKIN_FLOW = "checkin"
"""The flow id a planned check-in runs (flows/checkin.yaml)."""
OFFER_QUESTION = "checkin"
"""The offer's question id and `asks` (the name scripts rely on)."""
KEY_SUFFIX = ":checkin"
OTHER_DAYS = (1, 2, 3, 7, 14)
"""Day counts offered as buttons beside the suggested one."""

Waiting = Callable[[], AbstractAsyncContextManager[None]]

_SPEAKING: ContextVar[texts.Gettext | None] = ContextVar("checkin_texts", default=None)
"""The catalogue lookup of the language of the chat being handled: per update (and per
asyncio task), so two chats in two languages handled at once never swap texts."""


def checkin_key(chat: str) -> str:
    """Where a chat's check-in session and open offer live, beside its main session."""
    return f"{chat}{KEY_SUFFIX}"


@dataclass(frozen=True)
class Offer:
    """An offer shown and not yet answered: what to plan on a yes, and what binds its buttons.

    `source` is the session whose ending made it ("main" or "checkin") and `source_turn` that
    session's turn then: once that session moves on (a /start), the offer's buttons are stale.
    `turn` is the buttons' turn, one above `source_turn`, so the Telegram planner sees a
    different turn after the answer and takes the buttons off the message."""

    original: str
    days: int
    source: str
    source_turn: int
    finished_at: float
    frame: int
    typed: bool = True
    """Whether a bare number still picks one of its options (only while it was the last
    thing shown; after any other turn a number belongs to that turn's menu)."""

    @property
    def turn(self) -> int:
        return self.source_turn + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "days": self.days,
            "source": self.source,
            "source_turn": self.source_turn,
            "at": self.finished_at,
            "frame": self.frame,
            "typed": self.typed,
        }

    @classmethod
    def from_dict(cls, data: object) -> Offer | None:
        """None for anything that is not a readable offer (it is then ignored)."""
        if not isinstance(data, dict):
            return None
        try:
            offer = cls(
                original=str(data["original"]),
                days=int(data["days"]),
                source=str(data["source"]),
                source_turn=int(data["source_turn"]),
                finished_at=float(data["at"]),
                frame=int(data["frame"]),
                typed=bool(data.get("typed", True)),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if offer.original not in CHECKIN_DISPOSITIONS or offer.source not in ("main", "checkin"):
            return None
        return offer


@dataclass(frozen=True)
class Record:
    """What is stored under the check-in key: a check-in session and an open offer."""

    stored: Stored | None
    session: Session | None
    offer: Offer | None

    @property
    def version(self) -> int:
        return self.stored.version if self.stored is not None else 0

    @property
    def open(self) -> bool:
        """A check-in conversation is under way: the chat's answers are the check-in's."""
        return self.session is not None and not self.session.done

    def data(self, offer: Offer | None) -> dict[str, Any]:
        data = self.session.to_dict() if self.session is not None else {}
        if offer is not None:
            data["offer"] = offer.to_dict()
        return data


def _command(event: Event) -> str | None:
    """'checkins', 'stop' or 'forget' for the commands this layer handles, else None."""
    if isinstance(event, Forget):
        return "forget"
    if not isinstance(event, Text):
        return None
    stripped = event.text.strip()
    if not stripped.startswith("/"):
        return None
    name = stripped[1:].partition(" ")[0].split("@", 1)[0].lower()
    if name in ("checkins", "stop"):
        return name
    return "forget" if isinstance(parse_command(stripped), Forget) else None


def _restarts(event: Event) -> bool:
    """/start or /restart: the person wants the triage, whatever was open."""
    if isinstance(event, Text):
        event = parse_command(event.text) or event
    return isinstance(event, Start | Restart)


class CheckinService(Service):
    """The main Service with check-ins around it (see the module docstring).

    Not built through `Service.__init__`: every attribute it does not set (engine, store,
    counters of stale retries...) is the main service's, so callers that read them see the
    main service, whatever that constructor takes."""

    def __init__(
        self,
        main: Service,
        checkin_engine: Engine,
        checkins: CheckinStore,
        *,
        gettext: texts.Gettext | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.main = main
        self.followup = Service(checkin_engine, main.store, max_attempts=main.max_attempts)
        self.checkin_engine = checkin_engine
        self.checkins = checkins
        self.fixed_gettext = gettext
        """One lookup for every chat (tests); None: the catalogue of each chat's language."""
        self.clock = clock

    def __getattr__(self, name: str) -> Any:
        if name == "main":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.main, name)

    # --- the layer's texts, in the chat's language -----------------------------------------

    @property
    def gettext(self) -> texts.Gettext:
        """The layer's texts (texts.py) in the language of the chat being handled."""
        if self.fixed_gettext is not None:
            return self.fixed_gettext
        speaking = _SPEAKING.get()
        return speaking if speaking is not None else self.main.engine.catalogue.gettext

    def _speak(self, session: Session | None, locale: str | None = None) -> None:
        """Speak the session's language for the rest of this update; `locale` (a language
        tag) for a chat without a session yet."""
        code = session.locale if session is not None else locale
        _SPEAKING.set(self.main.engine.for_locale(code).catalogue.gettext)

    # --- the one entry point ------------------------------------------------------------

    async def handle(
        self,
        chat: str,
        event: Event,
        *,
        update_id: int | None = None,
        waiting: Waiting | None = None,
        locale: str | None = None,
    ) -> Turn:
        """The main service's `handle`, with check-ins around it."""
        if update_id is not None:
            check_update_id(update_id)
        token = _SPEAKING.set(None)
        try:
            return await self._handle(chat, event, update_id, waiting, locale)
        finally:
            _SPEAKING.reset(token)

    async def _handle(
        self,
        chat: str,
        event: Event,
        update_id: int | None,
        waiting: Waiting | None,
        locale: str | None,
    ) -> Turn:
        self._speak(None, locale)
        try:
            command = _command(event)
            if command == "forget":
                return await self._forget_all(chat, update_id, waiting, locale)
            if command == "checkins":
                return await self._list(chat)
            if command == "stop":
                return await self._stop(chat, update_id)
            record = await self._record(chat)
            if isinstance(event, Answer) and event.question == OFFER_QUESTION:
                return await self._answer_offer(
                    chat, record, event.option_id, event.turn, update_id
                )
            if record.offer is not None and isinstance(event, Text) and not record.open:
                self._speak(await self._source_session(chat, record, record.offer), locale)
                option = self._typed_offer(record.offer, event.text)
                if option is not None:
                    return await self._answer_offer(chat, record, option, None, update_id)
            if record.open and not _restarts(event):
                turn = await self.followup.handle(
                    checkin_key(chat), event, update_id=update_id, waiting=waiting, locale=locale
                )
                turn = await self._keep_presets(chat, record, turn)
                return await self._after_checkin(chat, turn)
            if record.open:  # /start or /restart: the check-in ends here, the triage begins
                await self.store.delete(checkin_key(chat))
                record = Record(None, None, None)
        except StoreError as exc:
            log.warning("store unavailable: %s", exc)
            raise ServiceUnavailable(str(exc)) from exc
        turn = await self.main.handle(
            chat, event, update_id=update_id, waiting=waiting, locale=locale
        )
        try:
            return await self._after_main(chat, record, turn)
        except StoreError as exc:  # the main step is saved: show it, without an offer
            log_event(log, "checkin_offer_failed", logging.WARNING, error=type(exc).__name__)
            return turn

    # --- reading and writing the check-in record ----------------------------------------

    async def _record(self, chat: str) -> Record:
        stored = await self.store.load(checkin_key(chat))
        if stored is None:
            return Record(None, None, None)
        session = None
        if "flow" in stored.data:
            try:
                session = Session.from_dict(stored.data)
            except ValueError:
                log.warning("unreadable stored check-in session ignored")
            if session is not None and not self.checkin_engine.is_current(session):
                session = None  # a flow version change: the conversation is over
        return Record(stored, session, Offer.from_dict(stored.data.get("offer")))

    async def _save_offer(self, chat: str, record: Record, offer: Offer | None) -> bool:
        """Store (or drop) the offer beside the check-in session; False if the record changed
        meanwhile (another process): the caller then leaves things as they are."""
        data = record.data(offer)
        key = checkin_key(chat)
        try:
            if not data:
                await self.store.delete(key)
            else:
                await self.store.save(key, data, expected_version=record.version)
        except StaleWriteError:
            return False
        return True

    async def _main_session(self, chat: str) -> Session | None:
        stored = await self.store.load(chat)
        if stored is None:
            return None
        try:
            return Session.from_dict(stored.data)
        except ValueError:
            return None

    # --- the offer -----------------------------------------------------------------------

    def _offer_options(self, offer: Offer) -> tuple[ReplyOption, ...]:
        _ = self.gettext
        options = [ReplyOption("yes", _(texts.OFFER_YES).format(days=offer.days))]
        for days in OTHER_DAYS:
            if days != offer.days:
                label = _(texts.OFFER_ONE_DAY) if days == 1 else _(texts.OFFER_DAYS)
                options.append(ReplyOption(str(days), label.format(days=days)))
        options.append(ReplyOption("no", _(texts.OFFER_NO)))
        return tuple(options)

    def offer_reply(self, offer: Offer, *, again: bool = False) -> Reply:
        """The offer as a question: buttons `q|checkin|TURN|yes`, `...|7`, `...|no`."""
        text = self.gettext(texts.OFFER).format(days=offer.days)
        if again:
            text = f"{self.gettext(texts.OFFER_AGAIN)}\n\n{text}"
        return Reply(
            "reask" if again else "question",
            text,
            options=self._offer_options(offer),
            asks=OFFER_QUESTION,
            question=OFFER_QUESTION,
            turn=offer.turn,
        )

    def _make_offer(self, session: Session, disposition: str, source: str) -> Offer | None:
        if disposition not in CHECKIN_DISPOSITIONS:
            return None
        return Offer(
            original=disposition,
            days=suggested_days(disposition),
            source=source,
            source_turn=session.turn,
            finished_at=self.clock(),
            frame=frame_minutes(session.region),
        )

    def _typed_offer(self, offer: Offer, text: str) -> str | None:
        """The option a typed answer picks, or None (then it is not about the offer)."""
        _ = self.gettext
        said = normalise(text)
        if not said:
            return None
        options = self._offer_options(offer)
        for option in options:
            if said in (normalise(option.id), normalise(option.label)) and not said.isdigit():
                return option.id
        if said in {normalise(w) for w in texts.YES_WORDS} | {
            normalise(_(w)) for w in texts.YES_WORDS
        }:
            return "yes"
        if said in {normalise(w) for w in texts.NO_WORDS} | {
            normalise(_(w)) for w in texts.NO_WORDS
        }:
            return "no"
        words = said.split()
        day_words = {normalise(w) for w in texts.DAYS_WORDS} | {
            normalise(_(w)) for w in texts.DAYS_WORDS
        }
        numbers = [w for w in words if w.isdigit()]
        if len(numbers) == 1 and any(w in day_words for w in words) and len(words) <= 3:
            return numbers[0]
        if said.isdigit() and offer.typed and 1 <= int(said) <= len(options):
            return options[int(said) - 1].id
        return None

    @staticmethod
    def _days_of(offer: Offer, option_id: str) -> int | None:
        """Days to plan: the suggested ones for yes, 0 for no, None for an option that is
        not one of the offer's (forged, or typed out of range)."""
        if option_id == "yes":
            return offer.days
        if option_id == "no":
            return 0
        if option_id.isascii() and option_id.isdigit() and MIN_DAYS <= int(option_id) <= MAX_DAYS:
            return int(option_id)
        return None

    def _safety_net(self, session: Session | None) -> str:
        region = REGIONS.get((session.region if session else None) or "")
        engine_region = self.engine.default_region if region is None else region
        return self.gettext(texts.SAFETY_NET).format(
            emergency_number=engine_region.emergency_number
        )

    async def _answer_offer(
        self,
        chat: str,
        record: Record,
        option_id: str,
        turn: int | None,
        update_id: int | None,
    ) -> Turn:
        offer = record.offer
        source = await self._source_session(chat, record, offer)
        self._speak(source)
        stale = Turn([Reply("stale", self.gettext(texts.MOVED_ON))], source)
        if offer is None or (turn is not None and turn != offer.turn):
            return stale
        if source is None or source.turn != offer.source_turn:
            await self._save_offer(chat, record, None)  # its conversation moved on
            return stale
        days = self._days_of(offer, option_id)
        if days is None:
            return Turn([self.offer_reply(offer, again=True)], source)
        # Consume the offer first, with the update id: a second tap or a redelivered update
        # finds it gone (or the update seen) and plans nothing twice.
        data = record.data(None)
        key = checkin_key(chat)
        try:
            if data:
                version = await self.store.save(
                    key, data, expected_version=record.version, update_id=update_id
                )
            else:
                if not await self.store.delete(key, update_id=update_id):
                    return stale
                version = 0
        except DuplicateUpdateError:
            return Turn(duplicate=True)
        except StaleWriteError:
            return stale
        _ = self.gettext
        if days == 0:
            await self._count("declined")
            text = f"{_(texts.DECLINED)} {self._safety_net(source)}"
            return Turn([Reply("info", text)], source)
        now = self.clock()
        finished = offer.finished_at if now - offer.finished_at <= HOUR else now
        try:
            await self.checkins.plan(
                chat, due_time(finished, days, offer.frame), CHECKIN_FLOW, offer.original
            )
        except StoreError:
            # Give the offer back so the person can say yes again once the store is back.
            restored = Record(Stored(data, version) if data else None, record.session, None)
            with suppress(StoreError):
                await self._save_offer(chat, restored, offer)
            raise
        await self._count("accepted")
        text = _(texts.PLANNED_ONE_DAY) if days == 1 else _(texts.PLANNED).format(days=days)
        log_event(log, "checkin_planned", chat=hash_chat(chat), days=days)
        return Turn([Reply("info", text)], source)

    async def _source_session(
        self, chat: str, record: Record, offer: Offer | None
    ) -> Session | None:
        if offer is not None and offer.source == "checkin":
            return record.session
        return await self._main_session(chat)

    async def _count(self, *names: str) -> None:
        await self._add_counters({counter_name(n): 1 for n in names})

    async def _add_counters(self, counters: Mapping[str, int]) -> None:
        """Anonymous totals: losing one to a store hiccup must not fail the person's turn."""
        try:
            await self.checkins.add_counters(counters)
        except StoreError as exc:
            log_event(log, "checkin_count_failed", logging.WARNING, error=type(exc).__name__)

    # --- after a step ---------------------------------------------------------------------

    def _ended(self, engine: Engine, turn: Turn) -> tuple[Session, str, bool] | None:
        """(session, disposition, offer_checkin) when this very turn gave the advice."""
        session = turn.session
        if turn.duplicate or session is None or not session.done:
            return None
        if not any(r.kind == "disposition" for r in turn.replies):
            return None
        outcome = engine.flow.outcomes.get(session.outcome or "")
        if outcome is None:
            return None
        return session, outcome.disposition, outcome.offer_checkin

    async def _after_main(self, chat: str, record: Record, turn: Turn) -> Turn:
        self._speak(turn.session)
        ended = self._ended(self.engine, turn)
        offer = None
        if ended is not None and ended[0].flow_id == self.engine.flow.id:
            offer = self._make_offer(ended[0], ended[1], "main")
        if offer is None:
            if record.offer is not None and record.offer.typed and not turn.duplicate:
                await self._save_offer(chat, record, replace(record.offer, typed=False))
            return turn
        if not await self._save_offer(chat, record, offer):
            return turn
        await self._count("offered")
        return Turn([*turn.replies, self.offer_reply(offer)], turn.session)

    async def _keep_presets(self, chat: str, record: Record, turn: Turn) -> Turn:
        """Put back a preset fact (`original`) that a step dropped.

        The engine's /back (and the rewind after a red flag answered differently) rebuilds
        the facts from the history, which never holds a preset: without `original`, "better"
        would route as if the original advice were self-care. Until the engine keeps presets
        itself, the layer restores them before the next answer is routed."""
        before, after = record.session, turn.session
        if before is None or after is None or after.done or turn.duplicate:
            return turn
        lost = {
            fact: value
            for fact, value in before.facts.items()
            if fact in self.checkin_engine.flow.presets and fact not in after.facts
        }
        if not lost:
            return turn
        key = checkin_key(chat)
        stored = await self.store.load(key)
        if stored is None or stored.data != after.to_dict():
            return turn  # changed meanwhile: the next step sees whatever is there
        fixed = after.evolve(facts={**lost, **after.facts})
        try:
            await self.store.save(key, fixed.to_dict(), expected_version=stored.version)
        except StaleWriteError:
            return turn
        return Turn(turn.replies, fixed)

    async def _after_checkin(self, chat: str, turn: Turn) -> Turn:
        ended = self._ended(self.checkin_engine, turn)
        if ended is None:
            return turn
        session, disposition, offer_checkin = ended
        self._speak(session)
        await self._add_counters(ending_counters(session.facts, disposition))
        log_event(log, "checkin_answered", chat=hash_chat(chat))
        if not offer_checkin:
            return turn
        offer = self._make_offer(session, disposition, "checkin")
        if offer is None:
            return turn
        record = await self._record(chat)
        if record.session is None or record.session.turn != session.turn:
            return turn
        if not await self._save_offer(chat, record, offer):
            return turn
        await self._count("offered")
        return Turn([*turn.replies, self.offer_reply(offer)], turn.session)

    # --- the commands --------------------------------------------------------------------

    def _resume(self, record: Record, main: Session | None) -> list[Reply]:
        """Back where the person was after a command: the open question, or nothing."""
        if record.open and record.session is not None:
            return _words(self.checkin_engine, record.session).resume(record.session, menu=False)
        if main is not None and not main.done and self.engine.is_current(main):
            return _words(self.engine, main).resume(main, menu=False)
        return []

    async def _list(self, chat: str) -> Turn:
        planned = await self.checkins.list(chat)
        main = await self._main_session(chat)
        record = await self._record(chat)
        self._speak(record.session if record.open else main)
        _ = self.gettext
        if not planned:
            lines = [_(texts.LIST_NONE)]
        else:
            frame = frame_minutes(main.region if main else None)
            lines = [_(texts.LIST_HEAD)]
            for checkin in planned:
                when = time.gmtime(checkin.due_at + frame * 60)
                lines.append(
                    _(texts.LIST_ITEM).format(
                        date=time.strftime("%Y-%m-%d", when),
                        time=time.strftime("%H:%M", when),
                        zone=_zone(frame),
                    )
                )
            lines.append(_(texts.LIST_FOOT))
        shown = record.session if record.open else main
        return Turn([Reply("info", "\n".join(lines)), *self._resume(record, main)], shown)

    async def _stop(self, chat: str, update_id: int | None) -> Turn:
        record = await self._record(chat)
        try:
            # Erasing the check-in record marks the update as handled, in one step.
            await self.store.delete(checkin_key(chat), update_id=update_id)
        except DuplicateUpdateError:
            return Turn(duplicate=True)
        cancelled = await self.checkins.cancel_all(chat)
        main = await self._main_session(chat)
        self._speak(record.session if record.open else main)
        _ = self.gettext
        log_event(log, "checkins_stopped", chat=hash_chat(chat), cancelled=cancelled)
        ended_open = record.open
        text = _(texts.STOPPED) if cancelled or ended_open else _(texts.NOTHING_TO_STOP)
        if ended_open:
            text = f"{text} {self._safety_net(record.session)}"
        resume = self._resume(Record(None, None, None), main)
        return Turn([Reply("info", text), *resume], main)

    async def _forget_all(
        self, chat: str, update_id: int | None, waiting: Waiting | None, locale: str | None
    ) -> Turn:
        """Cancel every check-in and erase the check-in record, then the main /forget (which
        marks the update handled). Its answer stays the main service's, except that erasing
        only check-ins still says "erased"."""
        cancelled = await self.checkins.cancel_all(chat)
        erased = await self.store.delete(checkin_key(chat))
        turn = await self.main.handle(
            chat, Forget(), update_id=update_id, waiting=waiting, locale=locale
        )
        if turn.duplicate or not (cancelled or erased):
            return turn
        _, confirm = self.engine.step(None, Forget(), locale=locale)
        return turn if turn.replies == confirm else Turn(confirm, None)

    # --- for the console and scripts ------------------------------------------------------

    async def checkin_session(self, chat: str) -> Session | None:
        """The chat's open check-in conversation, if any (what the console shows after
        /checkin-now)."""
        record = await self._record(chat)
        return record.session if record.open else None

    def engine_of(self, session: Session | None) -> Engine:
        """The engine a session belongs to (a check-in's, or the main one): what a console
        needs to show a turn's progress, disposition and rule."""
        if session is not None and session.flow_id == self.checkin_engine.flow.id:
            return self.checkin_engine
        return self.main.engine

    async def checkin_now(self, chat: str) -> list[Reply]:
        """Open a check-in at once (the console's /checkin-now): after the chat's last advice
        when it was soon, routine or self-care, else as after routine advice. Nothing is
        planned or counted: it is for trying the flow without waiting."""
        main = await self._main_session(chat)
        original = "routine"
        if main is not None and main.done:
            outcome = self.main.engine.flow.outcomes.get(main.outcome or "")
            if outcome is not None and outcome.disposition in CHECKIN_DISPOSITIONS:
                original = outcome.disposition
        now = self.clock()
        checkin = Checkin("now", chat, now, CHECKIN_FLOW, original)
        return await self.start_checkin(chat, Due(Claim(checkin, "", now, 1), Lateness.ON_TIME))

    # --- the scheduler's side ------------------------------------------------------------

    async def start_checkin(self, chat: str, due: Due) -> list[Reply]:
        """Open the check-in conversation for a due check-in and return what to send: its
        first question (after a line saying it is late, when it is), or, more than two days
        late, only the short "we missed our check-in" message with the safety net."""
        token = _SPEAKING.set(None)
        try:
            return await self._start_checkin(chat, due)
        finally:
            _SPEAKING.reset(token)

    async def _start_checkin(self, chat: str, due: Due) -> list[Reply]:
        main = await self._main_session(chat)
        self._speak(main)
        _ = self.gettext
        if due.lateness is Lateness.MISSED:
            return [Reply("info", f"{_(texts.MISSED)} {self._safety_net(main)}")]
        key = checkin_key(chat)
        async with self.store.lock(key):
            record = await self._record(chat)
            # The check-in's turns start above every turn its buttons could meet: an old
            # button of the triage or of an earlier check-in is stale, never an answer.
            floor = max(
                main.turn if main else 0,
                record.session.turn if record.session else 0,
                record.offer.turn if record.offer else 0,
            )
            session = self.checkin_engine.new_session(main.region if main else None).evolve(
                facts={"original": due.checkin.original}, turn=floor + 1
            )
            locale = getattr(main, "locale", None)
            if locale is not None:  # the check-in speaks the chat's language
                session = session.evolve(locale=locale)
            await self.store.save(key, session.to_dict(), expected_version=record.version)
        replies = [_words(self.checkin_engine, session).question_reply(session)]
        if due.lateness is Lateness.LATE:
            replies.insert(0, Reply("info", _(texts.LATE)))
        return replies


def _words(engine: Engine, session: Session) -> Wording:
    """The wording of the session's locale (engines without locales: their own)."""
    for_session = getattr(engine, "for_session", None)
    words: Wording = (for_session(session) if for_session is not None else engine).words
    return words


def _zone(frame: int) -> str:
    """'UTC', 'UTC+1', 'UTC-5', 'UTC+5:30' for a frame offset in minutes."""
    if frame == 0:
        return "UTC"
    sign = "+" if frame > 0 else "-"
    hours, minutes = divmod(abs(frame), 60)
    return f"UTC{sign}{hours}" + (f":{minutes:02d}" if minutes else "")


__all__ = [
    "CHECKIN_FLOW",
    "OFFER_QUESTION",
    "CheckinService",
    "Offer",
    "checkin_key",
]
