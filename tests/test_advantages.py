"""Advantage estimators against values worked out by hand."""
import copy
import math

import pytest
import torch

from sparring import advantages as adv
from sparring.advantages import group_normalized, plain_baseline, rae

KUHN0, KUHN1, TTT0 = ("kuhn", 0), ("kuhn", 1), ("ttt", 0)


def test_rae_first_batch_uses_zero_baseline_and_initialises_to_batch_mean():
    rewards = torch.tensor([1.0, 3.0, -2.0])
    adv, new = rae(rewards, [KUHN0, KUHN0, KUHN1], {}, decay=0.9)
    # no role seen before: baseline 0, so advantage == reward
    assert adv.tolist() == [1.0, 3.0, -2.0]
    # initialised to the batch mean, not 0.1 * mean
    assert new == {KUHN0: 2.0, KUHN1: -2.0}


def test_rae_second_batch_uses_old_baselines_then_ema():
    baselines = {KUHN0: 2.0, KUHN1: -2.0}
    before = copy.deepcopy(baselines)
    rewards = torch.tensor([0.0, 2.0, 0.0, 5.0])
    adv, new = rae(rewards, [KUHN0, KUHN1, KUHN1, TTT0], baselines, decay=0.9)
    # baselines from *before* the batch: kuhn0 2, kuhn1 -2, ttt0 never seen -> 0
    assert adv.tolist() == pytest.approx([0.0 - 2.0, 2.0 + 2.0, 0.0 + 2.0, 5.0 - 0.0])
    # b <- 0.9 b + 0.1 mean; a new role takes its batch mean
    assert new[KUHN0] == pytest.approx(0.9 * 2.0 + 0.1 * 0.0)  # 1.8
    assert new[KUHN1] == pytest.approx(0.9 * -2.0 + 0.1 * 1.0)  # -1.7
    assert new[TTT0] == pytest.approx(5.0)
    assert set(new) == {KUHN0, KUHN1, TTT0}
    assert baselines == before  # input not mutated
    assert new is not baselines


def test_rae_two_batches_chained():
    b = {}
    adv1, b = rae(torch.tensor([1.0, 3.0]), [KUHN0, KUHN0], b, decay=0.5)
    assert adv1.tolist() == [1.0, 3.0] and b == {KUHN0: 2.0}
    adv2, b = rae(torch.tensor([4.0, 0.0]), [KUHN0, KUHN0], b, decay=0.5)
    assert adv2.tolist() == [2.0, -2.0]  # both against the old baseline 2, not against each other
    assert b == {KUHN0: 0.5 * 2.0 + 0.5 * 2.0}


def test_rae_roles_absent_from_batch_are_kept():
    adv, new = rae(torch.tensor([1.0]), [TTT0], {KUHN0: 0.25, KUHN1: -0.75}, decay=0.9)
    assert adv.tolist() == [1.0]
    assert new == {KUHN0: 0.25, KUHN1: -0.75, TTT0: 1.0}


def test_rae_games_and_seats_are_separate():
    # same seat number in another game, or the other seat of the same game, is another role
    baselines = {("kuhn", 0): 1.0, ("leduc", 0): -1.0, ("kuhn", 1): 0.5}
    rewards = torch.tensor([1.0, 1.0, 1.0, 1.0])
    keys = [("kuhn", 0), ("leduc", 0), ("kuhn", 1), ("leduc", 1)]
    adv, new = rae(rewards, keys, baselines, decay=0.0)  # decay 0: baseline jumps to the batch mean
    assert adv.tolist() == [0.0, 2.0, 0.5, 1.0]
    assert new == {("kuhn", 0): 1.0, ("leduc", 0): 1.0, ("kuhn", 1): 1.0, ("leduc", 1): 1.0}


def test_rae_keeps_dtype_and_handles_empty():
    adv, new = rae(torch.tensor([1.5], dtype=torch.float64), [KUHN0], {KUHN0: 0.5}, decay=0.9)
    assert adv.dtype == torch.float64 and adv.tolist() == [1.0]
    adv, new = rae(torch.zeros(0), [], {KUHN0: 0.5}, decay=0.9)
    assert adv.numel() == 0 and new == {KUHN0: 0.5}


# ---- group_normalized --------------------------------------------------------------------


def test_group_normalized_hand_values():
    adv = group_normalized(torch.tensor([1.0, 2.0, 3.0]), ["g"] * 3, eps=0.0)
    s = math.sqrt(2 / 3)  # population std of 1, 2, 3
    assert adv.tolist() == pytest.approx([-1 / s, 0.0, 1 / s])
    # eps is added to the std
    adv = group_normalized(torch.tensor([0.0, 2.0]), ["g", "g"], eps=1.0)
    assert adv.tolist() == pytest.approx([-0.5, 0.5])  # (0 - 1) / (1 + 1)


