"""Any OpenSpiel game as a text game, with natural-language renderers for a few.

``OpenSpielGame.spiel_game`` and ``OpenSpielState.spiel_state`` stay reachable so
that bots and exact evaluation (exploitability, minimax) work on the real game.
"""
from __future__ import annotations

import random
from functools import lru_cache
from typing import Callable

import pyspiel

from sparring.arena.base import IllegalMove, UnknownGame

# A renderer turns (spiel state, player) into the observation text, and
# (spiel state, action id) into the action's text.
Observe = Callable[[pyspiel.State, int], str]
Name = Callable[[pyspiel.State, int], str]

_KUHN_CARDS = ["Jack", "Queen", "King"]


def _kuhn_action(state: pyspiel.State, action: int) -> str:
    facing_bet = "b" in state.information_state_string(state.current_player())[1:]
    if action == 0:
        return "fold" if facing_bet else "check"
    return "call" if facing_bet else "bet"


def _kuhn_observe(state: pyspiel.State, player: int) -> str:
    hist = state.history()
    card = _KUHN_CARDS[hist[player]] if len(hist) > player else "none yet"
    words = []
    replay = state.get_game().new_initial_state()
    for i, a in enumerate(hist):
        if i >= 2:
            words.append(f"P{replay.current_player()} {_kuhn_action(replay, a)}")
        replay.apply_action(a)
    legal = ", ".join(_kuhn_action(state, a) for a in state.legal_actions()) if not state.is_terminal() else ""
    return (
        f"Kuhn Poker. You are P{player}. Your card: {card}.\n"
        f"Bets: {'; '.join(words) or 'none'}.\n"
        f"Legal: {legal}.\nMove:"
    )


def _ttt_action(state: pyspiel.State, action: int) -> str:
    return str(action + 1)


def _ttt_observe(state: pyspiel.State, player: int) -> str:
    # What the decision depends on (your mark, the board) comes last, at fixed
    # distances from the end of the prompt, where the model decides: a small
    # transformer finds the cells by relative position.
    board = str(state)  # three rows such as ".x.", "..o", "..."; x moves first
    mark = "x" if player == 0 else "o"
    legal = " ".join(_ttt_action(state, a) for a in state.legal_actions()) if not state.is_terminal() else ""
    return f"Legal moves: {legal}\nTic-tac-toe, you are {mark}. Cells 1-9:\n{board}\nMove:"


def _ttt_observe_compact(state: pyspiel.State, player: int) -> str:
    # your mark, then the three rows: "o:xo./.x./..o>" -- a dozen tokens, for
    # small models learning from scratch (every prompt token costs compute)
    return f"{'xo'[player]}:{str(state).replace(chr(10), '/')}>"


