"""Exact evaluation of a policy that states its probabilities, on small OpenSpiel games.

* ``exploitability(game, policy)``: how much a best responder gains against the
  policy, OpenSpiel's definition for two-player zero-sum games:
  NashConv / 2 = (BR value vs the policy's seat-0 play + BR value vs its seat-1
  play - utility sum) / 2.  Zero exactly at a Nash equilibrium; in [0, max
  utility] otherwise (uniform random on Kuhn poker: 0.4583).
* ``expected_returns(game, [policy_0, policy_1, ...])``: exact expected returns
  with ``policies[p]`` in seat ``p`` (chance and mixed play as expectations).

Both enumerate every decision point of the game and ask the policy, in batches
of ``batch_size`` states, for its distribution (``policy.probabilities``).

What the policy is asked, and how often
--------------------------------------
With ``share_by_observation=True`` (default) the policy is assumed to depend
only on what it is shown: the player to move, that player's observation text
and the legal moves.  It is asked once per distinct (player, observation,
legal moves) and the answer is used wherever that view occurs.  In
perfect-information games the tree is also walked by position rather than by
history: decision points are merged when the position (``str(state)``) and
every player's observation coincide.  For Tic-Tac-Toe this is 4,520 questions
and ~16k edges walked instead of 294,778 histories; it is exact for any
policy that is a function of its view, provided what a player is shown next
depends only on the position and what it is shown now (true for position
renderers like Tic-Tac-Toe's and for history renderers, since then equal
observations mean equal histories).

With ``share_by_observation=False`` the policy is asked once per information
state (``information_state_string``), the textbook definition; for perfect-
information games the information state is the whole history, so Tic-Tac-Toe
costs ~295k questions.

Imperfect-information games (and ``share_by_observation=False``) use
OpenSpiel's C++ best response (``pyspiel.exploitability`` on the tabular
policy: the same number as ``open_spiel.python.algorithms.exploitability.
exploitability``, faster).  The perfect-information position walk computes the
best responses itself (expectimax over the merged positions).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyspiel

from sparring.arena.openspiel import OpenSpielGame
from sparring.rollout.policy import ExactPolicy

_Info = pyspiel.GameType.Information
_Utility = pyspiel.GameType.Utility


@dataclass
class _Node:
    player: int  # >= 0 decision, -1 chance, -4 terminal (pyspiel's constants)
    returns: list[float] | None = None  # terminal
    edges: list[tuple[int, float | None, int]] = field(default_factory=list)  # (action id, chance prob, child)
    query: object = None  # what the policy is asked with (decision)
    info: str = ""  # information state string (decision)


class _Tree:
    """The game tree (or, merging positions, the position DAG) in post-order."""

    def __init__(self, game: OpenSpielGame, merge_positions: bool, share_by_observation: bool,
                 max_nodes: int):
        self.game = game
        self.nodes: list[_Node] = []
        self.order: list[int] = []  # children before parents
        self.queries: dict[object, pyspiel.State] = {}  # query key -> representative spiel state
        sg = game.spiel_game
        memo: dict[object, int] = {}
        n_players = sg.num_players()

        def new(state: pyspiel.State) -> tuple[int, bool]:
            """Index of the node for ``state``; True when it is new (to expand)."""
            if state.is_terminal():
                self.nodes.append(_Node(player=pyspiel.PlayerId.TERMINAL, returns=list(state.returns())))
                self.order.append(len(self.nodes) - 1)
                return len(self.nodes) - 1, False
            player = state.current_player()
            key = None
            view = None
            if merge_positions and player >= 0:
                views = tuple(game.observe(state, p) for p in range(n_players))
                view = views[player]
                key = (player, str(state), views)
                if key in memo:
                    return memo[key], False
            if len(self.nodes) >= max_nodes:
                raise ValueError(f"exact evaluation: {game.short_name} has more than {max_nodes} "
                                 f"nodes to walk; too large")
            node = _Node(player=player)
            if player >= 0:
                node.info = state.information_state_string(player)
                if share_by_observation:
                    legal = tuple((game.name_action(state, a), a) for a in state.legal_actions())
                    if view is None:
                        view = game.observe(state, player)
                    node.query = (player, view, legal)
                else:
                    node.query = (player, node.info)
                if node.query not in self.queries:
                    self.queries[node.query] = state
            self.nodes.append(node)
            idx = len(self.nodes) - 1
            if key is not None:
                memo[key] = idx
            return idx, True

        root_state = sg.new_initial_state()
        root, fresh = new(root_state)
        # iterative post-order DFS over (node index, state, actions, next action position)
        expanded = [(root, root_state, self._actions(root_state), 0)] if fresh else []
        while expanded:
            idx, state, actions, pos = expanded[-1]
            if pos == len(actions):
                expanded.pop()
                self.order.append(idx)
                continue
            expanded[-1] = (idx, state, actions, pos + 1)
            a, p = actions[pos]
            child = state.child(a)
            cidx, fresh = new(child)
            self.nodes[idx].edges.append((a, p, cidx))
            if fresh:
                expanded.append((cidx, child, self._actions(child), 0))

    @staticmethod
    def _actions(state: pyspiel.State) -> list[tuple[int, float | None]]:
        if state.is_chance_node():
            return list(state.chance_outcomes())
        return [(a, None) for a in state.legal_actions()]


def _ask(game: OpenSpielGame, tree: _Tree, policy: ExactPolicy, keys: list, batch_size: int,
         tol: float) -> dict[object, dict[int, float]]:
    """The policy's distribution (over action ids) for each query key, asked in batches."""
    out: dict[object, dict[int, float]] = {}
    for start in range(0, len(keys), batch_size):
        chunk = keys[start:start + batch_size]
        states = [game.state_from(tree.queries[k]) for k in chunk]
        answers = policy.probabilities(states)
        if len(answers) != len(states):
            raise ValueError(f"policy {getattr(policy, 'id', policy)!r} answered {len(answers)} "
                             f"distributions for {len(states)} states")
        for k, s, dist in zip(chunk, states, answers):
            ids = s.action_map()
            probs = {a: 0.0 for a in ids.values()}
            for text, p in dist.items():
                if text not in ids:
                    if p > tol:
                        raise ValueError(f"policy gave probability {p:.3g} to {text!r}, "
                                         f"not a legal move here (legal: {list(ids)})")
                    continue
                if p < -tol or math.isnan(p):
                    raise ValueError(f"policy gave probability {p} to {text!r}")
                probs[ids[text]] += max(p, 0.0)
            total = sum(probs.values())
            if abs(total - 1.0) > tol:
                raise ValueError(f"policy probabilities sum to {total:.6g}, not 1 (tolerance {tol})")
            out[k] = {a: p / total for a, p in probs.items()}
    return out


