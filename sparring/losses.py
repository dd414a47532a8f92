"""Losses: pure functions over tensors.  No optimiser, no model inside."""
from __future__ import annotations

import torch


def clipped_pg(
    logp: torch.Tensor, old_logp: torch.Tensor, adv: torch.Tensor, clip: float, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """PPO's clipped surrogate, to be minimised.

    ``logp``/``old_logp``: [N] (one log-probability per action) or [N, T] (per
    token, with ``mask`` [N, T] marking the tokens this policy produced);
    ``adv``: [N].  The importance ratio uses the rollout's own log-probabilities
    as the behaviour policy.  Token losses are averaged over each sequence's
    tokens, then over the batch.
    """
    if logp.dim() == 2:
        adv = adv[:, None]
    ratio = torch.exp(logp - old_logp)
    surrogate = torch.minimum(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv)
    if mask is None:
        return -surrogate.mean()
    mask = mask.to(surrogate.dtype)
    per_seq = (surrogate * mask).sum(-1) / mask.sum(-1).clamp(min=1)
    return -per_seq.mean()


def categorical_kl(logp: torch.Tensor, logq: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """KL(p || q) per row over the valid entries: [N, A] log-probs, [N, A] bool mask -> [N]."""
    p = logp.exp()
    terms = torch.where(mask, p * (logp - logq), torch.zeros_like(logp))
    return terms.sum(-1)


def categorical_entropy(logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Entropy per row over the valid entries: [N, A] -> [N]."""
    terms = torch.where(mask, -logp.exp() * logp, torch.zeros_like(logp))
    return terms.sum(-1)


def uniform_kl(logp: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """KL(uniform || p) per row over the valid entries: [N, A] -> [N].

    Unlike an entropy bonus or KL(p || uniform), whose gradient on a move's logit
    shrinks with the move's probability, this one pulls a move up by
    ``1/n - p(move)``: a move the policy has nearly abandoned keeps being tried.
    """
    n = mask.sum(-1).to(logp.dtype)
    mean_logp = torch.where(mask, logp, torch.zeros_like(logp)).sum(-1) / n
    return -torch.log(n) - mean_logp


def sampled_kl(logp: torch.Tensor, logq: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-token KL(p || q) estimate from samples of p (Schulman's k3, non-negative):
    [N, T] -> [N], averaged over each sequence's tokens."""
    d = logq - logp
    k3 = torch.exp(d) - d - 1
    mask = mask.to(k3.dtype)
    return (k3 * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def value_loss(values: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Half the mean squared error of [N] value estimates against [N] return targets."""
    return 0.5 * (values - targets).pow(2).mean()
