"""Fixed opponents for OpenSpiel-adapted games: Monte-Carlo tree search and exact optimal play.

Bots think in OpenSpiel action ids on ``state.spiel_state`` and answer with the
action's *text* (the key of ``state.action_map()``), like any other policy.

* ``MCTSBot``: OpenSpiel's UCT search with random rollouts (perfect information)
  or its information-set MCTS (imperfect information).
* ``OptimalBot``: exact play for small two-player zero-sum games.  Perfect
  information: the exact minimax value of every reachable position (chance as
  expectation), playing uniformly at random among all value-optimal moves.
  Imperfect information: a Nash equilibrium from CFR+ run to a small
  exploitability.  Both are cached per game per process and expose
  ``probabilities`` (so they are ``ExactPolicy`` objects).
* ``make_bot(name, game, seed)``: "random", "mcts", "mcts:<sims>", "optimal".
"""
from __future__ import annotations

import math
import random
import re
import sys
from typing import Any

import numpy as np
import pyspiel
from open_spiel.python.algorithms import ismcts, mcts

from sparring.arena.openspiel import OpenSpielGame, OpenSpielState
from sparring.rollout.endpoint import PREFIX, EndpointPolicy
from sparring.rollout.heuristic import HeuristicBot
from sparring.rollout.policy import Policy, RandomPolicy
from sparring.types import Decision

_Info = pyspiel.GameType.Information
_Utility = pyspiel.GameType.Utility


def _require_openspiel(game: Any, who: str) -> OpenSpielGame:
    if not isinstance(game, OpenSpielGame):
        raise ValueError(f"{who} needs an OpenSpiel game, not {getattr(game, 'name', type(game).__name__)!r}")
    return game


def _id_to_text(state: OpenSpielState) -> dict[int, str]:
    return {a: t for t, a in state.action_map().items()}


def _forfeit(reason: str) -> Decision:
    return Decision(action=None, text="", error=reason)


class MCTSBot:
    """OpenSpiel MCTS as a policy: UCT with random rollouts, or IS-MCTS for imperfect information.

    The search is seeded by ``seed`` together with a draw from the ``rng`` given to
    ``act``, so a match with a fixed seed replays exactly.
    """

    def __init__(self, game: OpenSpielGame, simulations: int = 1000, seed: int = 0,
                 uct_c: float = 2.0, rollouts: int = 1):
        game = _require_openspiel(game, "MCTSBot")
        if simulations < 1:
            raise ValueError(f"MCTSBot needs at least one simulation, got {simulations}")
        gtype = game.spiel_game.get_type()
        if gtype.reward_model != pyspiel.GameType.RewardModel.TERMINAL:
            raise ValueError(f"MCTSBot needs a game with terminal rewards; {game.short_name} is not")
        self.game = game
        self.simulations = simulations
        self.seed = seed
        self.uct_c = uct_c
        self.rollouts = rollouts
        self.imperfect = gtype.information != _Info.PERFECT_INFORMATION
        self.id = f"mcts:{simulations}"
        if self.imperfect:
            try:  # IS-MCTS resamples worlds from the information state; not every game can
                probe = game.new_state(0)
                if not probe.is_terminal():
                    probe.spiel_state.resample_from_infostate(
                        probe.current_player(), pyspiel.UniformProbabilitySampler(0.0, 1.0))
            except pyspiel.SpielError as e:
                raise ValueError(
                    f"MCTSBot: {game.short_name} has imperfect information and cannot resample "
                    f"information states, so IS-MCTS cannot run ({str(e).split('OpenSpiel exception')[0].strip()})"
                ) from None

    def _search_bot(self, rs: np.random.RandomState):
        evaluator = mcts.RandomRolloutEvaluator(n_rollouts=self.rollouts, random_state=rs)
        if self.imperfect:
            return ismcts.ISMCTSBot(self.game.spiel_game, evaluator, self.uct_c, self.simulations,
                                    random_state=rs)
        return mcts.MCTSBot(self.game.spiel_game, self.uct_c, self.simulations, evaluator,
                            solve=True, random_state=rs)

    def act(self, states: list[OpenSpielState], rng: random.Random) -> list[Decision]:
        out = []
        for s in states:
            names = _id_to_text(s)
            if not names:
                out.append(_forfeit("no legal moves"))
                continue
            if len(names) == 1:
                out.append(Decision(action=next(iter(names.values())), text=""))
                continue
            rs = np.random.RandomState([self.seed & 0xFFFFFFFF, rng.getrandbits(32)])
            action = int(self._search_bot(rs).step(s.spiel_state))
            out.append(Decision(action=names[action], text=""))
        return out