def _check_two_player_zero_sum(game: OpenSpielGame) -> None:
    sg = game.spiel_game
    gtype = sg.get_type()
    if (sg.num_players() != 2 or gtype.utility not in (_Utility.ZERO_SUM, _Utility.CONSTANT_SUM)
            or gtype.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL):
        raise ValueError(f"exploitability needs a two-player zero-sum turn-based game; "
                         f"{game.short_name} is not")


def _require(game) -> OpenSpielGame:
    if not isinstance(game, OpenSpielGame):
        raise ValueError(f"exact evaluation needs an OpenSpiel game, not {getattr(game, 'name', game)!r}")
    return game


def exploitability(game: OpenSpielGame, policy: ExactPolicy, batch_size: int = 256,
                   share_by_observation: bool = True, max_nodes: int = 2_000_000,
                   tol: float = 1e-4) -> float:
    """Exact exploitability (NashConv / 2) of ``policy`` playing both seats; see the module doc.

    ``tol``: how far from 1 the policy's probabilities may sum (they are renormalised
    over the legal moves); mass on non-moves beyond it is an error.
    """
    game = _require(game)
    _check_two_player_zero_sum(game)
    sg = game.spiel_game
    perfect = sg.get_type().information == _Info.PERFECT_INFORMATION
    merge = perfect and share_by_observation
    tree = _Tree(game, merge_positions=merge, share_by_observation=share_by_observation,
                 max_nodes=max_nodes)
    probs = _ask(game, tree, policy, list(tree.queries), batch_size, tol)
    if merge:
        # best-response values of both responders at once, children before parents
        value: list[tuple[float, float]] = [(0.0, 0.0)] * len(tree.nodes)
        for i in tree.order:
            n = tree.nodes[i]
            if n.returns is not None:
                value[i] = (n.returns[0], n.returns[1])
            elif n.player < 0:
                value[i] = tuple(sum(p * value[c][r] for _, p, c in n.edges) for r in (0, 1))
            else:
                pi = probs[n.query]
                v = [0.0, 0.0]
                for r in (0, 1):
                    if r == n.player:
                        v[r] = max(value[c][r] for _, _, c in n.edges)
                    else:
                        v[r] = sum(pi[a] * value[c][r] for a, _, c in n.edges)
                value[i] = (v[0], v[1])
        root = tree.order[-1]
        return (value[root][0] + value[root][1] - sg.utility_sum()) / 2
    table: dict[str, list[tuple[int, float]]] = {}
    for n in tree.nodes:
        if n.player < 0:
            continue
        pairs = sorted(probs[n.query].items())
        if n.info in table and table[n.info] != pairs:
            raise ValueError(f"the policy plays differently at two states of one information state "
                             f"({n.info!r}): its observation reveals more than the information state")
        table[n.info] = pairs
    return pyspiel.exploitability(sg, table)


