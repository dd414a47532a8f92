"""From episodes to samples: which decisions train, and the baselines they are compared with."""
import pytest
import torch

from sparring.rewards.shaping import RewardConfig
from sparring.rollout.samples import to_samples
from sparring.types import Decision, Episode, Turn


def _episode(seats, returns, moves=("1", "2")):
    turns = [Turn(i % 2, seats[i % 2], f"prompt {i}", ("1", "2", "3"), Decision(m, m, logprob=-1.0))
             for i, m in enumerate(moves)]
    return Episode("g", list(seats), turns, list(returns))


def test_rae_keeps_one_baseline_per_seat_and_opponent():
    episodes = [
        _episode(["self", "random"], [1.0, -1.0]),
        _episode(["self", "random"], [1.0, -1.0]),
        _episode(["self", "optimal"], [-1.0, 1.0]),
        _episode(["optimal", "self"], [0.0, 0.0]),
    ]
    samples, baselines, _ = to_samples(episodes, "self", RewardConfig(), "rae", 0.5, {})
    assert baselines == {("g", 0, ("random",)): 1.0, ("g", 0, ("optimal",)): -1.0, ("g", 1, ("optimal",)): 0.0}
    # first sight of a key: baseline 0, so the advantage is the reward itself
    assert [s.advantage for s in samples] == [1.0, 1.0, -1.0, 0.0]
    # the learner's own turns only: seat 0 moved first, seat 1 second
    assert [s.prompt for s in samples] == ["prompt 0", "prompt 0", "prompt 0", "prompt 1"]

    again, moved, _ = to_samples(episodes[:1] + episodes[2:3], "self", RewardConfig(), "rae", 0.5, baselines)
    # a win against random is only as good as usual; a loss against optimal too
    assert [s.advantage for s in again] == [0.0, 0.0]
    assert moved[("g", 0, ("random",))] == 1.0 and moved[("g", 1, ("optimal",))] == 0.0


def test_mirror_self_play_trains_both_seats():
    samples, baselines, stats = to_samples([_episode(["self", "self"], [1.0, -1.0])], "self", RewardConfig(),
                                           "rae", 0.9, {})
    assert [(s.player, s.advantage) for s in samples] == [(0, 1.0), (1, -1.0)]
    assert set(baselines) == {("g", 0, ("self",)), ("g", 1, ("self",))}
    assert stats["rollout/return_seat0"] == 1.0 and stats["rollout/return_seat1"] == -1.0


def test_state_baseline_compares_decisions_only_against_the_same_opponents():
    episodes = [
        _episode(["self", "random"], [1.0, -1.0]),
        _episode(["self", "random"], [0.0, 0.0]),
        _episode(["self", "optimal"], [-1.0, 1.0]),
    ]
    samples, _, _ = to_samples(episodes, "self", RewardConfig(), "rae", 0.5, {}, state_baseline=True)
    # "prompt 0" recurs three times, but only the two games against random share a
    # baseline (leave-one-out: 1 - 0 and 0 - 1); the game against optimal is alone in
    # its state and keeps its RAE advantage (first sight of its key: the reward, -1)
    assert [s.advantage for s in samples] == [1.0, -1.0, -1.0]


def test_gae_credits_each_decision_with_the_change_in_value_after_it():
    episodes = [_episode(["self", "random"], [1.0, -1.0], moves=("1", "2", "3")),  # the learner moves twice
                _episode(["random", "self"], [1.0, -1.0])]
    seen = []

    def values(samples):
        seen.extend(s.opponents for s in samples)
        return torch.tensor([0.25, 0.75, -0.5])

    samples, _, stats = to_samples(episodes, "self", RewardConfig(), "gae", 0.5, {}, values=values, lam=0.0)
    assert [s.prompt for s in samples] == ["prompt 0", "prompt 2", "prompt 1"]
    assert [s.last for s in samples] == [False, True, True] and seen == ["random"] * 3
    # one-step TD: 0 + 0.75 - 0.25, then 1 - 0.75, and -1 - (-0.5) for the lone decision
    assert [s.advantage for s in samples] == [0.5, 0.25, -0.5]
    assert [s.target for s in samples] == [0.75, 1.0, -1.0]  # what the value head regresses on
    assert stats["rollout/value_mean"] == pytest.approx(1 / 6)
    with pytest.raises(ValueError, match="value head"):
        to_samples(episodes, "self", RewardConfig(), "gae", 0.5, {})
