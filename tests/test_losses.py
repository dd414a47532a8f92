"""Losses against values and gradients worked out by hand."""
import math

import pytest
import torch

from sparring.losses import categorical_entropy, categorical_kl, clipped_pg, sampled_kl, uniform_kl

CLIP = 0.2


def _logps(ratios, old):
    """(logp requiring grad, old_logp) with exp(logp - old) == ratios."""
    old = torch.tensor(old, dtype=torch.float64)
    logp = (old + torch.tensor(ratios, dtype=torch.float64).log()).requires_grad_(True)
    return logp, old


# ---- clipped_pg, one log-probability per action ----------------------------------------------


def test_clipped_pg_inside_clip_is_plain_importance_weighted_pg():
    logp, old = _logps([1.1, 0.9], [-0.7, -1.2])
    adv = torch.tensor([2.0, -1.0], dtype=torch.float64)
    loss = clipped_pg(logp, old, adv, CLIP)
    assert loss.item() == pytest.approx(-(1.1 * 2.0 + 0.9 * -1.0) / 2)  # -0.65
    loss.backward()
    # d/dlogp of -mean(ratio * adv) = -ratio * adv / N
    assert logp.grad.tolist() == pytest.approx([-1.1 * 2.0 / 2, -0.9 * -1.0 / 2])


def test_clipped_pg_above_clip_with_positive_advantage_is_clipped_without_gradient():
    logp, old = _logps([1.5], [-0.3])
    loss = clipped_pg(logp, old, torch.tensor([1.0], dtype=torch.float64), CLIP)
    assert loss.item() == pytest.approx(-1.2)  # min(1.5 * 1, 1.2 * 1)
    loss.backward()
    assert logp.grad.tolist() == [0.0]


def test_clipped_pg_below_clip_with_negative_advantage_is_clipped_without_gradient():
    logp, old = _logps([0.5], [-2.0])
    loss = clipped_pg(logp, old, torch.tensor([-1.0], dtype=torch.float64), CLIP)
    assert loss.item() == pytest.approx(0.8)  # -min(0.5 * -1, 0.8 * -1)
    loss.backward()
    assert logp.grad.tolist() == [0.0]


def test_clipped_pg_pessimistic_side_is_not_clipped():
    # ratio far out of range but on the side where the unclipped objective is smaller: it keeps its gradient
    logp, old = _logps([0.5, 1.5], [-1.0, -1.0])
    adv = torch.tensor([1.0, -1.0], dtype=torch.float64)
    loss = clipped_pg(logp, old, adv, CLIP)
    assert loss.item() == pytest.approx(-(0.5 * 1.0 + 1.5 * -1.0) / 2)  # 0.5
    loss.backward()
    assert logp.grad.tolist() == pytest.approx([-0.5 * 1.0 / 2, -1.5 * -1.0 / 2])


def test_clipped_pg_mixed_batch_hand_values():
    ratios = [1.1, 1.5, 0.5, 0.5, 1.5]
    advs = [2.0, 1.0, -1.0, 1.0, -1.0]
    logp, old = _logps(ratios, [-0.1, -0.5, -1.0, -2.0, -3.0])
    loss = clipped_pg(logp, old, torch.tensor(advs, dtype=torch.float64), CLIP)
    surrogate = [2.2, 1.2, -0.8, 0.5, -1.5]
    assert loss.item() == pytest.approx(-sum(surrogate) / 5)
    loss.backward()
    expected = [-1.1 * 2.0 / 5, 0.0, 0.0, -0.5 * 1.0 / 5, -1.5 * -1.0 / 5]
    assert logp.grad.tolist() == pytest.approx(expected)


def test_clipped_pg_at_ratio_one_gradient_is_minus_advantage_over_n():
    old = torch.tensor([-0.2, -1.5, -3.0, -0.9])
    logp = old.clone().requires_grad_(True)
    adv = torch.tensor([1.0, -2.0, 0.5, 0.0])
    loss = clipped_pg(logp, old, adv, CLIP)
    assert loss.item() == pytest.approx(-adv.mean().item())
    loss.backward()
    assert logp.grad.tolist() == pytest.approx((-adv / 4).tolist())


# ---- clipped_pg, per token with a mask --------------------------------------------------------


