"""The check-in layer over the real engines, on a memory store: the offer, yes / no / other
days, /checkins, /stop, /forget, the scheduler opening the check-in conversation, and its
endings (emergency after "worse" with a red flag, one more offer after "better")."""

from __future__ import annotations

import pytest

from bme_bot.checkins import rules
from bme_bot.checkins.conversation import CheckinService, checkin_key
from bme_bot.checkins.memory import MemoryCheckinStore
from bme_bot.checkins.scheduler import Due, Scheduler, SendResult
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Forget, Start, Text
from bme_bot.core.replies import Reply
from bme_bot.storage.memory import MemoryStore

from .layer import CHAT, Clock, checkin_engine, layer, offer_of, to_self_care


@pytest.fixture(scope="module")
def followup() -> Engine:
    return checkin_engine()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def parts(
    engine: Engine, followup: Engine, clock: Clock
) -> tuple[CheckinService, MemoryStore, MemoryCheckinStore]:
    store = MemoryStore()
    checkins = MemoryCheckinStore()
    return layer(engine, followup, store, checkins, clock), store, checkins


async def test_self_care_ending_gets_the_offer_with_three_days(parts) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    kinds = [r.kind for r in turn.replies]
    assert "disposition" in kinds
    offer = offer_of(turn)
    assert kinds[-1] == "question" and turn.replies[-1] is offer
    assert "3 days" in offer.text
    ids = [o.id for o in offer.options]
    assert ids[0] == "yes" and ids[-1] == "no"
    assert {"1", "2", "7", "14"} <= set(ids) and "3" not in ids
    assert offer.question == "checkin" and offer.turn is not None
    assert turn.session is not None and offer.turn != turn.session.turn
    assert await checkins.list(CHAT) == []  # nothing without a yes
    assert await checkins.counters() == {"checkin:offered": 1}


async def test_yes_plans_one_checkin_at_the_right_time(parts, clock: Clock) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    offer = offer_of(turn)
    finished = clock.now
    clock.now += 60
    answer = await service.handle(CHAT, Answer("yes", question="checkin", turn=offer.turn))
    planned = await checkins.list(CHAT)
    assert len(planned) == 1
    # No region chosen: the UTC frame; 08:00 UTC is outside the quiet hours.
    assert planned[0].due_at == rules.due_time(finished, 3, 0) == finished + 3 * rules.DAY
    assert planned[0].original == "self_care" and planned[0].flow == "checkin"
    assert "3 days" in answer.replies[0].text
    again = await service.handle(CHAT, Answer("yes", question="checkin", turn=offer.turn))
    assert [r.kind for r in again.replies] == ["stale"]
    assert len(await checkins.list(CHAT)) == 1
    assert await checkins.counters() == {"checkin:offered": 1, "checkin:accepted": 1}


async def test_other_day_and_typed_days(parts, clock: Clock) -> None:
    service, _, checkins = parts
    await to_self_care(service)
    await service.handle(CHAT, Text("in 5 days"))
    planned = await checkins.list(CHAT)
    assert [c.due_at for c in planned] == [rules.due_time(clock.now, 5, 0)]


async def test_a_late_night_ending_is_planned_for_the_morning(parts, clock: Clock) -> None:
    service, _, checkins = parts
    clock.now = 1_800_000_000.0 + 14 * rules.HOUR  # 22:00 UTC, 23:00 in the EU frame
    await service.handle(CHAT, Start())
    await service.handle(CHAT, Text("/region EU"))
    turn = await to_self_care(service)
    offer = offer_of(turn)
    await service.handle(CHAT, Answer("7", question="checkin", turn=offer.turn))
    (planned,) = await checkins.list(CHAT)
    assert rules.hour_in_frame(planned.due_at, 60) == 8.0
    assert planned.due_at > clock.now + 7 * rules.DAY


