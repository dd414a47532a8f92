"""Every adapted game speaks the same text protocol: a conformance suite over many games.

Games are played through the text interface only (observation, legal_actions, apply,
returns).  OpenSpiel games give legal moves; TextArena games take free text, so a
random player here proposes moves the game's own messages suggest (``example_moves``)
and random variations of them, tries each on a clone and plays the first the game
accepts.  The network is off for the whole module.
"""
from __future__ import annotations

import math
import random
import re
import socket

import numpy as np
import pytest

from sparring.arena import GAME_ALIASES, IllegalMove, UnknownGame, list_games, make_game
from sparring.arena.base import Game, State
from sparring.arena.textarena import RecordedIllegalMove, TextArenaGame, offline_blocker

OPENSPIEL_GAMES = [
    "kuhn_poker",
    "leduc_poker",
    "tic_tac_toe",
    "tic_tac_toe(view=compact)",
    "tic_tac_toe(view=symmetric)",
    "leduc_poker(view=compact)",
    "connect_four",
    "breakthrough(rows=6,columns=6)",
    "liars_dice",
    "goofspiel(num_cards=4)",  # simultaneous, played turn by turn
    "matrix_rps",  # one-shot matrix games, simultaneous
    "matrix_pd",
    "blotto",
    "first_sealed_auction",
    "oshi_zumo",
    "catch",  # one player
    "cliff_walking",
    "blackjack",
    "kuhn_poker(players=3)",  # three and more players
    "leduc_poker(players=3)",
    "matching_pennies_3p",
    "oh_hell",
    "euchre",
    "hearts",
    "hex(board_size=5)",
    "dots_and_boxes",
    "othello",
    "nim",
    "phantom_ttt",
    "dark_hex(board_size=3)",
    "clobber",
    "mancala",
    "pig",
    "y(board_size=5)",
    "go(board_size=5)",
    "tiny_hanabi",
    "hanabi(players=2)",
    "sheriff",
    "bargaining",
    "universal_poker",
    "go_fish",
    "backgammon",
    "chess",
]

TEXTARENA_GAMES = [
    "TicTacToe-v0",
    "KuhnPoker-v0",
    "ConnectFour-v0",
    "Nim-v0",
    "Battleship-v0",
    "LiarsDice-v0-small",
    "Othello-v0-tiny",
    "Breakthrough-v0-tiny",
    "IteratedRockPaperScissors-v0",
    "GameOfPureStrategy-v0",
    "PigDice-v0-short",
    "SimpleTak-v0",
    "ColonelBlotto-v0-small",
    "UltimateTicTacToe-v0",
    "WildTicTacToe-v0",
    "IndianPoker-v0-short",
    "Poker-v0-small",
    "TowerOfHanoi-v0",  # one player
    "GuessTheNumber-v0",
    "ThreePlayerTicTacToe-v0",  # three players
    "LiarsDice-v0-small(players=3)",
    "IteratedPrisonersDilemma-v0",  # free talk between moves
    "SimpleNegotiation-v0-short",
]

GAMES = OPENSPIEL_GAMES + [f"textarena:{g}" for g in TEXTARENA_GAMES]

GARBAGE = [
    "",
    "\x00\xff",
    "a" * 10000,
    "'; DROP TABLE games; --",
    "[999]",
    "héllo wörld ☃ 日本語 🎲",
    "{{}}",
    "\n" * 500,
    "[" * 300 + "]" * 300,
    "%s%s%n{0}",
]

TURN_CAP = 250
_GAMES: dict[str, Game] = {}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in the conformance tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def game(spec: str) -> Game:
    if spec not in _GAMES:
        _GAMES[spec] = make_game(spec)
    return _GAMES[spec]


# ----------------------------------------------------------------------- a random player


