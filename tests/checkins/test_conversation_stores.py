"""/forget through the check-in layer on SQLite and Redis (and memory): every check-in is
cancelled and nothing is left under the check-in key, in the store's raw data too."""

from __future__ import annotations

from bme_bot.checkins.conversation import checkin_key
from bme_bot.core.engine import Engine
from bme_bot.core.events import Answer, Text
from bme_bot.storage.url import open_store

from .layer import CHAT, Clock, checkin_engine, layer, offer_of, to_self_care
from .schedules import Schedules


async def test_forget_leaves_no_checkin_in_the_store(engine: Engine, schedules: Schedules) -> None:
    store = open_store(schedules.url, 7 * 86400)
    checkins = schedules.make()
    try:
        service = layer(engine, checkin_engine(), store, checkins, Clock())
        turn = await to_self_care(service)
        await service.handle(CHAT, Answer("yes", question="checkin", turn=offer_of(turn).turn))
        await to_self_care(service)  # a second offer, open: stored under the check-in key
        assert len(await checkins.list(CHAT)) == 1
        assert await store.load(checkin_key(CHAT)) is not None
        forgot = await service.handle(CHAT, Text("/forget"), update_id=77)
        assert "erased" in forgot.replies[0].text
        assert await checkins.list(CHAT) == []
        assert await store.load(checkin_key(CHAT)) is None
        assert await store.load(CHAT) is None
        assert await schedules.raw_mentions(CHAT) == []
        if schedules.kind == "redis":
            assert not [k for k in await schedules.keys() if CHAT in k]
    finally:
        await store.close()
