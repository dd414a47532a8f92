"""Training smoke tests: the tiny model, real games, real optimiser steps."""
from __future__ import annotations

import math
import random

import pytest
import torch

from sparring.arena import make_game
from sparring.config import ConfigError
from sparring.learner import Learner, LearnerConfig
from sparring.models.lm import LMPolicy
from sparring.models.tiny import TinyConfig, tiny_model
from sparring.recipes import PRESETS
from sparring.recipes.selfplay import train
from sparring.rollout.play import play
from sparring.rollout.samples import to_samples
from sparring.rewards.shaping import RewardConfig


def _snapshot(model):
    return {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}


def _two_steps(mode: str, spec: str, **learner_kw):
    model, tok = tiny_model(TinyConfig(hidden=64, layers=2), seed=0)
    policy = LMPolicy(model, tok, mode=mode, max_new_tokens=6)
    learner = Learner(policy, LearnerConfig(lr=1e-3, **learner_kw))
    game, rng = make_game(spec), random.Random(0)
    before = _snapshot(model)
    losses, baselines = [], {}
    for _ in range(2):
        # invalid moves are replaced by random ones, so outcomes (and advantages) vary
        episodes = play(game, [[policy] * game.num_players] * 32, list(range(32)), rng, invalid="random")
        samples, baselines, _ = to_samples(episodes, "self", RewardConfig(per_invalid=-0.1), "group", 0.9, baselines)
        assert samples
        stats = learner.step(samples, rng)
        losses.append(stats["train/loss"])
    return model, before, losses


def test_two_direct_steps_change_every_parameter_and_loss_is_finite():
    model, before, losses = _two_steps("direct", "kuhn_poker", kl_coef=0.5, ref_every=1)
    assert all(math.isfinite(x) for x in losses)
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []


def test_two_generate_steps_change_every_parameter_and_loss_is_finite():
    # free text from an untrained model is mostly garbage: invalid moves are penalised,
    # and the rewards train every parameter through the generated tokens
    model, before, losses = _two_steps("generate", "tic_tac_toe", kl_coef=0.1)
    assert all(math.isfinite(x) for x in losses)
    unchanged = [n for n, p in model.named_parameters() if torch.equal(p.detach(), before[n])]
    assert unchanged == []


def test_micro_batches_accumulate_the_same_update_as_one_batch():
    game, results = make_game("tic_tac_toe"), []
    for micro in (0, 7):  # 0: one pass over the whole minibatch
        model, tok = tiny_model(TinyConfig(hidden=64, layers=2), seed=0)
        policy = LMPolicy(model, tok, mode="generate", max_new_tokens=6)
        rng = random.Random(0)
        episodes = play(game, [[policy] * 2] * 16, list(range(16)), rng, invalid="random")
        samples, _, _ = to_samples(episodes, "self", RewardConfig(per_invalid=-0.1), "group", 0.9, {})
        stats = Learner(policy, LearnerConfig(lr=1e-3, micro_batch=micro, kl_coef=0.1)).step(samples, rng)
        results.append((stats, {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}))
    (whole, w_grads), (micro, m_grads) = results
    assert len(samples) > 7  # really split
    assert abs(whole["train/loss"] - micro["train/loss"]) < 1e-5
    assert abs(whole["train/grad_norm"] - micro["train/grad_norm"]) < 1e-4 * max(1.0, whole["train/grad_norm"])
    assert all(torch.allclose(w_grads[n], m_grads[n], rtol=1e-4, atol=1e-7) for n in w_grads)


def test_recipe_runs_end_to_end_and_writes_a_run_directory(tmp_path):
    cfg = PRESETS["kuhn-poker"]()
    cfg.steps, cfg.minutes, cfg.rollout.games, cfg.eval.every, cfg.eval.games = 6, 0, 64, 3, 20
    cfg.checkpoint_every = 3
    cfg.model.tiny = TinyConfig(hidden=64, layers=2)
    final = train(cfg, tmp_path)
    assert final["step"] == 6
    assert 0 <= final["eval/exploitability"] <= 1.5
    for name in ("config.json", "metrics.jsonl", "learning_curve.png", "checkpoints/LATEST"):
        assert (tmp_path / name).exists(), name
    steps = [int(line.split('"step": ')[1].split(",")[0]) for line in (tmp_path / "metrics.jsonl").open()]
    assert steps == list(range(0, 7))
    assert sorted(p.name for p in (tmp_path / "checkpoints").glob("step-*")) == ["step-0000003", "step-0000006"]


