"""Rewards from finished games: pure functions of an episode and a config."""
from __future__ import annotations

from dataclasses import dataclass

from sparring.types import Episode


@dataclass
class RewardConfig:
    invalid_penalty: float = -1.0  # reward of a player whose invalid move ended the game (SPIRAL trained with -1.5)
    invalid_other: float = 1.0  # reward of the other players then (SPIRAL: +0.5)
    per_invalid: float = 0.0  # added per invalid move that did not end the game (invalid="random")
    truncated: float = 0.0  # reward of every player when the turn limit stopped the game
    discount: float = 1.0  # a game's return scaled by discount**(own moves - 1): quicker wins, slower losses
    format_bonus: float = 0.0  # added per valid move stated in the asked-for form, \boxed{move} (generate mode)


def episode_rewards(ep: Episode, cfg: RewardConfig) -> list[float]:
    """One scalar reward per player: the game's zero-sum return (discounted by the
    player's number of moves), re-scaled for forfeits and truncation, plus a
    penalty per recovered invalid move and a bonus per well-formatted move."""
    n = len(ep.seats)
    if ep.invalid_by is not None:
        rewards = [cfg.invalid_penalty if p == ep.invalid_by else cfg.invalid_other for p in range(n)]
    elif ep.truncated:
        rewards = [cfg.truncated] * n
    else:
        moves = [sum(t.player == p for t in ep.turns) for p in range(n)]
        rewards = [r * cfg.discount ** max(m - 1, 0) for r, m in zip(ep.returns, moves)]
    counts = ep.invalid_counts()
    if ep.invalid_by is not None:
        counts[ep.invalid_by] = max(counts[ep.invalid_by] - 1, 0)  # that one is already priced in
    formatted = [0] * n
    for t in ep.turns:
        formatted[t.player] += not t.invalid and f"\\boxed{{{t.decision.action}}}" in t.decision.text
    return [r + cfg.per_invalid * c + cfg.format_bonus * f for r, c, f in zip(rewards, counts, formatted)]
