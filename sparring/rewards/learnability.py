"""Rewards for proposing, solving and judging tasks: pure functions.

Shapes: ``accuracy`` is [T], one solver success rate per proposed task.
"""
from __future__ import annotations

import re

import torch


def azr_learnability(accuracy: torch.Tensor) -> torch.Tensor:
    """Absolute Zero's proposer reward: ``1 - accuracy`` for a task the solver
    sometimes but not always solves, 0 for one it always or never solves.  [T] -> [T]."""
    inside = (accuracy > 0) & (accuracy < 1)
    return torch.where(inside, 1 - accuracy, torch.zeros_like(accuracy))


def band_learnability(accuracy: torch.Tensor) -> torch.Tensor:
    """R-Zero's uncertainty reward ``1 - 2 |accuracy - 1/2|``: highest for tasks
    solved half the time, 0 for those always or never solved.  [T] -> [T]."""
    return 1 - 2 * (accuracy - 0.5).abs()


LEARNABILITY = {"azr": azr_learnability, "band": band_learnability}


def shingles(text: str, n: int = 3) -> frozenset[str]:
    """Word n-grams of a normalised text (its words, if it has fewer than n)."""
    words = re.findall(r"\w+|[^\w\s]", text.lower())
    if len(words) < n:
        return frozenset([" ".join(words)])
    return frozenset(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def repetition_penalty(keys: list[str | None], recent: list[str], threshold: float) -> list[float]:
    """How much each proposal repeats others, in [0, 1]: the fraction of the other
    valid proposals in its batch and of the ``recent`` tasks of earlier steps that
    are near-duplicates of it (word-trigram Jaccard similarity >= ``threshold``).
    A task that a tenth of everything recent repeats pays a tenth, like R-Zero's
    penalty by cluster size (without one its proposers collapsed onto a few tasks).
    Invalid proposals (``None`` keys) get 0 and are not compared."""
    grams = [shingles(k) if k is not None else None for k in keys]
    old = [shingles(k) for k in recent]
    valid = sum(g is not None for g in grams)
    out = []
    for i, g in enumerate(grams):
        if g is None:
            out.append(0.0)
            continue
        others = [h for j, h in enumerate(grams) if j != i and h is not None] + old
        same = sum(jaccard(g, h) >= threshold for h in others)
        out.append(same / (valid - 1 + len(old)) if others else 0.0)
    return out


def proposer_rewards(accuracy: list[float | None], penalty: list[float], kind: str, weight: float,
                     invalid: float) -> list[float]:
    """Learnability minus ``weight`` x repetition for each valid proposal (accuracy
    not None); ``invalid`` (the lowest reward) for the others."""
    acc = torch.tensor([a if a is not None else 0.0 for a in accuracy])
    learn = LEARNABILITY[kind](acc).tolist()
    return [invalid if a is None else l - weight * p for a, l, p in zip(accuracy, learn, penalty)]


def judge_rewards(verdicts: list[bool | None], truth: list[bool], invalid: float) -> list[float]:
    """Multi-Agent Evolve's judge, where a verifier exists: 1 for agreeing with it,
    0 for disagreeing, ``invalid`` for no verdict at all."""
    return [invalid if v is None else float(v == t) for v, t in zip(verdicts, truth)]