def test_a_wall_clock_budget_ends_a_step_early_with_a_final_evaluation_and_checkpoint(tmp_path):
    from sparring.runs import fits

    # another step as long as the last, plus a final evaluation as long as the last one
    assert fits(elapsed=0, step_seconds=10, eval_seconds=5, budget=25)
    assert not fits(elapsed=0, step_seconds=10, eval_seconds=5.5, budget=25)
    assert not fits(elapsed=6, step_seconds=10, eval_seconds=0, budget=25)
    assert fits(elapsed=1e6, step_seconds=1e3, eval_seconds=1e3, budget=float("inf"))

    cfg = PRESETS["kuhn-poker"]()
    cfg.steps, cfg.minutes, cfg.rollout.games, cfg.eval.every, cfg.checkpoint_every = 10**6, 0.02, 64, 0, 10**6
    cfg.model.tiny = TinyConfig(hidden=64, layers=2)
    final = train(cfg, tmp_path)
    # the budget, not the step count, ended it; its last step was evaluated and saved
    assert 0 < final["step"] < 10**6 and "eval/exploitability" in final
    assert (tmp_path / "checkpoints" / f"step-{final['step']:07d}").exists()


def test_placement_bfloat16_trains_and_bad_devices_fail_clearly():
    import pytest

    from sparring.config import ConfigError, ModelConfig, RunConfig, set_value, validate
    from sparring.models.presets import ModelError, build_model, placement

    # the precision a GPU run uses, exercised on the CPU: generate, train, every weight moves
    cfg = ModelConfig(name="tiny", device="cpu", dtype="bfloat16", tiny=TinyConfig(hidden=64, layers=2))
    model, tok = build_model(cfg, seed=0)
    assert model.dtype == torch.bfloat16 and placement(ModelConfig())[1] in (torch.float32, torch.bfloat16)
    policy = LMPolicy(model, tok, mode="generate", max_new_tokens=6)
    learner, rng, game = Learner(policy, LearnerConfig(lr=1e-2)), random.Random(0), make_game("tic_tac_toe")
    before = _snapshot(model)
    episodes = play(game, [[policy] * 2] * 16, list(range(16)), rng, invalid="random")
    samples, _, _ = to_samples(episodes, "self", RewardConfig(per_invalid=-0.1), "group", 0.9, {})
    assert math.isfinite(learner.step(samples, rng)["train/loss"])
    assert any(not torch.equal(p.detach(), before[n]) for n, p in model.named_parameters())
    bad = RunConfig()
    with pytest.raises(ConfigError, match="model.device"):
        set_value(bad, "model.device=gpu0")
        validate(bad)
    if not torch.cuda.is_available():
        with pytest.raises(ModelError, match="no CUDA device"):
            build_model(ModelConfig(name="tiny", device="cuda"), seed=0)


def test_a_value_head_learns_beside_the_policy_and_resumes_from_its_checkpoint(tmp_path):
    from sparring import checkpoint
    from sparring.recipes.selfplay import make_policy
    from sparring.runs import Run

    cfg = PRESETS["tic-tac-toe"]()
    cfg.steps, cfg.minutes, cfg.rollout.games, cfg.eval.every, cfg.checkpoint_every = 2, 0, 32, 0, 1
    cfg.eval.opponents, cfg.eval.games = ["random"], 10
    cfg.advantage.estimator, cfg.learner.value_coef = "gae", 0.5
    cfg.model.tiny = TinyConfig(hidden=64, layers=2)
    final = train(cfg, tmp_path)
    assert final["step"] == 2 and math.isfinite(final["train/value_loss"]) and final["train/value_loss"] > 0
    saved = checkpoint.load_state(checkpoint.latest(tmp_path))[1]["critic"]
    assert set(saved["kinds"]) <= {"self", "random", "optimal"} and saved["kinds"]
    assert saved["weights"]["head.weight"].abs().sum() > 0  # it starts at zero: it was trained
    resumed = Run(cfg, tmp_path, resume=True, make_policy=make_policy)
    assert torch.equal(resumed.learner.critic.head.weight, saved["weights"]["head.weight"])
    assert resumed.learner.critic.kinds == saved["kinds"]
    cfg.advantage.estimator, cfg.learner.value_coef = "rae", 0.0  # a resume must not drop the head
    with pytest.raises(ConfigError, match="value head"):
        Run(cfg, tmp_path, resume=True, make_policy=make_policy)