def _token_batch(pad_value):
    # seq 0: adv 1, ratios 1.1 (inside), 1.5 (clipped), then padding
    # seq 1: adv -2, ratios 0.5 (clipped), 0.9, 1.0
    ratios = torch.tensor([[1.1, 1.5, 1.0], [0.5, 0.9, 1.0]], dtype=torch.float64)
    old = torch.tensor([[-0.5, -1.0, -0.2], [-2.0, -0.1, -0.3]], dtype=torch.float64)
    logp = old + ratios.log()
    logp[0, 2] = pad_value  # garbage at the padding position
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]], dtype=torch.bool)
    return logp.requires_grad_(True), old, torch.tensor([1.0, -2.0], dtype=torch.float64), mask


@pytest.mark.parametrize("pad_value", [0.0, 3.0, -7.0])
def test_clipped_pg_tokens_hand_values_and_padding_ignored(pad_value):
    logp, old, adv, mask = _token_batch(pad_value)
    loss = clipped_pg(logp, old, adv, CLIP, mask)
    seq0 = (1.1 * 1 + 1.2 * 1) / 2  # per-sequence mean over its own 2 tokens
    seq1 = (-1.6 + 0.9 * -2 + 1.0 * -2) / 3  # min(0.5*-2, 0.8*-2) = -1.6
    assert loss.item() == pytest.approx(-(seq0 + seq1) / 2)  # 0.325
    loss.backward()
    expected = [
        [-1.1 * 1 / 2 / 2, 0.0, 0.0],
        [0.0, -0.9 * -2 / 3 / 2, -1.0 * -2 / 3 / 2],
    ]
    assert logp.grad.tolist()[0] == pytest.approx(expected[0])
    assert logp.grad.tolist()[1] == pytest.approx(expected[1])


def test_clipped_pg_tokens_is_mean_per_sequence_not_per_token():
    # a long sequence and a short one weigh the same
    old = torch.zeros(2, 4)
    logp = old.clone().requires_grad_(True)
    mask = torch.tensor([[1, 1, 1, 1], [1, 0, 0, 0]], dtype=torch.bool)
    adv = torch.tensor([1.0, 3.0])
    loss = clipped_pg(logp, old, adv, CLIP, mask)
    assert loss.item() == pytest.approx(-(1.0 + 3.0) / 2)  # per-token mean would give -(4 + 3) / 5
    loss.backward()
    assert torch.allclose(logp.grad, torch.tensor([[-1 / 8] * 4, [-3 / 2, 0.0, 0.0, 0.0]]))


def test_clipped_pg_tokens_without_mask_and_empty_sequence():
    old = torch.zeros(2, 3)
    adv = torch.tensor([1.0, -1.0])
    # without a mask every token counts
    assert clipped_pg(old.clone(), old, adv, CLIP).item() == pytest.approx(0.0)
    # a sequence with no tokens contributes 0 and no NaN
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]], dtype=torch.bool)
    loss = clipped_pg(old.clone(), old, adv, CLIP, mask)
    assert loss.item() == pytest.approx(-(1.0 + 0.0) / 2)


# ---- categorical KL and entropy -------------------------------------------------------------


def _lp(rows):
    return torch.tensor(rows, dtype=torch.float64).log()


