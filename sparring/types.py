"""Typed records passed between the stages: arena -> rollout -> rewards -> advantages -> learner."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Decision:
    """What a policy answered for one turn.

    ``action`` is the legal move it resolves to, or ``None`` when the output was
    invalid (unparseable, illegal, truncated).  ``logprob`` is the behaviour
    policy's log-probability of what it produced: in *direct* mode the
    log-probability of ``action`` among the legal actions, in *generate* mode the
    sum of the generated tokens' log-probabilities.
    """

    action: str | None
    text: str
    logprob: float = 0.0
    completion_ids: list[int] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    truncated: bool = False
    error: str = ""
    prompt: str = ""  # the exact text the policy was asked, when it is a model (training recomputes from it)


@dataclass
class Turn:
    """One move in one game, as a policy made it."""

    player: int
    policy_id: str
    prompt: str
    legal: tuple[str, ...] | None  # None: the game accepts free text and judges it
    decision: Decision

    @property
    def invalid(self) -> bool:
        return self.decision.action is None or bool(self.decision.error)


@dataclass
class Episode:
    """A finished game: who sat where, every turn, the game's returns."""

    game: str
    seats: list[str]  # policy id per player
    turns: list[Turn]
    returns: list[float]  # the game's own returns, per player
    invalid_by: int | None = None  # player whose invalid move ended the game
    truncated: bool = False  # hit the turn limit

    def invalid_counts(self) -> list[int]:
        counts = [0] * len(self.seats)
        for t in self.turns:
            counts[t.player] += t.invalid
        return counts


@dataclass
class Sample:
    """One training example: a turn made by the learning policy and its advantage."""

    prompt: str
    legal: tuple[str, ...] | None
    decision: Decision
    advantage: float
    game: str = ""
    player: int = 0
    # for a learned value (advantage estimator "gae"): the seat's reward in the game,
    # whether this is the seat's last decision (the reward arrives after it), whom
    # the seat played, and the value's regression target
    reward: float = 0.0
    last: bool = True
    opponents: str = ""
    target: float = 0.0