# --------------------------------------------------------------------------- optimal play

_SOLVED: dict[str, Any] = {}  # str(spiel game) -> _Minimax | _NashTable, one per process


def _two_player_zero_sum(game: pyspiel.Game) -> bool:
    gtype = game.get_type()
    return (game.num_players() == 2
            and gtype.utility in (_Utility.ZERO_SUM, _Utility.CONSTANT_SUM)
            and gtype.dynamics == pyspiel.GameType.Dynamics.SEQUENTIAL
            and gtype.reward_model == pyspiel.GameType.RewardModel.TERMINAL)


class _Minimax:
    """Exact values of every reachable position of a perfect-information 2p zero-sum game.

    Positions are memoised by (current player, ``str(state)``): in OpenSpiel's
    perfect-information games the printed state is the whole position.
    ``values[key]`` is player 0's expected return under optimal play.
    """

    def __init__(self, game: pyspiel.Game, max_states: int):
        self.game = game
        self.max_states = max_states
        self.values: dict[tuple[int, str], float] = {}
        self.name = game.get_type().short_name
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old, 4 * game.max_game_length() + 1000))
        try:
            self.root_value = self._value(game.new_initial_state())
        finally:
            sys.setrecursionlimit(old)

    @staticmethod
    def key(state: pyspiel.State) -> tuple[int, str]:
        return (state.current_player(), str(state))

    def _value(self, state: pyspiel.State) -> float:
        if state.is_terminal():
            return state.returns()[0]
        k = self.key(state)
        v = self.values.get(k)
        if v is not None:
            return v
        if len(self.values) >= self.max_states:
            raise ValueError(f"OptimalBot: {self.name} is too large to solve exactly "
                             f"(over {self.max_states} positions)")
        if state.is_chance_node():
            v = sum(p * self._value(state.child(a)) for a, p in state.chance_outcomes())
        else:
            vals = [self._value(state.child(a)) for a in state.legal_actions()]
            v = max(vals) if state.current_player() == 0 else min(vals)
        self.values[k] = v
        return v

    def child_values(self, state: pyspiel.State) -> dict[int, float]:
        """Player-0 value after each legal action of a decision state (memo hits once solved)."""
        return {a: self._value(state.child(a)) for a in state.legal_actions()}

    def distribution(self, state: pyspiel.State, tol: float = 1e-9) -> dict[int, float]:
        """Uniform over every value-optimal action."""
        vals = self.child_values(state)
        sign = 1.0 if state.current_player() == 0 else -1.0
        best = max(sign * v for v in vals.values())
        opt = [a for a, v in vals.items() if sign * v >= best - tol]
        return {a: 1.0 / len(opt) for a in opt}


class _NashTable:
    """A Nash equilibrium (average CFR+ policy) of a small imperfect-information 2p zero-sum game."""

    def __init__(self, game: pyspiel.Game, max_states: int, target: float, max_iterations: int):
        name = game.get_type().short_name
        n = _count_histories(game, max_states)
        if n is None:
            raise ValueError(f"OptimalBot: {name} is too large to solve (over {max_states} histories)")
        solver = pyspiel.CFRPlusSolver(game)
        self.exploitability = math.inf
        it = 0
        while it < max_iterations:
            for _ in range(50):
                solver.evaluate_and_update_policy()
            it += 50
            self.exploitability = pyspiel.exploitability(game, solver.average_policy())
            if self.exploitability < target:
                break
        else:
            raise ValueError(f"OptimalBot: CFR+ on {name} reached exploitability "
                             f"{self.exploitability:.2e} > {target:.0e} in {max_iterations} iterations")
        self.iterations = it
        self.table: dict[str, dict[int, float]] = {
            key: {int(a): float(p) for a, p in pairs}
            for key, pairs in solver.tabular_average_policy().policy_table().items()
        }

    def distribution(self, state: pyspiel.State) -> dict[int, float]:
        probs = self.table[state.information_state_string(state.current_player())]
        legal = state.legal_actions()
        dist = {a: max(probs.get(a, 0.0), 0.0) for a in legal}
        total = sum(dist.values())
        if total <= 0:
            return {a: 1.0 / len(legal) for a in legal}
        return {a: p / total for a, p in dist.items()}


