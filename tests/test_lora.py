"""LoRA (peft) on the same backend: only adapters train, and checkpoints round-trip."""
from __future__ import annotations

import random

import torch

from sparring import checkpoint
from sparring.arena import make_game
from sparring.config import ModelConfig
from sparring.learner import Learner, LearnerConfig
from sparring.models.lm import LMPolicy
from sparring.models.presets import build_model
from sparring.models.tiny import TinyConfig
from sparring.rewards.shaping import RewardConfig
from sparring.rollout.play import play
from sparring.rollout.samples import to_samples


def test_lora_trains_only_adapters_and_resumes_from_checkpoint(tmp_path):
    cfg = ModelConfig(finetune="lora", lora_r=4, tiny=TinyConfig(hidden=64, layers=2))
    model, tok = build_model(cfg, seed=0)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n for n in trainable)
    frozen_before = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    trainable_before = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    policy = LMPolicy(model, tok)
    learner = Learner(policy, LearnerConfig(lr=1e-2))
    game, rng = make_game("kuhn_poker"), random.Random(0)
    for _ in range(2):
        episodes = play(game, [[policy, policy]] * 64, list(range(64)), rng)
        samples, _, _ = to_samples(episodes, "self", RewardConfig(), "group", 0.9, {})
        learner.step(samples, rng)
    for n, p in model.named_parameters():
        if p.requires_grad:
            assert not torch.equal(p.detach(), trainable_before[n]), n
        else:
            assert torch.equal(p.detach(), frozen_before[n]), n

    ck = checkpoint.save(tmp_path, 2, model, tok, learner.optimizer, {"x": 1})
    reloaded, tok2 = build_model(cfg, seed=0, checkpoint=ck)
    s = game.new_state(3)
    with torch.no_grad():
        a = LMPolicy(model, tok).probabilities([s])[0]
        b = LMPolicy(reloaded, tok2).probabilities([s])[0]
    assert a.keys() == b.keys()
    assert all(abs(a[k] - b[k]) < 1e-5 for k in a)
    assert any(p.requires_grad for p in reloaded.parameters())  # trainable again after resume
