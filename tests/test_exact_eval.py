"""Exact exploitability and expected returns against OpenSpiel's own numbers."""
import time

import pytest
from open_spiel.python import policy as os_policy
from open_spiel.python.algorithms import exploitability as os_exploitability

from sparring.arena.openspiel import OpenSpielGame
from sparring.evaluation.exact import expected_returns, exploitability, wins
from sparring.evaluation.matches import Greedy
from sparring.rollout.bots import OptimalBot
from sparring.rollout.policy import RandomPolicy
from sparring.types import Decision


class FirstLegal:
    """Always the first legal move (OpenSpiel's FirstActionPolicy, in text)."""

    id = "first"

    def __init__(self):
        self.asked = 0

    def act(self, states, rng):
        return [Decision(action=s.legal_actions()[0], text="") for s in states]

    def probabilities(self, states):
        self.asked += len(states)
        return [{s.legal_actions()[0]: 1.0} for s in states]


class Counting(RandomPolicy):
    def __init__(self):
        self.asked = 0
        self.batches = []

    def probabilities(self, states):
        self.asked += len(states)
        self.batches.append(len(states))
        return super().probabilities(states)


def test_uniform_random_kuhn_matches_openspiel():
    g = OpenSpielGame("kuhn_poker")
    pol = Counting()
    e = exploitability(g, pol)
    assert e == pytest.approx(0.4583333333333333, abs=1e-12)  # 11/24, OpenSpiel's value
    expected = os_exploitability.exploitability(g.spiel_game, os_policy.UniformRandomPolicy(g.spiel_game))
    assert e == pytest.approx(expected, abs=1e-12)
    assert pol.asked == 12  # Kuhn's 12 information states
    assert exploitability(g, RandomPolicy(), share_by_observation=False) == pytest.approx(e, abs=1e-12)


def test_nash_from_optimal_bot_kuhn():
    g = OpenSpielGame("kuhn_poker")
    assert exploitability(g, OptimalBot(g)) < 1e-3


def test_first_action_kuhn_is_very_exploitable():
    g = OpenSpielGame("kuhn_poker")
    e = exploitability(g, FirstLegal())
    # always check / fold: the best responder bets and takes the ante every time
    assert e == pytest.approx(1.0, abs=1e-12)
    assert e > exploitability(g, RandomPolicy())
    assert e == pytest.approx(
        os_exploitability.exploitability(g.spiel_game, os_policy.FirstActionPolicy(g.spiel_game)), abs=1e-12)


def test_uniform_random_tic_tac_toe_fast_and_exact():
    g = OpenSpielGame("tic_tac_toe")
    pol = Counting()
    t = time.time()
    e = exploitability(g, pol, batch_size=500)
    elapsed = time.time() - t
    print(f"tic_tac_toe uniform exploitability {e:.6f} in {elapsed:.2f}s, {pol.asked} questions")
    # OpenSpiel's value (open_spiel.python.algorithms.exploitability on UniformRandomPolicy)
    assert e == pytest.approx(0.9598296957671957, abs=1e-9)
    assert pol.asked == 4520  # distinct positions with a move to make
    assert max(pol.batches) <= 500
    assert elapsed < 10


def test_optimal_bot_tic_tac_toe_is_unexploitable():
    g = OpenSpielGame("tic_tac_toe")
    assert exploitability(g, OptimalBot(g)) == pytest.approx(0.0, abs=1e-12)


def test_position_walk_agrees_with_openspiel_on_history_rendered_game():
    # nim's generic renderer shows the history, so the walk falls back to histories
    g = OpenSpielGame("nim", {"pile_sizes": "1;2;3"})
    for pol, os_pol in ((FirstLegal(), os_policy.FirstActionPolicy), (RandomPolicy(), os_policy.UniformRandomPolicy)):
        expected = os_exploitability.exploitability(g.spiel_game, os_pol(g.spiel_game))
        assert exploitability(g, pol) == pytest.approx(expected, abs=1e-9)
        assert exploitability(g, pol, share_by_observation=False) == pytest.approx(expected, abs=1e-9)


def test_leduc_uniform_matches_openspiel():
    g = OpenSpielGame("leduc_poker")
    assert exploitability(g, RandomPolicy()) == pytest.approx(2.373611111111111, abs=1e-9)


