"""Rollout and training throughput, next to this machine's own matrix-multiply limit.

    python benchmarks/rollout_speed.py [--model smollm2-135m] [--games 32] [--threads 0]

Measured in one run, so the ratios hold on a shared, noisy machine:

* ``matmul``: fp32 GFLOP/s of a square matrix multiply (torch, same threads);
* ``rollout``: one batch of Kuhn Poker games in *generate* mode (reasoning
  prompt, batched sampling with the KV cache): generated tokens/s, and the
  model FLOP/s that implies (2 x parameters per token, prompt and generated;
  every prompt token is counted, so with the shared-prefix cache, which computes
  the batch's common instructions once, this is the work a rollout without that
  cache would have done per second, an effective rate);
* ``training``: one learner step on those games' samples: tokens/s and FLOP/s
  (forward + backward: 6 x parameters per token for full fine-tuning; about 4 x
  with LoRA, whose frozen weights get no weight gradients).

Each FLOP/s figure is also given as a fraction of the measured matmul rate.
Writes benchmarks/results/rollout_speed_<model>.json.
"""
from __future__ import annotations

import argparse
import json
import random
import time

import torch
from common import RESULTS, machine

from sparring.arena import make_game
from sparring.config import ModelConfig
from sparring.learner import Learner, LearnerConfig
from sparring.models.lm import LMPolicy
from sparring.models.presets import build_model, uses_lora
from sparring.rewards.shaping import RewardConfig
from sparring.rollout.play import play
from sparring.rollout.samples import to_samples


def matmul_gflops(n: int = 1024, seconds: float = 3.0) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n**3 * count / (time.perf_counter() - start) / 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--games", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    peak = matmul_gflops()
    print(f"matmul: {peak:.1f} GFLOP/s", flush=True)

    cfg = ModelConfig(name=args.model)
    model, tok = build_model(cfg, seed=0)
    params = sum(p.numel() for p in model.parameters())
    policy = LMPolicy(model, tok, mode="generate", prompt="reason", max_new_tokens=args.max_new_tokens)
    game, rng = make_game("kuhn_poker"), random.Random(0)

    start = time.perf_counter()
    episodes = play(game, [[policy, policy]] * args.games, list(range(args.games)), rng)
    rollout_s = time.perf_counter() - start
    turns = [t for ep in episodes for t in ep.turns]
    generated = sum(len(t.decision.completion_ids) for t in turns)
    prompt_tokens = sum(len(policy._encode_prompts([t.prompt])[0]) for t in turns)
    rollout_flops = 2 * params * (generated + prompt_tokens) / rollout_s / 1e9

    samples, _, _ = to_samples(episodes, policy.id, RewardConfig(), "group", 0.9, {})
    learner = Learner(policy, LearnerConfig(lr=1e-5, micro_batch=8))
    trained = sum(len(policy._encode_prompts([s.prompt])[0]) + len(s.decision.completion_ids) for s in samples)
    start = time.perf_counter()
    learner.step(samples, rng)
    train_s = time.perf_counter() - start
    per_token = 4 if uses_lora(cfg) else 6
    train_flops = per_token * params * trained / train_s / 1e9

    result = {
        "command": f"python benchmarks/rollout_speed.py --model {args.model} --games {args.games}",
        "model": args.model, "parameters": params, "lora": uses_lora(cfg),
        "matmul_gflops": round(peak, 2),
        "rollout": {"games": args.games, "decisions": len(turns), "seconds": round(rollout_s, 2),
                    "generated_tokens": generated, "prompt_tokens": prompt_tokens,
                    "generated_tokens_per_s": round(generated / rollout_s, 1),
                    "model_gflops": round(rollout_flops, 2), "fraction_of_matmul": round(rollout_flops / peak, 3)},
        "training": {"samples": len(samples), "tokens": trained, "seconds": round(train_s, 2),
                     "tokens_per_s": round(trained / train_s, 1), "flops_per_token": f"{per_token} x parameters",
                     "model_gflops": round(train_flops, 2), "fraction_of_matmul": round(train_flops / peak, 3)},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"rollout_speed_{args.model.replace('/', '_')}.json"
    out.write_text(json.dumps({"machine": machine(), **result}, indent=2))
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