# The eight symmetries of the 3x3 grid (rotations and reflections), each as the
# cell a transformed board reads from: new[i] = old[perm[i]].
_GRID_SYMMETRIES = tuple(
    tuple(3 * r + c for r, c in (f(i // 3, i % 3) for i in range(9)))
    for f in (lambda r, c: (r, c), lambda r, c: (2 - c, r), lambda r, c: (2 - r, 2 - c), lambda r, c: (c, 2 - r),
              lambda r, c: (r, 2 - c), lambda r, c: (2 - r, c), lambda r, c: (c, r), lambda r, c: (2 - c, 2 - r))
)


@lru_cache(maxsize=8192)
def _canonical(cells: str) -> tuple[str, tuple[int, ...]]:
    """The least of a board's eight symmetric images, and where each cell goes in it
    (``where[old cell] = new cell``).  Boards that are images of each other look the same."""
    image, perm = min((("".join(cells[k] for k in perm), perm) for perm in _GRID_SYMMETRIES))
    where = [0] * 9
    for new, old in enumerate(perm):
        where[old] = new
    return image, tuple(where)


def _cells(state: pyspiel.State) -> str:
    return str(state).replace("\n", "")


def _ttt_observe_symmetric(state: pyspiel.State, player: int) -> str:
    image, _ = _canonical(_cells(state))
    return f"{'xo'[player]}:{image[:3]}/{image[3:6]}/{image[6:]}>"


def _ttt_action_symmetric(state: pyspiel.State, action: int) -> str:
    return str(_canonical(_cells(state))[1][action] + 1)


# the rules in a few sentences, for models that reason about their move (prompt style "reason")
RULES = {
    "kuhn_poker": (
        "Kuhn Poker: three cards, Jack < Queen < King; each player antes 1 chip and holds one card. Check or bet "
        "1 chip; facing a bet, call or fold. If nobody folds, the higher card wins the pot."),
    "tic_tac_toe": (
        "Tic-Tac-Toe: two players take turns marking a free cell of a 3x3 grid, x first, then o. Three of your "
        "marks in a row, column or diagonal wins; a full grid with no line is a draw. Cells are numbered 1-9, "
        "left to right, top row first."),
}

# natural-language ("full") and terse ("compact") renderers, by game short name;
# Tic-Tac-Toe's "symmetric" view is the compact one turned to the least of the board's
# eight rotations and reflections (moves named in the turned board): positions that
# are mirror images of each other are one position to the model
RENDERERS: dict[str, dict[str, tuple[Observe, Name]]] = {
    "kuhn_poker": {"full": (_kuhn_observe, _kuhn_action)},
    "tic_tac_toe": {"full": (_ttt_observe, _ttt_action), "compact": (_ttt_observe_compact, _ttt_action),
                    "symmetric": (_ttt_observe_symmetric, _ttt_action_symmetric)},
}


def _generic_action(state: pyspiel.State, action: int) -> str:
    return state.action_to_string(state.current_player(), action)


def _player_view(state: pyspiel.State, player: int) -> str:
    gtype = state.get_game().get_type()
    if gtype.provides_information_state_string:
        return state.information_state_string(player)
    if gtype.provides_observation_string:
        return state.observation_string(player)
    return str(state)


def _generic_observe(state: pyspiel.State, player: int) -> str:
    legal = "" if state.is_terminal() else " | ".join(_unique_names(state, _generic_action))
    long_name = state.get_game().get_type().long_name
    return f"{long_name}. You are player {player}.\n{_player_view(state, player)}\nLegal: {legal}\nMove:"


def _generic_observe_compact(state: pyspiel.State, player: int) -> str:
    return f"P{player}:{_player_view(state, player)}>"


# what every other game gets, per view
GENERIC: dict[str, tuple[Observe, Name]] = {
    "full": (_generic_observe, _generic_action),
    "compact": (_generic_observe_compact, _generic_action),
}


def _unique_names(state: pyspiel.State, name: Name) -> list[str]:
    names = [name(state, a) for a in state.legal_actions()]
    if len(set(names)) < len(names):  # some games print two actions alike; keep them apart
        names = [f"{n} #{a}" for n, a in zip(names, state.legal_actions())]
    return names


class OpenSpielState:
    def __init__(self, game: "OpenSpielGame", spiel_state: pyspiel.State, rng: random.Random):
        self.game = game
        self.spiel_state = spiel_state
        self._rng = rng
        self._map: dict[str, int] | None = None  # legal move names -> ids, until the next move
        self._resolve_chance()

    def _resolve_chance(self) -> None:
        s = self.spiel_state
        while s.is_chance_node():
            actions, probs = zip(*s.chance_outcomes())
            s.apply_action(self._rng.choices(actions, weights=probs)[0])

    def is_terminal(self) -> bool:
        return self.spiel_state.is_terminal()

    def current_player(self) -> int:
        return self.spiel_state.current_player()

    def observation(self, player: int) -> str:
        return self.game.observe(self.spiel_state, player)

    def action_map(self) -> dict[str, int]:
        if self._map is None:
            s = self.spiel_state
            pairs = [] if s.is_terminal() else zip(_unique_names(s, self.game.name_action), s.legal_actions())
            # moves named in a turned board come in name order: the same position, the same move list
            self._map = dict(sorted(pairs) if self.game.view == "symmetric" else pairs)
        return self._map

    def legal_actions(self) -> list[str]:
        return list(self.action_map())

    def apply(self, action: str) -> None:
        ids = self.action_map()
        if action not in ids:
            raise IllegalMove(f"{action!r} is not a legal move here")
        self.apply_id(ids[action])

    def apply_id(self, action_id: int) -> None:
        """Play an OpenSpiel action id (used by bots that think in ids)."""
        self.spiel_state.apply_action(action_id)
        self._map = None
        self._resolve_chance()

    def returns(self) -> list[float]:
        return list(self.spiel_state.returns())

    def clone(self) -> "OpenSpielState":
        rng = random.Random()
        rng.setstate(self._rng.getstate())
        return OpenSpielState(self.game, self.spiel_state.clone(), rng)

    def __str__(self) -> str:
        return str(self.spiel_state)


def _spiel_error_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).strip().splitlines() if ln.strip()]
    if not lines:
        return type(e).__name__
    if "Available games are" in lines[0]:  # followed by every registered name, one a line
        return lines[0].split("Available games are")[0].strip().rstrip(".") + "."
    return " ".join(lines)[:300]


class OpenSpielGame:
    """An OpenSpiel game; ``name`` may carry OpenSpiel's own parameter syntax.

    ``OpenSpielGame("leduc_poker(players=3)")`` and ``OpenSpielGame("leduc_poker",
    {"players": 3})`` are the same game, named ``openspiel:leduc_poker(players=3)``.
    The natural-language renderers are used only for a game's default parameters.
    ``view="compact"`` renders observations tersely, without instructions or the
    legal-move list (for small models trained from scratch in direct mode).
    """

    def __init__(self, name: str, params: dict | None = None, view: str = "full"):
        short = name.split("(")[0].strip()
        views = {**GENERIC, **(RENDERERS.get(short, {}) if name == short and not params else {})}
        if view not in views:
            raise UnknownGame(f"unknown view {view!r} for OpenSpiel game {name!r} (choose {' or '.join(views)})")
        try:
            game = pyspiel.load_game(name, params) if params else pyspiel.load_game(name)
        except pyspiel.SpielError as e:
            raise UnknownGame(f"cannot load OpenSpiel game {name!r}: {_spiel_error_line(e)}") from None
        gtype = game.get_type()
        if gtype.dynamics == pyspiel.GameType.Dynamics.SIMULTANEOUS:
            game = pyspiel.convert_to_turn_based(game)
        elif gtype.dynamics != pyspiel.GameType.Dynamics.SEQUENTIAL:
            raise UnknownGame(f"OpenSpiel game {name!r} is not turn-based ({gtype.dynamics.name})")
        if params:
            name = f"{short}({','.join(f'{k}={v}' for k, v in params.items())})"
        self.name = f"openspiel:{name}"
        if view != "full":  # the name stays one that make_game reads back
            self.name = f"{self.name[:-1]},view={view})" if name != short else f"{self.name}(view={view})"
        self.short_name = short
        self.spiel_game = game
        self.num_players = game.num_players()
        self.view = view
        self.observe, self.name_action = views[view]
        self.rules = RULES.get(short, "") if name == short else ""

    def new_state(self, seed: int) -> OpenSpielState:
        return OpenSpielState(self, self.spiel_game.new_initial_state(), random.Random(seed))

    def state_from(self, spiel_state: pyspiel.State, seed: int = 0) -> OpenSpielState:
        """Wrap an existing OpenSpiel state (exact evaluation walks the game tree this way)."""
        return OpenSpielState(self, spiel_state.clone(), random.Random(seed))


def openspiel_game_names() -> list[str]:
    """Registered OpenSpiel games that this adapter can play (turn-based or convertible)."""
    out = []
    for g in pyspiel.registered_games():
        if g.dynamics == pyspiel.GameType.Dynamics.MEAN_FIELD:
            continue
        out.append(g.short_name)
    return sorted(out)
