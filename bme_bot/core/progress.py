"""How many answers a conversation can still take, for "Question n of at most m".

The bound is exact for the answers given so far: the flow is explored symbolically from the
current state with those answers fixed, exactly as the verifier does, and the longest way to an
outcome is counted (a checklist counts as one answer). Results are cached per (state, answers)
because many people pass through the same early states.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from bme_bot.core.conditions import Cube, split
from bme_bot.core.flow import Flow

CACHE_SIZE = 4096


class Progress:
    """Longest remaining number of answers from a state, given the answers so far."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._cache: OrderedDict[tuple[str, frozenset[tuple[str, str]]], int] = OrderedDict()

    def remaining(self, state: str, facts: Mapping[str, str]) -> int:
        """Answers still to give at most, counting the open question at `state`."""
        key = (state, frozenset(facts.items()))
        known = self._cache.get(key)
        if known is not None:
            self._cache.move_to_end(key)
            return known
        cube: Cube = {fact: frozenset({value}) for fact, value in facts.items()}
        longest = self._longest(state, cube, frozenset())
        self._cache[key] = longest
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return longest

    def _longest(self, state: str, cube: Cube, routers: frozenset[str]) -> int:
        flow = self.flow
        if state in flow.outcomes or state in routers:
            return 0
        asked = 0
        pieces: list[Cube] = [cube]
        question = flow.questions.get(state)
        if question is not None:
            asked, routers = 1, frozenset()
            pieces = [_ask(flow, question.facts, piece) for piece in pieces]
        else:
            routers = routers | {state}
        best = 0
        rest = pieces
        for route in flow.routes_of(state):
            next_rest: list[Cube] = []
            for piece in rest:
                holds, fails = split(piece, route.when)
                next_rest.extend(fails)
                for matched in holds:
                    best = max(best, self._longest(route.target, matched, routers))
            rest = next_rest
            if not rest:
                break
        return asked + best


def _ask(flow: Flow, facts: tuple[str, ...], cube: Cube) -> Cube:
    """Answer every fact the question may set that is still open, with any of its values.

    For a checklist this also opens items that the path would hide: that can only lengthen
    the bound, never shorten it, and keeps the count cheap."""
    opened = {fact: frozenset(flow.values(fact)) for fact in facts if fact not in cube}
    return {**cube, **opened}
