"""Advantage estimators: pure functions over flat tensors.

Shapes: ``rewards`` is [N] (one entry per sampled decision or episode-seat); keys
and groups are length-N lists of hashables.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Hashable

import torch


def rae(
    rewards: torch.Tensor, keys: list[Hashable], baselines: dict, decay: float
) -> tuple[torch.Tensor, dict]:
    """Role-conditioned advantage estimation (SPIRAL): one moving-average baseline
    per (game, role); advantage = reward - baseline of its role.

    The baselines used are those *before* this batch (so a sample never sees
    itself); they are then moved towards the batch mean of each role:
    ``b <- decay * b + (1 - decay) * mean``.  A role never seen before has baseline
    0 for this batch and is initialised to its batch mean (not decayed from 0,
    which would bias it for ~1/(1-decay) batches).
    Returns ``(advantages [N], new_baselines)``; the input dict is not modified.
    """
    base = torch.tensor([baselines.get(k, 0.0) for k in keys], dtype=rewards.dtype, device=rewards.device)
    adv = rewards - base
    sums: dict = defaultdict(float)
    counts: dict = defaultdict(int)
    for k, r in zip(keys, rewards.tolist()):
        sums[k] += r
        counts[k] += 1
    new = dict(baselines)
    for k in sums:
        mean = sums[k] / counts[k]
        new[k] = decay * baselines[k] + (1 - decay) * mean if k in baselines else mean
    return adv, new


def group_normalized(rewards: torch.Tensor, groups: list[Hashable], eps: float = 1e-6) -> torch.Tensor:
    """(r - group mean) / (group std + eps), as in GRPO.  A group whose rewards are
    all equal (std 0, or a single member) gets advantage 0, never a division by 0."""
    adv = torch.zeros_like(rewards)
    members: dict = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    for idx in members.values():
        r = rewards[idx]
        if bool((r == r[0]).all()):  # not ``std == 0``: float32 rounding makes the std of equal values ~1e-8
            continue
        adv[idx] = (r - r.mean()) / (r.std(unbiased=False) + eps)
    return adv


def state_baseline(rewards: torch.Tensor, states: list[Hashable], fallback: torch.Tensor) -> torch.Tensor:
    """Per-decision advantage against the mean reward of the *other* decisions made
    in the same state in this batch (leave-one-out, so a sample never sees itself);
    a state seen once uses ``fallback`` (e.g. the RAE advantage) instead.
    [N] rewards, N state keys, [N] fallback -> [N]."""
    members: dict = defaultdict(list)
    for i, s in enumerate(states):
        members[s].append(i)
    adv = fallback.clone()
    for idx in members.values():
        if len(idx) > 1:
            r = rewards[idx]
            adv[idx] = r - (r.sum() - r) / (len(idx) - 1)
    return adv


def gae(rewards: torch.Tensor, values: torch.Tensor, last: torch.Tensor, lam: float) -> torch.Tensor:
    """Generalised advantage estimation (Schulman et al. 2016) over trajectories
    laid end to end in time order: [N] rewards of each decision, [N] value
    estimates of the state it was made in, [N] bool marking each trajectory's
    last decision (after which the value is 0) -> [N] advantages.

    ``delta_t = r_t + V_{t+1} - V_t``; ``A_t = delta_t + lam * A_{t+1}`` (no discount
    here: games discount their return in ``rewards.shaping``).  ``lam = 1`` is the
    Monte-Carlo return minus ``V_t``; ``lam = 0`` is one-step TD.
    """
    if len(last) and not bool(last[-1]):
        raise ValueError("the last decision must end its trajectory (last[-1] is False)")
    adv = torch.zeros_like(rewards)
    running = 0.0
    for i in reversed(range(len(rewards))):
        following = 0.0 if last[i] else float(values[i + 1])
        if last[i]:
            running = 0.0
        running = float(rewards[i]) + following - float(values[i]) + lam * running
        adv[i] = running
    return adv


def plain_baseline(rewards: torch.Tensor) -> torch.Tensor:
    """REINFORCE with the batch mean as baseline."""
    return rewards - rewards.mean() if rewards.numel() else rewards


def varied(rewards: torch.Tensor, groups: list[Hashable]) -> torch.Tensor:
    """[N] bool: whether each sample's group has rewards that differ (a group whose
    members all got the same reward teaches nothing relative to itself)."""
    members: dict = defaultdict(list)
    for i, g in enumerate(groups):
        members[g].append(i)
    keep = torch.zeros(len(groups), dtype=torch.bool)
    for idx in members.values():
        r = rewards[idx]
        keep[idx] = not bool((r == r[0]).all())
    return keep
