"""Scripted heuristic opponents, one per game where a simple rule of thumb exists.

* Kuhn Poker: bet or call with the King, check and call with the Queen, check and
  fold with the Jack (no bluffing).
* Tic-Tac-Toe: win if possible, else block, else centre, else a corner, else the
  first free cell.

``make_heuristic(game)`` raises ``ValueError`` for games without one.
"""
from __future__ import annotations

import random

from sparring.types import Decision

_LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]


def kuhn_move(card: int, legal: list[str]) -> str:
    """card 0 = Jack, 1 = Queen, 2 = King."""
    if "bet" in legal:  # nobody has bet yet
        return "bet" if card == 2 else "check"
    return "call" if card >= 1 else "fold"


def tic_tac_toe_move(board: str, me: str) -> int:
    """Cell index 0-8 for ``me`` ('x' or 'o') on a 9-character board of 'x', 'o', '.'."""
    other = "o" if me == "x" else "x"
    free = [i for i, c in enumerate(board) if c == "."]
    for who in (me, other):  # win, then block
        for line in _LINES:
            cells = [board[i] for i in line]
            if cells.count(who) == 2 and cells.count(".") == 1:
                return line[cells.index(".")]
    for cell in (4, 0, 2, 6, 8):
        if cell in free:
            return cell
    return free[0]


class HeuristicBot:
    id = "heuristic"

    def __init__(self, game):
        short = getattr(game, "short_name", "")
        if short not in ("kuhn_poker", "tic_tac_toe"):
            raise ValueError(f"no scripted heuristic for {getattr(game, 'name', game)!r} "
                             "(there is one for kuhn_poker and tic_tac_toe)")
        self.short = short

    def _move(self, state) -> str:
        spiel = state.spiel_state
        player = spiel.current_player()
        if self.short == "kuhn_poker":
            return kuhn_move(spiel.history()[player], state.legal_actions())
        board = str(spiel).replace("\n", "")
        cell = tic_tac_toe_move(board, "x" if player == 0 else "o")
        names = {a: t for t, a in state.action_map().items()}
        return names[cell]

    def act(self, states, rng: random.Random) -> list[Decision]:
        return [Decision(action=self._move(s), text="") for s in states]

    def probabilities(self, states) -> list[dict[str, float]]:
        return [{a: float(a == self._move(s)) for a in s.legal_actions()} for s in states]
