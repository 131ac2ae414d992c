"""How many answers a conversation can still take, for "Question n of at most m".

The bound is exact for the answers given so far: the flow is explored symbolically from the
current state with those answers fixed, exactly as the verifier does, and the longest way to an
outcome is counted (a checklist counts as one answer). Two caches keep it cheap: one per
(state, answers) for people who pass through the same states, and one per (state, the part of
the symbolic answers that anything after that state reads), which turns the exploration into
dynamic programming: the first question's bound takes a few milliseconds, not a whole
exploration of the flow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from bme_bot.core.conditions import Cube, facts_of, split
from bme_bot.core.flow import Flow

CACHE_SIZE = 4096
MEMO_SIZE = 200_000


class Progress:
    """Longest remaining number of answers from a state, given the answers so far."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._cache: OrderedDict[tuple[str, frozenset[tuple[str, str]]], int] = OrderedDict()
        self._reads = _reads_from(flow)
        self._tables = {
            rid
            for rid, router in flow.routers.items()
            if all(route.target in flow.outcomes for route in router.routes)
        }
        """Routers that only choose an outcome (decision tables): nothing is asked after them."""
        self._memo: dict[tuple[str, frozenset[tuple[str, frozenset[str]]]], int] = {}

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
        if state in self.flow.outcomes or state in routers or state in self._tables:
            return 0
        reads = self._reads[state]
        key = (state, frozenset((f, v) for f, v in cube.items() if f in reads))
        known = self._memo.get(key)
        if known is None:
            known = self._explore(state, cube, routers)
            if len(self._memo) < MEMO_SIZE:
                self._memo[key] = known
        return known

    def _explore(self, state: str, cube: Cube, routers: frozenset[str]) -> int:
        flow = self.flow
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


def _reads_from(flow: Flow) -> dict[str, frozenset[str]]:
    """Per state, every fact that a route, item or question reachable from it reads or asks:
    two symbolic answer sets that agree on these have the same longest way out."""
    direct: dict[str, set[str]] = {}
    for state in flow.states:
        read: set[str] = set()
        for route in flow.routes_of(state):
            read |= facts_of(route.when)
        question = flow.questions.get(state)
        if question is not None:
            read |= set(question.facts)
            for item in question.items:
                read |= facts_of(item.when)
        direct[state] = read
    reads = {state: set(read) for state, read in direct.items()}
    changed = True
    while changed:
        changed = False
        for state in flow.states:
            for route in flow.routes_of(state):
                extra = reads[route.target] - reads[state]
                if extra:
                    reads[state] |= extra
                    changed = True
    return {state: frozenset(read) for state, read in reads.items()}


def _ask(flow: Flow, facts: tuple[str, ...], cube: Cube) -> Cube:
    """Answer every fact the question may set that is still open, with any of its values.

    For a checklist this also opens items that the path would hide: that can only lengthen
    the bound, never shorten it, and keeps the count cheap."""
    opened = {fact: frozenset(flow.values(fact)) for fact in facts if fact not in cube}
    return {**cube, **opened}
