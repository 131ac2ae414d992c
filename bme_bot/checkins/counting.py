"""Which anonymous counters a check-in's ending adds: pure, so the engine's caller (the
service or the adapter) adds them with the ending and nothing else decides it."""

from __future__ import annotations

from collections.abc import Mapping

from bme_bot.checkins.base import counter_name
from bme_bot.core.flow import urgency

STATUSES = ("better", "same", "worse", "new_sign")


def ending_counters(facts: Mapping[str, str], disposition: str) -> dict[str, int]:
    """A finished check-in: `answered`, its status (better/same/worse/new_sign) and
    `escalated` when it ended more urgent than the original disposition."""
    counters = {counter_name("answered"): 1}
    status = facts.get("checkin_status")
    if status in STATUSES:
        counters[counter_name(status)] = 1
    original = facts.get("original")
    if original is not None and urgency(disposition) > urgency(original):
        counters[counter_name("escalated")] = 1
    return counters