def test_expected_returns_tic_tac_toe():
    g = OpenSpielGame("tic_tac_toe")
    opt, rnd = OptimalBot(g), RandomPolicy()
    x = expected_returns(g, [opt, rnd])
    o = expected_returns(g, [rnd, opt])
    # uniform over minimax-optimal moves never loses, so these are its win rates vs random
    assert x[0] == pytest.approx(75257 / 77760, abs=1e-12)
    assert o[1] == pytest.approx(2645 / 3402, abs=1e-12)
    assert x[0] + x[1] == pytest.approx(0.0) and o[0] + o[1] == pytest.approx(0.0)
    assert expected_returns(g, [opt, opt]) == pytest.approx([0.0, 0.0])


def test_win_probabilities_of_uniform_random_tic_tac_toe():
    # the known outcome of two uniform random players: x wins 737/1260, o 363/1260, draws 160/1260
    g, rnd = OpenSpielGame("tic_tac_toe"), RandomPolicy()
    assert expected_returns(g, [rnd, rnd], payoff=wins) == pytest.approx([737 / 1260, 363 / 1260], abs=1e-12)
    returns = expected_returns(g, [rnd, rnd])
    assert returns[0] == pytest.approx((737 - 363) / 1260, abs=1e-12)


def test_greedy_distribution_is_the_argmax_with_ties_split():
    g = OpenSpielGame("tic_tac_toe")
    rnd, first = RandomPolicy(), FirstLegal()
    # all moves tie under the uniform policy, so its greedy version is the same policy
    assert expected_returns(g, [Greedy(rnd), rnd]) == pytest.approx(expected_returns(g, [rnd, rnd]), abs=1e-12)
    # the optimal player's greedy version is still optimal: it never loses to the optimal player
    opt = OptimalBot(g)
    assert expected_returns(g, [opt, Greedy(opt)])[1] == pytest.approx(0.0)

    class Skewed(RandomPolicy):
        def probabilities(self, states):
            return [{a: (2.0 if i == 1 else 1.0) / (len(s.legal_actions()) + 1)
                     for i, a in enumerate(s.legal_actions())} for s in states]

    state = g.new_state(0)
    assert Greedy(Skewed()).probabilities([state]) == [{"2": 1.0}]
    # playing cell 2, then 3, ... as x against the first-legal-move player: both are deterministic
    assert expected_returns(g, [Greedy(Skewed()), first]) == expected_returns(g, [Greedy(Skewed()), Greedy(first)])


def test_expected_returns_kuhn_nash_value():
    g = OpenSpielGame("kuhn_poker")
    opt = OptimalBot(g)
    v = expected_returns(g, [opt, opt])
    assert v[0] == pytest.approx(-1 / 18, abs=2e-3)  # the game value for the first player


def test_bad_probabilities_are_refused():
    g = OpenSpielGame("kuhn_poker")

    class Leaky(RandomPolicy):
        def probabilities(self, states):
            return [{a: 0.4 for a in s.legal_actions()} for s in states]

    class Wrong(RandomPolicy):
        def probabilities(self, states):
            return [{"raise to the moon": 1.0} for s in states]

    with pytest.raises(ValueError, match="sum to"):
        exploitability(g, Leaky())
    with pytest.raises(ValueError, match="not a legal move"):
        exploitability(g, Wrong())


def test_not_two_player_zero_sum_is_refused():
    with pytest.raises(ValueError, match="two-player zero-sum"):
        exploitability(OpenSpielGame("kuhn_poker", {"players": 3}), RandomPolicy())


@pytest.mark.slow
def test_position_walk_agrees_with_openspiel_on_tic_tac_toe():
    g = OpenSpielGame("tic_tac_toe")
    expected = os_exploitability.exploitability(g.spiel_game, os_policy.FirstActionPolicy(g.spiel_game))
    assert exploitability(g, FirstLegal()) == pytest.approx(expected, abs=1e-9)
    assert exploitability(g, FirstLegal(), share_by_observation=False) == pytest.approx(expected, abs=1e-9)


@pytest.mark.slow
def test_leduc_nash():
    g = OpenSpielGame("leduc_poker")
    assert exploitability(g, OptimalBot(g)) < 1e-3