async def test_no_plans_nothing(parts) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    offer = offer_of(turn)
    answer = await service.handle(CHAT, Answer("no", question="checkin", turn=offer.turn))
    assert await checkins.list(CHAT) == []
    assert "112" in answer.replies[0].text  # the safety net, with the EU number
    assert (await checkins.counters())["checkin:declined"] == 1


async def test_a_forged_option_is_asked_again_and_plans_nothing(parts) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    offer = offer_of(turn)
    answer = await service.handle(CHAT, Answer("99", question="checkin", turn=offer.turn))
    assert [r.asks for r in answer.replies] == ["checkin"]
    assert await checkins.list(CHAT) == []


async def test_a_number_after_another_turn_is_the_menu_not_the_offer(parts) -> None:
    service, _, checkins = parts
    await to_self_care(service)
    await service.handle(CHAT, Text("/why"))
    await service.handle(CHAT, Text("1"))
    assert await checkins.list(CHAT) == []


async def test_checkins_lists_and_stop_cancels_everything(parts) -> None:
    service, _, checkins = parts
    await service.handle(CHAT, Start())
    await service.handle(CHAT, Text("/region EU"))
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("2", question="checkin", turn=offer_of(turn).turn))
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("14", question="checkin", turn=offer_of(turn).turn))
    planned = await checkins.list(CHAT)
    listed = await service.handle(CHAT, Text("/checkins"))
    text = listed.replies[0].text
    assert text.count("\n- ") == 2 and "UTC+1" in text
    stopped = await service.handle(CHAT, Text("/stop"), update_id=5)
    assert await checkins.list(CHAT) == []
    assert "cancelled" in stopped.replies[0].text and len(planned) == 2
    again = await service.handle(CHAT, Text("/stop"))
    assert "nothing to cancel" in again.replies[0].text
    assert "No check-ins" in (await service.handle(CHAT, Text("/checkins"))).replies[0].text
    assert (await service.handle(CHAT, Text("/stop"), update_id=5)).duplicate


async def test_forget_cancels_everything_and_erases_the_checkin_record(parts) -> None:
    service, store, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    await to_self_care(service)  # a second offer left open: a record under the check-in key
    assert await store.load(checkin_key(CHAT)) is not None
    forgot = await service.handle(CHAT, Forget(), update_id=9)
    assert "erased" in forgot.replies[0].text
    assert await checkins.list(CHAT) == []
    assert await store.load(checkin_key(CHAT)) is None
    assert await store.load(CHAT) is None


async def test_forget_with_only_checkins_still_says_erased(engine, followup, clock) -> None:
    store, checkins = MemoryStore(), MemoryCheckinStore()
    service = layer(engine, followup, store, checkins, clock)
    await checkins.plan(CHAT, clock.now + 10, "checkin", "routine")
    forgot = await service.handle(CHAT, Text("/forget"))
    assert "erased" in forgot.replies[0].text
    assert await checkins.list(CHAT) == []


async def _due_now(
    service: CheckinService, checkins: MemoryCheckinStore, clock: Clock
) -> list[Reply]:
    """Run one scheduler tick at the due time, collecting what `send` would have sent."""
    sent: list[list[Reply]] = []

    async def send(due: Due) -> SendResult:
        sent.append(await service.start_checkin(due.checkin.chat, due))
        return SendResult.sent()

    (planned,) = await checkins.list(CHAT)
    clock.now = planned.due_at
    tick = await Scheduler(checkins, send, clock=clock).tick()
    assert tick.sent == 1 and len(sent) == 1
    return sent[0]


