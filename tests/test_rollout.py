"""Rollout: garbage and adversarial moves never crash a game; penalties are recorded."""
from __future__ import annotations

import random

import pytest

from sparring.arena import make_game
from sparring.pool import Pool, seatings
from sparring.rewards.shaping import RewardConfig, episode_rewards
from sparring.rollout.play import play
from sparring.rollout.policy import RandomPolicy
from sparring.types import Decision
from test_arena_conformance import OPENSPIEL_GAMES, TEXTARENA_GAMES

GARBAGE = ["", "\x00\xff\ufffd", "a" * 10000, "'; DROP TABLE games; --", "[999]", "ÿ漢字🎲", "{{}}", "\n" * 50,
           "<|im_end|>", "\\boxed{", "None", "-1", "move: ", "[ [ [", " " * 3]


class GarbagePolicy:
    """Answers every turn with adversarial text (or no move at all)."""

    id = "garbage"

    def act(self, states, rng):
        out = []
        for _ in states:
            text = rng.choice(GARBAGE + [None])
            out.append(Decision(action=text, text=text or ""))
        return out


class CrashingPolicy:
    id = "crash"

    def act(self, states, rng):
        raise RuntimeError("endpoint down")


@pytest.mark.parametrize("spec", OPENSPIEL_GAMES + TEXTARENA_GAMES)
def test_garbage_moves_are_penalised_not_fatal(spec):
    game = make_game(spec)
    rng = random.Random(0)
    rand, garbage = RandomPolicy(), GarbagePolicy()
    # the garbage player sits in every seat in turn; the others play random legal moves
    seatings_ = [[garbage if p == seat else rand for p in range(game.num_players)] for seat in range(game.num_players)]
    episodes = play(game, seatings_, [7] * len(seatings_), rng, max_turns=60)
    cfg = RewardConfig(invalid_penalty=-1.5, invalid_other=0.5)
    penalised = 0
    for seat, ep in enumerate(episodes):
        bad = [t for t in ep.turns if t.policy_id == "garbage"]
        if not bad:  # the game ended before the garbage player's first turn
            continue
        if ep.invalid_by is None:  # only a free-text game may take garbage as a move (e.g. chat games)
            assert spec in TEXTARENA_GAMES or ep.truncated
            continue
        if ep.invalid_by != seat:  # the random player cannot play free-text games: it forfeits
            assert spec in TEXTARENA_GAMES and ep.seats[ep.invalid_by] == "random"
            continue
        assert bad[-1].invalid and bad[-1].decision.error
        rewards = episode_rewards(ep, cfg)
        assert rewards[seat] == -1.5
        assert all(r == 0.5 for p, r in enumerate(rewards) if p != seat)
        penalised += 1
    free_talk = spec in ("IteratedPrisonersDilemma-v0", "SimpleNegotiation-v0-short")
    assert penalised >= 1 or free_talk


@pytest.mark.parametrize("spec", ["kuhn_poker", "tic_tac_toe", "connect_four", "leduc_poker"])
def test_random_replacement_keeps_game_going_and_counts_penalties(spec):
    game = make_game(spec)
    episodes = play(game, [[GarbagePolicy(), RandomPolicy()]] * 4, [1, 2, 3, 4], random.Random(1),
                    invalid="random", max_turns=500)
    cfg = RewardConfig(per_invalid=-0.1)
    for ep in episodes:
        assert ep.invalid_by is None and not ep.truncated  # every game ran to its end
        n_bad = sum(t.invalid for t in ep.turns if t.player == 0)
        assert n_bad >= 1
        assert episode_rewards(ep, cfg)[0] == pytest.approx(ep.returns[0] - 0.1 * n_bad)


def test_a_crashing_policy_forfeits_instead_of_crashing_the_run():
    game = make_game("tic_tac_toe")
    eps = play(game, [[CrashingPolicy(), RandomPolicy()], [RandomPolicy(), CrashingPolicy()]], [0, 1],
               random.Random(0))
    assert [ep.invalid_by for ep in eps] == [0, 1]
    assert "endpoint down" in eps[0].turns[-1].decision.error


def test_turn_limit_truncates():
    game = make_game("connect_four")
    (ep,) = play(game, [[RandomPolicy(), RandomPolicy()]], [0], random.Random(0), max_turns=5)
    assert ep.truncated and len(ep.turns) == 5 and ep.returns == [0.0, 0.0]


def test_bad_invalid_mode_is_one_clear_error():
    with pytest.raises(ValueError, match="invalid-move handling"):
        play(make_game("tic_tac_toe"), [], [], random.Random(0), invalid="ignore")


def test_pool_matchmaking_randomises_seats_and_mixes_opponents():
    game = make_game("tic_tac_toe")
    learner = RandomPolicy()
    learner.id = "self"
    pool = Pool(game, ["random", "optimal"], latest=2, load_self=lambda path, pid: None)
    rng = random.Random(0)
    seats = seatings(learner, pool, 400, 2, pool_prob=0.5, rng=rng)
    mirror = [s for s in seats if all(p is learner for p in s)]
    vs_pool = [s for s in seats if s not in mirror]
    assert 150 < len(mirror) < 250
    learner_seat = [s.index(learner) for s in vs_pool]
    assert 0 in learner_seat and 1 in learner_seat
    assert {p.id for s in vs_pool for p in s if p is not learner} == {"random", "optimal"}