def _variants(move: str, rng: random.Random) -> str:
    """A random relative of an example move: digits and board letters redrawn."""
    move = re.sub(r"\d+", lambda m: str(rng.randint(0, max(9, int(m.group()) + 1))), move)
    return re.sub(r"(?<=\[)[a-h](?=\d)|(?<=\d)[a-h](?=\d)", lambda m: rng.choice("abcdefgh"), move)


def random_move(state: State, rng: random.Random, tries: int = 30) -> str:
    legal = state.legal_actions()
    if legal is not None:
        return rng.choice(legal)
    examples = state.example_moves() or ["[0]", "[1]"]
    pool = list(examples) + [_variants(rng.choice(examples), rng) for _ in range(2 * tries)]
    rng.shuffle(pool)
    for move in pool[:tries]:
        trial = state.clone()
        try:
            trial.apply(move)
        except IllegalMove:
            continue
        return move
    return pool[0]  # nothing found: let the game judge a likely invalid move


def check_state(g: Game, s: State) -> None:
    if s.is_terminal():
        returns = s.returns()
        assert len(returns) == g.num_players
        assert all(isinstance(r, float) and math.isfinite(r) for r in returns), returns
        return
    p = s.current_player()
    assert 0 <= p < g.num_players, p
    obs = s.observation(p)
    assert isinstance(obs, str) and obs.strip()
    legal = s.legal_actions()
    if legal is not None:
        assert legal, "a non-terminal state with no legal moves"
        assert all(isinstance(a, str) and a for a in legal)
        assert len(set(legal)) == len(legal), "legal moves must be told apart"


def play(g: Game, s: State, rng: random.Random, cap: int = TURN_CAP) -> int:
    turns = 0
    while not s.is_terminal() and turns < cap:
        check_state(g, s)
        move = random_move(s, rng)
        free_text = s.legal_actions() is None
        try:
            s.apply(move)
        except IllegalMove:
            assert free_text, f"a legal move was refused: {move!r}"
        turns += 1
    check_state(g, s)
    return turns


# ---------------------------------------------------------------------------- conformance


@pytest.mark.parametrize("spec", GAMES)
def test_random_games_follow_the_protocol(spec):
    g = game(spec)
    assert isinstance(g, Game) and isinstance(g.name, str) and g.num_players >= 1
    rng = random.Random(spec)
    for seed in range(2):
        s = g.new_state(seed)
        assert isinstance(s, State)
        turns = play(g, s, rng)
        assert s.is_terminal() or turns == TURN_CAP
        if s.is_terminal():
            with pytest.raises(IllegalMove):
                s.apply("anything")


@pytest.mark.parametrize("spec", GAMES)
def test_garbage_moves_are_refused_and_the_game_goes_on(spec):
    g = game(spec)
    rng = random.Random(1)
    for i, junk in enumerate(GARBAGE):
        s = g.new_state(i)
        for _ in range(i % 3):  # also mid-game
            if not s.is_terminal():
                try:
                    s.apply(random_move(s, rng))
                except IllegalMove:
                    pass
        if s.is_terminal():
            continue
        player, before = s.current_player(), s.observation(s.current_player())
        free_text = s.legal_actions() is None
        try:
            s.apply(junk)
        except IllegalMove as e:
            assert str(e).strip(), "an IllegalMove should say why"
            if not free_text:  # a refused move changes nothing
                assert s.current_player() == player and s.observation(player) == before
            elif isinstance(e, RecordedIllegalMove):
                assert e.game_over == s.is_terminal()
        else:
            assert free_text, f"garbage {junk[:20]!r} accepted as a legal move"
        check_state(g, s)
        if not s.is_terminal():  # still playable
            try:
                s.apply(random_move(s, rng))
            except IllegalMove:
                assert s.legal_actions() is None
            check_state(g, s)


# --------------------------------------------------------------------- TextArena specifics