def wins(returns: list[float]) -> list[float]:
    """A payoff for ``expected_returns``: 1 for each seat that won (a positive return), else 0."""
    return [float(r > 0) for r in returns]


def expected_returns(game: OpenSpielGame, policies: Sequence[ExactPolicy], batch_size: int = 256,
                     share_by_observation: bool = True, max_nodes: int = 2_000_000,
                     tol: float = 1e-4, payoff: Callable[[list[float]], list[float]] | None = None) -> list[float]:
    """Exact expected returns when ``policies[p]`` plays seat ``p``; with ``payoff``,
    the expectation of ``payoff(returns)`` instead (e.g. ``wins``: the probability of winning)."""
    game = _require(game)
    sg = game.spiel_game
    if len(policies) != sg.num_players():
        raise ValueError(f"{game.short_name} has {sg.num_players()} seats, got {len(policies)} policies")
    merge = sg.get_type().information == _Info.PERFECT_INFORMATION and share_by_observation
    tree = _Tree(game, merge_positions=merge, share_by_observation=share_by_observation,
                 max_nodes=max_nodes)
    probs: dict[object, dict[int, float]] = {}
    for seat, pol in enumerate(policies):
        keys = [k for k in tree.queries if k[0] == seat]
        probs.update({(seat, k): d for k, d in _ask(game, tree, pol, keys, batch_size, tol).items()})
    value: list[list[float]] = [[]] * len(tree.nodes)
    n_players = sg.num_players()
    for i in tree.order:
        n = tree.nodes[i]
        if n.returns is not None:
            value[i] = payoff(n.returns) if payoff else n.returns
            continue
        weights = (((p, c) for _, p, c in n.edges) if n.player < 0 else
                   ((probs[(n.player, n.query)][a], c) for a, _, c in n.edges))
        v = [0.0] * n_players
        for w, c in weights:
            if w:
                for r in range(n_players):
                    v[r] += w * value[c][r]
        value[i] = v
    return list(value[tree.order[-1]])