def test_group_normalized_equal_rewards_give_exact_zeros():
    for value in [1.0, -1.5, 0.0, 0.1, 0.7, 1 / 3, 2.2]:  # 0.1, 0.7, ... are inexact in float32
        for n in [2, 3, 7, 13]:
            for dtype in [torch.float32, torch.float64]:
                adv = group_normalized(torch.full((n,), value, dtype=dtype), ["g"] * n)
                assert not torch.isnan(adv).any()
                assert torch.equal(adv, torch.zeros(n, dtype=dtype)), (value, n, dtype, adv)


def test_group_normalized_single_member_group_is_zero():
    adv = group_normalized(torch.tensor([5.0]), ["solo"])
    assert adv.tolist() == [0.0]


def test_group_normalized_mixed_interleaved_groups():
    rewards = torch.tensor([1.0, 5.0, 2.0, 7.0, 5.0, 3.0, -1.0, 1.0])
    groups = ["a", "b", "a", "c", "b", "a", ("d", 1), ("d", 1)]
    adv = group_normalized(rewards, groups)
    s = math.sqrt(2 / 3)
    expected = [-1 / s, 0.0, 0.0, 0.0, 0.0, 1 / s, -1.0, 1.0]
    assert adv.tolist() == pytest.approx(expected, abs=1e-5)
    assert adv[[1, 3, 4]].tolist() == [0.0, 0.0, 0.0]  # exact zeros for b (equal) and c (single)
    assert not torch.isnan(adv).any()
    assert rewards.tolist() == [1.0, 5.0, 2.0, 7.0, 5.0, 3.0, -1.0, 1.0]  # input untouched


def test_group_normalized_each_group_has_zero_mean_unit_std():
    g = torch.Generator().manual_seed(0)
    rewards = torch.randn(60, generator=g, dtype=torch.float64)
    groups = [i % 4 for i in range(60)]
    adv = group_normalized(rewards, groups, eps=0.0)
    for k in range(4):
        a = adv[k::4]
        assert a.mean().item() == pytest.approx(0.0, abs=1e-12)
        assert a.std(unbiased=False).item() == pytest.approx(1.0)


# ---- plain_baseline ----------------------------------------------------------------------


def test_plain_baseline():
    assert plain_baseline(torch.tensor([1.0, 2.0, 3.0, 6.0])).tolist() == [-2.0, -1.0, 0.0, 3.0]
    assert plain_baseline(torch.tensor([4.0])).tolist() == [0.0]
    empty = plain_baseline(torch.zeros(0))
    assert empty.shape == (0,) and not torch.isnan(empty).any()


def test_state_baseline_is_leave_one_out_within_a_state_and_falls_back_when_alone():
    from sparring.advantages import state_baseline

    rewards = torch.tensor([1.0, -1.0, 0.0, 1.0])
    states = ["a", "a", "a", "b"]
    fallback = torch.tensor([9.0, 9.0, 9.0, 0.25])
    adv = state_baseline(rewards, states, fallback)
    # state a: 1 - mean(-1, 0) = 1.5; -1 - mean(1, 0) = -1.5; 0 - mean(1, -1) = 0; b is alone: fallback
    assert torch.allclose(adv, torch.tensor([1.5, -1.5, 0.0, 0.25]))


def test_gae_hand_values_across_lambdas_and_trajectory_ends():
    # two trajectories laid end to end: three decisions then a win, one decision then a loss
    rewards = torch.tensor([0.0, 0.0, 1.0, -1.0])
    values = torch.tensor([0.2, 0.5, 0.8, 0.3])
    last = torch.tensor([False, False, True, True])
    # lambda 1: the return minus the value (the second trajectory's value never leaks into the first)
    assert torch.allclose(adv.gae(rewards, values, last, lam=1.0), torch.tensor([0.8, 0.5, 0.2, -1.3]))
    # lambda 0: one-step temporal differences
    assert torch.allclose(adv.gae(rewards, values, last, lam=0.0), torch.tensor([0.3, 0.3, 0.2, -1.3]))
    # lambda 0.5: 0.2; 0.3 + 0.5 * 0.2; 0.3 + 0.5 * 0.4
    assert torch.allclose(adv.gae(rewards, values, last, lam=0.5), torch.tensor([0.5, 0.4, 0.2, -1.3]))
    with pytest.raises(ValueError, match="end its trajectory"):
        adv.gae(rewards, values, torch.tensor([False, False, True, False]), lam=1.0)


def test_gae_with_an_untrained_value():
    rewards, last = torch.tensor([0.0, 1.0, 0.0, -1.0]), torch.tensor([False, True, False, True])
    zeros = torch.zeros(4)
    # lambda 1: every decision gets its game's return; lambda 0: only the last one hears of it
    assert torch.equal(adv.gae(rewards, zeros, last, 1.0), torch.tensor([1.0, 1.0, -1.0, -1.0]))
    assert torch.equal(adv.gae(rewards, zeros, last, 0.0), rewards)
    assert adv.gae(torch.zeros(0), torch.zeros(0), torch.zeros(0, dtype=torch.bool), 0.9).numel() == 0
