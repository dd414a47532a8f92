"""Play batches of games concurrently: at each tick, every policy decides once for
all the games waiting on it (one batched model call), so a shared policy in every
seat costs one call per tick, not one per game."""
from __future__ import annotations

import random
from collections import defaultdict

from sparring.arena.base import Game, IllegalMove
from sparring.rollout.policy import Policy
from sparring.types import Decision, Episode, Turn

INVALID_MODES = ("forfeit", "random")


def play(
    game: Game,
    seatings: list[list[Policy]],
    seeds: list[int],
    rng: random.Random,
    *,
    max_turns: int = 200,
    invalid: str = "forfeit",
    strict: set[str] = frozenset(),
) -> list[Episode]:
    """Play one game per seating (``seatings[i][p]`` sits in seat ``p`` of game ``i``).

    An invalid move (unparseable, illegal, or a policy error) never crashes a game:
    it is recorded on the turn, and either ends the game as a forfeit by the
    offender (``invalid="forfeit"``) or is replaced by a uniformly random legal move
    (``invalid="random"``; free-text games always forfeit).  A game that reaches
    ``max_turns`` decisions stops, marked truncated, with zero returns.  A policy
    that raises forfeits its games (a bad endpoint must not end a run), except the
    policies named in ``strict`` (the learner: its bugs must surface).
    """
    if invalid not in INVALID_MODES:
        raise ValueError(f"invalid-move handling must be one of {INVALID_MODES}, got {invalid!r}")
    states = [game.new_state(seed) for seed in seeds]
    episodes = [
        Episode(game=game.name, seats=[p.id for p in seating], turns=[], returns=[0.0] * game.num_players)
        for seating in seatings
    ]
    live = [i for i, s in enumerate(states) if not s.is_terminal()]
    while live:
        waiting: dict[int, list[int]] = defaultdict(list)  # id(policy) -> game indices
        policies = {}
        for i in live:
            pol = seatings[i][states[i].current_player()]
            waiting[id(pol)].append(i)
            policies[id(pol)] = pol
        for key, games in waiting.items():
            pol = policies[key]
            for i, decision in zip(games, _decide(pol, [states[i] for i in games], rng, pol.id in strict)):
                _apply(states[i], episodes[i], pol.id, decision, rng, invalid)
        still = []
        for i in live:
            ep, s = episodes[i], states[i]
            if ep.invalid_by is not None:
                continue
            if s.is_terminal():
                ep.returns = [float(r) for r in s.returns()]
            elif len(ep.turns) >= max_turns:
                ep.truncated = True
            else:
                still.append(i)
        live = still
    return episodes


def _decide(policy: Policy, states, rng, strict: bool) -> list[Decision]:
    if strict:
        return policy.act(states, rng)
    try:
        decisions = policy.act(states, rng)
        if len(decisions) != len(states):
            raise RuntimeError(f"returned {len(decisions)} decisions for {len(states)} states")
        return decisions
    except Exception as e:  # a broken opponent (bad endpoint, bug) loses its games, never the run
        return [Decision(action=None, text="", error=f"policy {policy.id} failed: {e!r}"[:300]) for _ in states]


def _apply(state, episode: Episode, policy_id: str, decision: Decision, rng, invalid: str) -> None:
    player = state.current_player()
    legal = state.legal_actions()
    turn = Turn(player=player, policy_id=policy_id, prompt="", legal=tuple(legal) if legal is not None else None,
                decision=decision)
    episode.turns.append(turn)
    try:
        turn.prompt = decision.prompt or state.observation(player)
    except Exception:  # a bot's observation is for the record only
        pass
    if decision.action is not None and not decision.error:
        try:
            state.apply(decision.action)
            return
        except IllegalMove as e:
            decision.error = str(e)[:300]
    decision.error = decision.error or "invalid move"
    if invalid == "random" and legal:
        state.apply(rng.choice(legal))
        return
    episode.invalid_by = player
    n = len(episode.returns)
    # the offender loses: -1, the others share +1 (zero-sum); shaping may re-scale this
    episode.returns = [(-1.0 if p == player else 1.0 / max(n - 1, 1)) for p in range(n)]
