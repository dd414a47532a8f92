"""The one protocol every game and task speaks: text observations in, text actions out.

A game is fixed facts (``Game``) plus mutable state (``State``), as in OpenSpiel.
Chance nodes are resolved inside the state by its own seeded RNG, so a policy
only ever sees decision points.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable


class IllegalMove(ValueError):
    """A move the game does not accept in this state."""


class UnknownGame(KeyError):
    def __str__(self) -> str:  # KeyError quotes its message; keep it one clean line
        return str(self.args[0])


@runtime_checkable
class State(Protocol):
    def is_terminal(self) -> bool: ...

    def current_player(self) -> int: ...

    def observation(self, player: int) -> str:
        """What ``player`` sees, in words, including how to state a move."""

    def legal_actions(self) -> list[str] | None:
        """Legal moves as text, or ``None`` when the game takes free text and judges it."""

    def apply(self, action: str) -> None:
        """Play ``action`` for the current player; raise ``IllegalMove`` if it is not legal."""

    def returns(self) -> list[float]: ...

    def clone(self) -> "State": ...


@runtime_checkable
class Game(Protocol):
    name: str
    num_players: int

    def new_state(self, seed: int) -> State: ...