def test_textarena_invalid_moves_retry_then_forfeit():
    g = game("textarena:TicTacToe-v0")
    s = g.new_state(0)
    p = s.current_player()
    with pytest.raises(RecordedIllegalMove) as first:
        s.apply("[9]")
    assert not first.value.game_over and not s.is_terminal()
    assert s.current_player() == p, "the offender may try again"
    assert first.value.reason in s.observation(p)
    with pytest.raises(RecordedIllegalMove) as second:
        s.apply("no move at all")
    assert second.value.game_over and s.is_terminal()
    assert s.invalid_by() == p
    assert s.returns()[p] < s.returns()[1 - p]


def test_textarena_seeds_reproduce_games_and_leave_global_random_alone():
    g = game("textarena:Battleship-v0")
    random.seed(123)
    outer = random.getstate()

    def transcript(seed):
        s, rng, out = g.new_state(seed), random.Random(7), []
        for _ in range(12):
            if s.is_terminal():
                break
            out.append(s.observation(s.current_player()))
            try:
                s.apply(random_move(s, rng))
            except IllegalMove:
                pass
        return out

    assert transcript(3) == transcript(3)
    assert transcript(3)[0] != transcript(4)[0]  # ships are placed by the seed
    assert random.getstate() == outer


def test_textarena_clone_is_independent():
    g = game("textarena:ConnectFour-v0")
    s = g.new_state(0)
    before = s.observation(0)
    twin = s.clone()
    twin.apply("[col 3]")
    assert s.observation(0) == before and s.current_player() == 0
    s.apply("[col 3]")
    assert s.observation(1) == twin.observation(1)


def test_textarena_observation_has_the_prompt_and_the_board():
    s = game("textarena:TicTacToe-v0").new_state(0)
    obs = s.observation(s.current_player())
    assert "Tic Tac Toe" in obs and "Available Moves" in obs
    assert s.legal_actions() is None and "[4]" in s.example_moves()


@pytest.mark.parametrize(
    "env_id", ["Debate-v0", "TwentyQuestions-v0", "Wordle-v0", "BabyAiText-v0", "Chess-v0", "UsedCar-v0-balanced"]
)
def test_textarena_games_that_cannot_run_offline_fail_at_once_in_one_line(env_id):
    blocker = offline_blocker(env_id)
    if blocker is None:  # e.g. NLTK data installed on this machine
        pytest.skip(f"{env_id} can run here")
    with pytest.raises(UnknownGame) as e:
        make_game(env_id)
    assert "\n" not in str(e.value) and env_id in str(e.value)


def test_textarena_network_games_stay_off_by_default():
    with pytest.raises(UnknownGame, match="network"):
        TextArenaGame("Debate-v0")


# ------------------------------------------------------------------------------ registry


def test_make_game_names():
    assert make_game("kuhn_poker").name == "openspiel:kuhn_poker"
    assert make_game("openspiel:leduc_poker").num_players == 2
    three = make_game("openspiel:leduc_poker(players=3)")
    assert three.num_players == 3 and three.name == "openspiel:leduc_poker(players=3)"
    assert make_game("leduc_poker(players=3)").num_players == 3
    assert make_game("TicTacToe-v0").name == "textarena:TicTacToe-v0"
    assert make_game("textarena:TicTacToe-v0").num_players == 2
    assert make_game("textarena:LiarsDice-v0-small(players=3)").num_players == 3
    compact = make_game("leduc_poker(players=3,view=compact)")
    assert compact.name == "openspiel:leduc_poker(players=3,view=compact)" and compact.num_players == 3
    assert make_game(compact.name).name == compact.name  # a game's name reads back as the same game
    board = make_game("tic_tac_toe(view=compact)").new_state(0)
    board.apply("5")
    assert board.observation(1) == "o:.../.x./...>" and board.legal_actions() == ["1", "2", "3", "4", "6", "7", "8", "9"]
    for alias, target in GAME_ALIASES.items():
        assert make_game(alias).name == f"openspiel:{target}"


