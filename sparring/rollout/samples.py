"""From finished episodes to training samples: rewards per seat, then advantages."""
from __future__ import annotations

from typing import Callable

import torch

from sparring import advantages as adv_fns
from sparring.models.critic import opponent_kind
from sparring.rewards.shaping import RewardConfig, episode_rewards
from sparring.types import Episode, Sample


def to_samples(
    episodes: list[Episode], learner_id: str, reward: RewardConfig, estimator: str, decay: float, baselines: dict,
    state_baseline: bool = False, values: Callable[[list[Sample]], torch.Tensor] | None = None, lam: float = 0.95,
) -> tuple[list[Sample], dict, dict[str, float]]:
    """Every decision the learner made, with its advantage.

    Advantages are computed per (episode, seat) from the seat's reward and given to
    every decision of that seat.  ``rae``: baseline per (game, seat, opponents),
    so that games against a strong and a weak pool opponent are not compared
    with one another (mirror self-play has one key per seat); ``group``:
    normalised within the batch per seat; ``baseline``: batch mean.  With
    ``state_baseline``, a decision taken in a state that recurs in the batch
    (same position, same opponents) is instead compared with the other decisions
    taken there (lower variance).  ``gae``: per-decision advantages from the
    learned ``values`` of the seat's successive positions (lambda ``lam``), each
    decision credited with what changed after it rather than the whole game's outcome.
    Returns (samples, new baselines, rollout statistics).
    """
    rewards, keys, owners = [], [], []
    for ep in episodes:
        r = episode_rewards(ep, reward)
        for p, pid in enumerate(ep.seats):
            if pid == learner_id:
                rewards.append(r[p])
                keys.append((ep.game, p, tuple(q for i, q in enumerate(ep.seats) if i != p)))  # role and opponents
                owners.append((ep, p))
    r = torch.tensor(rewards, dtype=torch.float32)
    if estimator == "rae" or estimator == "gae":  # gae replaces these below; the baselines stay informative
        a, baselines = adv_fns.rae(r, keys, baselines, decay)
    elif estimator == "group":
        a = adv_fns.group_normalized(r, keys)
    else:
        a = adv_fns.plain_baseline(r)
    samples, seat_reward, states = [], [], []
    for (ep, p), key, advantage, reward_ in zip(owners, keys, a.tolist(), rewards):
        first = len(samples)
        for t in ep.turns:
            if t.player != p or t.policy_id != learner_id:
                continue
            usable = t.decision.completion_ids or (t.legal is not None and t.decision.action in t.legal)
            if usable:
                samples.append(Sample(t.prompt, t.legal, t.decision, advantage, ep.game, p, reward=reward_,
                                      last=False, opponents=opponent_kind(key[2])))
                seat_reward.append(reward_)
                states.append((t.prompt, key))  # a position's value depends on who the opponents are
        if first < len(samples):
            samples[-1].last = True  # the seat's last decision: its reward arrives after it
    if state_baseline and samples:
        per_state = adv_fns.state_baseline(torch.tensor(seat_reward), states,
                                           torch.tensor([s.advantage for s in samples]))
        for s, value in zip(samples, per_state.tolist()):
            s.advantage = value
    value_stats = {}
    if estimator == "gae" and samples:
        if values is None:
            raise ValueError("the gae advantage estimator needs the learner's value head")
        v = values(samples)
        ends = torch.tensor([s.last for s in samples])
        a = adv_fns.gae(torch.tensor([s.reward if s.last else 0.0 for s in samples]), v, ends, lam)
        for s, advantage, value in zip(samples, a.tolist(), v.tolist()):
            s.advantage, s.target = advantage, advantage + value
        value_stats = {"rollout/value_mean": float(v.mean()), "rollout/advantage_std": float(a.std(unbiased=False))}
    n = max(len(episodes), 1)
    stats = {
        "rollout/games": float(len(episodes)),
        "rollout/decisions": float(sum(len(ep.turns) for ep in episodes)),
        "rollout/turns_per_game": sum(len(ep.turns) for ep in episodes) / n,
        "rollout/invalid_rate": sum(t.invalid for ep in episodes for t in ep.turns)
        / max(sum(len(ep.turns) for ep in episodes), 1),
        "rollout/forfeits": sum(ep.invalid_by is not None for ep in episodes) / n,
        "rollout/truncated": sum(ep.truncated for ep in episodes) / n,
        "rollout/learner_reward": float(r.mean()) if len(rewards) else 0.0,
        **value_stats,
    }
    for p in range(len(episodes[0].seats) if episodes else 0):
        seat = [x for x, (_, q) in zip(rewards, owners) if q == p]
        if seat:
            stats[f"rollout/return_seat{p}"] = sum(seat) / len(seat)
    return samples, baselines, stats
