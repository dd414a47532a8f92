"""What plays a seat: anything with an id that turns states into decisions."""
from __future__ import annotations

import math
import random
from typing import Protocol, runtime_checkable

from sparring.arena.base import State
from sparring.types import Decision


@runtime_checkable
class Policy(Protocol):
    id: str

    def act(self, states: list[State], rng: random.Random) -> list[Decision]:
        """Decide for the current player of each state (a batch: one call per tick of the rollout)."""


@runtime_checkable
class ExactPolicy(Policy, Protocol):
    """A policy that can state its full action distribution (needed for exploitability)."""

    def probabilities(self, states: list[State]) -> list[dict[str, float]]: ...


class RandomPolicy:
    """Uniform over the legal moves; for free-text games it has nothing to say and forfeits."""

    id = "random"

    def act(self, states: list[State], rng: random.Random) -> list[Decision]:
        out = []
        for s in states:
            legal = s.legal_actions()
            if not legal:
                out.append(Decision(action=None, text="", error="random policy needs legal moves"))
                continue
            out.append(Decision(action=rng.choice(legal), text="", logprob=-math.log(len(legal))))
        return out

    def probabilities(self, states: list[State]) -> list[dict[str, float]]:
        return [{a: 1.0 / len(legal) for a in legal} for legal in (s.legal_actions() for s in states)]