async def test_the_scheduler_opens_the_checkin_and_worse_with_a_red_flag_is_an_emergency(
    parts, clock: Clock
) -> None:
    service, store, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    first = await _due_now(service, checkins, clock)
    assert [r.asks for r in first] == ["checkin_status"]
    stored = await store.load(checkin_key(CHAT))
    assert stored is not None and stored.data["facts"] == {"original": "self_care"}
    question = first[0]
    turn = await service.handle(
        CHAT, Answer("worse", question=question.question, turn=question.turn), update_id=20
    )
    checklist = turn.replies[-1]
    assert checklist.checklist and checklist.question == "red_flags"
    turn = await service.handle(CHAT, Text("cold and numb"), update_id=21)
    assert turn.session is not None and turn.session.done
    assert turn.session.flow_id == "checkin"
    outcome = service.checkin_engine.flow.outcomes[turn.session.outcome or ""]
    assert outcome.disposition == "emergency"
    assert not any(r.asks == "checkin" for r in turn.replies)  # no offer after an emergency
    counters = await checkins.counters()
    assert counters["checkin:answered"] == 1 and counters["checkin:worse"] == 1
    assert counters["checkin:escalated"] == 1 and counters["checkin:sent"] == 1
    # The check-in is over: the chat is the triage's again.
    after = await service.handle(CHAT, Start())
    assert after.session is not None and after.session.flow_id == "bme_triage"


async def test_better_offers_one_more_checkin(parts, clock: Clock) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    (first,) = await _due_now(service, checkins, clock)
    assert first.asks == "checkin_status"
    turn = await service.handle(CHAT, Text("better"))
    assert turn.session is not None and turn.session.done
    offer = offer_of(turn)
    assert "3 days" in offer.text
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer.turn))
    (planned,) = await checkins.list(CHAT)
    assert planned.original == "self_care"
    assert (await checkins.counters())["checkin:better"] == 1


async def test_a_late_checkin_says_so_and_a_missed_one_is_short(parts, clock: Clock) -> None:
    service, store, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    (planned,) = await checkins.list(CHAT)
    claim = (await checkins.claim_due(planned.due_at, 60, 1))[0]
    late = await service.start_checkin(CHAT, Due(claim, rules.Lateness.LATE))
    assert [r.kind for r in late] == ["info", "question"] and "later" in late[0].text
    await store.delete(checkin_key(CHAT))
    missed = await service.start_checkin(CHAT, Due(claim, rules.Lateness.MISSED))
    assert [r.kind for r in missed] == ["info"] and "112" in missed[0].text
    assert await store.load(checkin_key(CHAT)) is None


async def test_stop_during_a_checkin_ends_it_with_the_safety_net(parts, clock: Clock) -> None:
    service, store, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    await _due_now(service, checkins, clock)
    stopped = await service.handle(CHAT, Text("/stop"))
    assert "/start" in stopped.replies[0].text and "112" in stopped.replies[0].text
    assert await store.load(checkin_key(CHAT)) is None


async def test_back_in_a_checkin_keeps_the_original_disposition(parts, clock: Clock) -> None:
    service, _, checkins = parts
    turn = await to_self_care(service)
    await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
    # Plan it as after "soon" advice: "better" must then stay at soon, never self-care.
    (planned,) = await checkins.list(CHAT)
    await checkins.cancel_all(CHAT)
    await checkins.plan(CHAT, planned.due_at, "checkin", "soon")
    (first,) = await _due_now(service, checkins, clock)
    await service.handle(CHAT, Answer("worse", question=first.question, turn=first.turn))
    back = await service.handle(CHAT, Text("/back"))
    assert back.session is not None and back.session.facts == {"original": "soon"}
    done = await service.handle(CHAT, Text("better"))
    assert done.session is not None and done.session.outcome == "K1_soon"


async def test_checkin_now_opens_a_checkin_after_the_last_advice(parts) -> None:
    service, store, checkins = parts
    await to_self_care(service)
    (first,) = await service.checkin_now(CHAT)
    assert first.asks == "checkin_status"
    stored = await store.load(checkin_key(CHAT))
    assert stored is not None and stored.data["facts"] == {"original": "self_care"}
    turn = await service.handle(CHAT, Text("same"))
    assert turn.session is not None and service.engine_of(turn.session) is service.checkin_engine
    outcome = service.engine_of(turn.session).flow.outcomes[turn.session.outcome or ""]
    assert (outcome.rule, outcome.disposition) == ("K2", "soon")
    assert await checkins.list(CHAT) == []