def test_the_symmetric_view_shows_mirror_images_as_one_position():
    game = make_game("tic_tac_toe(view=symmetric)")
    assert make_game(game.name).name == game.name == "openspiel:tic_tac_toe(view=symmetric)"
    corners = []
    for first in ("1", "3", "7", "9"):  # x in any corner, o in the centre: one position
        state = game.new_state(0)
        state.apply(first)
        state.apply_id(4)  # the centre
        corners.append((state.observation(0), state.legal_actions()))
    assert all(c == corners[0] for c in corners) and corners[0][0] == "x:.../.o./..x>"

    def least_image(cells: str) -> str:  # written apart from the view's code: numpy's rotations and flips
        grid = np.array(list(cells)).reshape(3, 3)
        return min("".join(g.flatten()) for k in range(4) for g in (np.rot90(grid, k), np.fliplr(np.rot90(grid, k))))

    rng = random.Random(0)
    for _ in range(50):  # a random game: the board shown is the least image, the named move lands where shown
        state = game.new_state(0)
        while not state.is_terminal():
            player = state.current_player()
            shown = state.observation(player)[2:-1].replace("/", "")
            assert shown == least_image(str(state).replace("\n", ""))
            move = rng.choice(state.legal_actions())
            assert shown[int(move) - 1] == "."
            placed = shown[: int(move) - 1] + "xo"[player] + shown[int(move) :]
            state.apply(move)
            assert least_image(str(state).replace("\n", "")) == least_image(placed)
    with pytest.raises(UnknownGame, match="view 'symmetric'.*full or compact"):
        make_game("kuhn_poker(view=symmetric)")


@pytest.mark.parametrize(
    "spec, hint",
    [
        ("kuhn poker", "kuhn_poker"),
        ("tictactoe", "tic_tac_toe"),
        ("Tictactoe-v0", "TicTacToe-v0"),
        ("openspiel:leduc_pokr", "leduc_poker"),
        ("textarena:KuhnPokr-v0", "KuhnPoker-v0"),
        ("no_such_game_at_all", "sparring games"),
        ("", "sparring games"),
        ("leduc_poker(players=3", "brackets"),
        ("leduc_poker(players=99)", "leduc_poker"),
        ("Nim-v0(players=5)", "5 players"),
        ("tic_tac_toe(view=tiny)", "full or compact"),
    ],
)
def test_unknown_games_raise_one_clear_line(spec, hint):
    with pytest.raises(UnknownGame) as e:
        make_game(spec)
    message = str(e.value)
    assert hint in message and "\n" not in message and not message.startswith(("'", '"'))


def test_list_games():
    games = list_games()
    assert set(games) == {"openspiel", "textarena"}
    assert {"kuhn_poker", "leduc_poker", "tic_tac_toe"} <= set(games["openspiel"])
    assert {"TicTacToe-v0", "KuhnPoker-v0", "ConnectFour-v0"} <= set(games["textarena"])
    assert not any(g.endswith(("-raw", "-train")) for g in games["textarena"])
    assert "Debate-v0" not in games["textarena"]  # needs a network judge
    assert all(isinstance(g, str) for names in games.values() for g in names)


def test_textarena_repeat_offender_is_eliminated_in_bigger_games():
    s = game("textarena:LiarsDice-v0-small(players=3)").new_state(0)
    for _ in range(2):
        with pytest.raises(RecordedIllegalMove):
            s.apply("junk")
    assert not s.is_terminal() and s.current_player() == 1, "player 0 is out, play passes on"
    for _ in range(2):
        with pytest.raises(RecordedIllegalMove) as e:
            s.apply("junk")
    assert e.value.game_over and s.invalid_by() == 1
    returns = s.returns()
    assert returns[2] == max(returns)


def test_openspiel_seeds_reproduce_chance():
    g = game("leduc_poker")
    deal = [g.new_state(seed).observation(0) for seed in (5, 5, 6, 7, 8)]
    assert deal[0] == deal[1] and len(set(deal[1:])) > 1