def _count_histories(game: pyspiel.Game, cap: int) -> int | None:
    """Number of histories of the game tree, or None when it exceeds ``cap``."""
    stack = [game.new_initial_state()]
    n = 0
    while stack:
        s = stack.pop()
        n += 1
        if n > cap:
            return None
        if not s.is_terminal():
            actions = [a for a, _ in s.chance_outcomes()] if s.is_chance_node() else s.legal_actions()
            stack.extend(s.child(a) for a in actions)
    return n


def solve(game: OpenSpielGame, max_states: int = 200_000, nash_target: float = 5e-4,
          max_iterations: int = 20_000):
    """Solve (once per process) a small two-player zero-sum OpenSpiel game; see ``OptimalBot``."""
    game = _require_openspiel(game, "OptimalBot")
    sg = game.spiel_game
    key = str(sg)
    if key in _SOLVED:
        return _SOLVED[key]
    if not _two_player_zero_sum(sg):
        raise ValueError(f"OptimalBot: {game.short_name} is not a two-player zero-sum turn-based game")
    if sg.get_type().information == _Info.PERFECT_INFORMATION:
        solved = _Minimax(sg, max_states)
    else:
        solved = _NashTable(sg, max_states, nash_target, max_iterations)
    _SOLVED[key] = solved
    return solved


class OptimalBot:
    """Exact optimal play for small two-player zero-sum OpenSpiel games.

    Perfect information: uniform among all minimax-optimal moves (chance nodes
    count as expectations).  Imperfect information: a CFR+ Nash equilibrium with
    exploitability below ``nash_target``.  Raises ``ValueError`` for other or
    larger games (more than ``max_states`` positions / histories).
    """

    id = "optimal"

    def __init__(self, game: OpenSpielGame, max_states: int = 200_000, nash_target: float = 5e-4):
        self.game = _require_openspiel(game, "OptimalBot")
        self.solution = solve(game, max_states=max_states, nash_target=nash_target)

    def _dist(self, state: OpenSpielState) -> dict[str, float]:
        names = _id_to_text(state)
        if not names:
            return {}
        return {names[a]: p for a, p in self.solution.distribution(state.spiel_state).items()}

    def probabilities(self, states: list[OpenSpielState]) -> list[dict[str, float]]:
        return [self._dist(s) for s in states]

    def act(self, states: list[OpenSpielState], rng: random.Random) -> list[Decision]:
        out = []
        for dist in self.probabilities(states):
            if not dist:
                out.append(_forfeit("no legal moves"))
                continue
            actions, probs = zip(*dist.items())
            a = rng.choices(actions, weights=probs)[0]
            out.append(Decision(action=a, text="", logprob=math.log(dist[a])))
        return out


BOT_NAME = re.compile(r"^(random|optimal|heuristic|mcts(:\d+)?|openai:[^@\s]+@https?://\S+)$")
BOT_CHOICES = "random, optimal, heuristic, mcts, mcts:SIMS or openai:MODEL@BASE_URL"


def make_bot(name: str, game, seed: int = 0) -> Policy:
    """A fixed opponent by name: "random", "mcts" (1000 simulations), "mcts:<sims>", "optimal",
    "heuristic" (scripted, per game), "openai:MODEL@BASE_URL" (an OpenAI-compatible endpoint)."""
    if name == "random":
        return RandomPolicy()
    if name == "optimal":
        return OptimalBot(game)
    if name == "heuristic":
        return HeuristicBot(game)
    if name.startswith(PREFIX):
        return EndpointPolicy(name)
    if name == "mcts" or name.startswith("mcts:"):
        sims = 1000
        if name != "mcts":
            try:
                sims = int(name.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"bad bot name {name!r}: expected mcts:<simulations>") from None
        return MCTSBot(game, simulations=sims, seed=seed)
    raise ValueError(f"unknown bot {name!r}: expected {BOT_CHOICES}")