def test_categorical_kl_hand_values_with_masked_entries():
    logp = _lp([[0.5, 0.5, 1.0], [0.2, 0.3, 0.5]])  # row 0's third entry is padding (p "1")
    logq = _lp([[0.25, 0.75, 1e-30], [0.5, 0.3, 0.2]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    kl = categorical_kl(logp, logq, mask)
    assert kl.tolist() == pytest.approx([
        0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75),
        0.2 * math.log(0.2 / 0.5) + 0.3 * math.log(1.0) + 0.5 * math.log(0.5 / 0.2),
    ])
    # learner-style padding with -1e9 is ignored as well
    pad_p = logp.clone()
    pad_p[0, 2] = -1e9
    pad_q = logq.clone()
    pad_q[0, 2] = -1e9
    assert categorical_kl(pad_p, pad_q, mask).tolist() == pytest.approx(kl.tolist())


def test_categorical_kl_identical_is_zero_and_nonnegative():
    g = torch.Generator().manual_seed(1)
    logp = torch.log_softmax(torch.randn(5, 4, generator=g), -1)
    logq = torch.log_softmax(torch.randn(5, 4, generator=g), -1)
    mask = torch.ones(5, 4, dtype=torch.bool)
    assert torch.equal(categorical_kl(logp, logp, mask), torch.zeros(5))
    assert (categorical_kl(logp, logq, mask) > 0).all()


def test_categorical_entropy_hand_values_with_masked_entries():
    logp = _lp([[0.5, 0.5, 0.3], [0.2, 0.3, 0.5], [1.0, 0.9, 0.9]])
    mask = torch.tensor([[True, True, False], [True, True, True], [True, False, False]])
    ent = categorical_entropy(logp, mask)
    assert ent.tolist() == pytest.approx([
        math.log(2),
        -(0.2 * math.log(0.2) + 0.3 * math.log(0.3) + 0.5 * math.log(0.5)),
        0.0,
    ])


def test_categorical_entropy_with_learner_padding_has_finite_gradient():
    logits = torch.tensor([[0.3, -0.2, 0.0], [1.0, 2.0, 0.5]], requires_grad=True)
    mask = torch.tensor([[True, True, False], [True, True, True]])
    lp = torch.where(mask, torch.log_softmax(logits.masked_fill(~mask, -1e9), -1), torch.tensor(-1e9))
    ent = categorical_entropy(lp, mask)
    p = torch.softmax(torch.tensor([0.3, -0.2]), -1)
    assert ent[0].item() == pytest.approx(-(p * p.log()).sum().item(), abs=1e-6)
    ent.sum().backward()
    assert torch.isfinite(logits.grad).all()
    assert logits.grad[0, 2].item() == 0.0


# ---- sampled (k3) KL ---------------------------------------------------------------------------


def test_sampled_kl_hand_value_and_mask():
    logp = _lp([[0.5, 0.2, 0.9]])
    logq = _lp([[0.25, 0.4, 1e-9]])  # third token is padding
    mask = torch.tensor([[1, 1, 0]])
    k3 = sampled_kl(logp, logq, mask)
    # token 0: d = -ln2 -> 0.5 + ln2 - 1;  token 1: d = ln2 -> 2 - ln2 - 1;  mean = 0.25
    assert k3.tolist() == pytest.approx([0.25])


def test_sampled_kl_zero_when_equal_and_nonnegative():
    g = torch.Generator().manual_seed(2)
    logp = -torch.rand(4, 6, generator=g) * 5
    logq = -torch.rand(4, 6, generator=g) * 5
    mask = torch.rand(4, 6, generator=g) > 0.3
    assert torch.equal(sampled_kl(logp, logp, mask), torch.zeros(4))
    assert (sampled_kl(logp, logq, mask) >= 0).all()
    # an empty sequence gives 0, not NaN
    assert sampled_kl(logp, logq, torch.zeros(4, 6, dtype=torch.bool)).tolist() == [0.0] * 4


def test_sampled_kl_is_unbiased_for_the_exact_kl():
    # E_{x~p}[k3(x)] = KL(p || q): weigh each outcome's one-token estimate by p(x)
    p = torch.tensor([0.1, 0.6, 0.3], dtype=torch.float64)
    q = torch.tensor([0.3, 0.3, 0.4], dtype=torch.float64)
    per_outcome = sampled_kl(p.log()[:, None], q.log()[:, None], torch.ones(3, 1, dtype=torch.bool))
    expected = categorical_kl(p.log()[None], q.log()[None], torch.ones(1, 3, dtype=torch.bool))
    assert (p * per_outcome).sum().item() == pytest.approx(expected.item())


def test_uniform_kl_hand_values_and_its_pull_on_a_nearly_dead_move():
    logp = _lp([[0.5, 0.5, 0.3], [0.98, 0.01, 0.01]])  # row 0's third entry is padding
    mask = torch.tensor([[True, True, False], [True, True, True]])
    kl = uniform_kl(logp, mask)
    third = 1 / 3
    expected = third * (math.log(third / 0.98) + 2 * math.log(third / 0.01))
    assert kl.tolist() == pytest.approx([0.0, expected])
    # on logits, the gradient of a move is p(move) - 1/n: a move at 1% is pushed up about
    # as hard as if it were at 0%, where an entropy bonus would barely touch it
    logits = torch.tensor([[4.0, -1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    uniform_kl(torch.log_softmax(logits, -1), torch.ones(1, 3, dtype=torch.bool)).sum().backward()
    p = torch.softmax(logits.detach(), -1)
    assert logits.grad[0].tolist() == pytest.approx((p[0] - third).tolist())
    ent_logits = logits.detach().clone().requires_grad_(True)
    categorical_entropy(torch.log_softmax(ent_logits, -1), torch.ones(1, 3, dtype=torch.bool)).sum().backward()
    assert abs(ent_logits.grad[0, 1]) < abs(logits.grad[0, 1]) / 5
