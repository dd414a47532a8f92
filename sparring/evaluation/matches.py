"""Head-to-head matches: a policy in every seat against a fixed opponent, counted.

The games are played by the rollout's batched loop (``rollout.play``).  A game
whose mover answers an invalid move ends at once as a forfeit by the offender,
counted as ``invalid`` (the policy's) or ``opponent_invalid``.  A game still
running after ``max_turns`` moves stops with zero returns (``truncated``).  A *win* is a return strictly greater than every other seat's,
a *loss* strictly smaller than the best other seat's, a *draw* otherwise.

Seat ``s``'s i-th game and seat ``t``'s i-th game share their chance seed (the
same deal), which halves the luck in card games.
"""
from __future__ import annotations

import math
import random
from typing import Any

from sparring.arena.base import Game, State
from sparring.rollout.play import play
from sparring.rollout.policy import Policy
from sparring.types import Decision


def _greedy_decisions(policy: Policy, states: list[State], rng: random.Random) -> list[Decision]:
    """The most probable move of each state (ties broken at random)."""
    out = []
    for dist in policy.probabilities(states):
        if not dist:
            out.append(Decision(action=None, text="", error="no probabilities"))
            continue
        best = max(dist.values())
        top = sorted(a for a, p in dist.items() if p >= best - 1e-12)
        a = rng.choice(top)
        out.append(Decision(action=a, text="", logprob=math.log(best) if best > 0 else -math.inf))
    return out


class Greedy:
    """A policy's most probable move, as a policy (and, for exact evaluation, as a
    distribution: all mass on the most probable moves, split evenly among ties)."""

    def __init__(self, policy: Policy):
        self.policy, self.id = policy, policy.id

    def act(self, states: list[State], rng: random.Random) -> list[Decision]:
        return _greedy_decisions(self.policy, states, rng)

    def probabilities(self, states: list[State]) -> list[dict[str, float]]:
        out = []
        for dist in self.policy.probabilities(states):
            best = max(dist.values(), default=0.0)
            top = [a for a, p in dist.items() if p >= best - 1e-12]
            out.append({a: 1.0 / len(top) for a in top})
        return out


class Sampled:
    """A free-text policy's action distribution, estimated: the share of ``samples``
    answers per state that chose each legal move.  Invalid answers are left out of
    the shares (``invalid_rate`` says how many there were); a state where every
    answer was invalid counts as uniform.  Lets exact evaluation (exploitability)
    run on policies that only generate text."""

    def __init__(self, policy: Policy, samples: int = 64, seed: int = 0, chunk: int = 64):
        self.policy, self.id, self.samples, self.chunk = policy, policy.id, samples, chunk
        self.rng = random.Random(seed)
        self.asked = self.invalid = 0

    def act(self, states: list[State], rng: random.Random) -> list[Decision]:
        return self.policy.act(states, rng)

    def probabilities(self, states: list[State]) -> list[dict[str, float]]:
        repeated = [s for s in states for _ in range(self.samples)]
        decisions = []
        for start in range(0, len(repeated), self.chunk):
            decisions += self.policy.act(repeated[start : start + self.chunk], self.rng)
        out = []
        for i, s in enumerate(states):
            legal = s.legal_actions()
            counts = dict.fromkeys(legal, 0)
            for d in decisions[i * self.samples : (i + 1) * self.samples]:
                if d.action in counts and not d.error:
                    counts[d.action] += 1
            valid = sum(counts.values())
            self.asked += self.samples
            self.invalid += self.samples - valid
            out.append({a: (c / valid if valid else 1 / len(legal)) for a, c in counts.items()})
        return out

    @property
    def invalid_rate(self) -> float:
        return self.invalid / max(self.asked, 1)


def _rates(rec: dict[str, Any]) -> dict[str, Any]:
    n = rec["games"]
    for count, rate in (("wins", "win_rate"), ("draws", "draw_rate"), ("losses", "loss_rate")):
        rec[rate] = rec[count] / n if n else 0.0
    rec["mean_return"] = rec.pop("_return_sum") / n if n else 0.0
    return rec


def play_matches(game: Game, policy: Policy, opponent: Policy, games_per_seat: int, seed: int = 0,
                 greedy: bool = False, max_turns: int = 1000, episodes_out: list | None = None) -> dict[str, Any]:
    """Play ``policy`` in every seat (the opponent in all the others), ``games_per_seat`` games each.

    ``greedy``: the policy plays its most probable move (needs ``probabilities``)
    instead of sampling through ``act``; the opponent always uses ``act``.

    Returns ``{"game", "policy", "opponent", "games", "wins", "draws", "losses",
    "invalid", "opponent_invalid", "truncated", "win_rate", "draw_rate",
    "loss_rate", "mean_return", "per_seat": [same counts per seat, with "seat"]}``;
    returns and outcomes are from the policy's point of view.  The episodes are
    appended to ``episodes_out`` when one is given (for ratings).
    """
    if greedy and not hasattr(policy, "probabilities"):
        raise ValueError(f"greedy play needs a policy with probabilities; {policy.id!r} has none")
    n_players = game.num_players
    rng = random.Random(seed)
    deal_seeds = [rng.getrandbits(63) for _ in range(games_per_seat)]
    act_rng = random.Random(rng.getrandbits(63))
    me = Greedy(policy) if greedy else policy
    seats_of = [seat for seat in range(n_players) for _ in range(games_per_seat)]
    seatings = [[me if p == seat else opponent for p in range(n_players)] for seat in seats_of]
    episodes = play(game, seatings, deal_seeds * n_players, act_rng, max_turns=max_turns)
    if episodes_out is not None:
        episodes_out.extend(episodes)
    games = [{"seat": seat, "returns": ep.returns, "invalid_by": ep.invalid_by, "truncated": ep.truncated}
             for seat, ep in zip(seats_of, episodes)]

    def blank(**extra) -> dict[str, Any]:
        return {**extra, "games": 0, "wins": 0, "draws": 0, "losses": 0, "invalid": 0,
                "opponent_invalid": 0, "truncated": 0, "_return_sum": 0.0}

    total = blank(game=getattr(game, "name", str(game)), policy=policy.id, opponent=opponent.id)
    seats = [blank(seat=s) for s in range(n_players)]
    for g in games:
        seat = g["seat"]
        mine = g["returns"][seat]
        best_other = max(r for p, r in enumerate(g["returns"]) if p != seat)
        outcome = "wins" if mine > best_other else "losses" if mine < best_other else "draws"
        for rec in (total, seats[seat]):
            rec["games"] += 1
            rec[outcome] += 1
            rec["_return_sum"] += mine
            rec["truncated"] += g["truncated"]
            if g["invalid_by"] is not None:
                rec["invalid" if g["invalid_by"] == seat else "opponent_invalid"] += 1
    total["per_seat"] = [_rates(s) for s in seats]
    return _rates(total)
