"""`sparring play` through stdin, `sparring export` to a plain transformers model, and
LoRA snapshots as adapters on one shared base."""
from __future__ import annotations

import random
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from sparring import checkpoint
from sparring.arena import make_game
from sparring.cli import main
from sparring.config import RunConfig
from sparring.models.lm import LMPolicy
from sparring.models.presets import build_model
from sparring.models.snapshots import Snapshots
from sparring.models.tiny import TinyConfig
from sparring.recipes.selfplay import make_policy, train


def _tiny_run(run_dir, finetune="full", **rollout):
    cfg = RunConfig(game="tic_tac_toe", steps=2, checkpoint_every=1)
    cfg.model.tiny = TinyConfig(hidden=64, layers=2)
    cfg.model.finetune = finetune
    cfg.rollout.games = 32
    for k, v in rollout.items():
        setattr(cfg.rollout, k, v)
    cfg.eval.every, cfg.eval.games, cfg.eval.exploitability = 0, 10, False
    train(cfg, run_dir)
    return cfg


def _states(n=40, seed=0):
    game, rng, out = make_game("tic_tac_toe"), random.Random(seed), []
    for _ in range(n):
        s = game.new_state(0)
        for _ in range(rng.randrange(7)):
            s.apply(rng.choice(s.legal_actions()))
            if s.is_terminal():
                break
        if not s.is_terminal():
            out.append(s)
    return out


def test_play_a_full_game_on_stdin_with_an_illegal_move_answered(tmp_path):
    _tiny_run(tmp_path / "run")
    moves = "banana\n" + "\n".join(str(c) for c in range(1, 10)) + "\n"
    proc = subprocess.run([sys.executable, "-m", "sparring.cli", "play", str(tmp_path / "run"), "--seat", "0",
                           "--seed", "3"], input=moves, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "'banana' is not a legal move here; legal moves: 1, 2, 3, 4, 5, 6, 7, 8, 9" in proc.stdout
    assert "model (P1) plays:" in proc.stdout
    assert "game over:" in proc.stdout and "Traceback" not in proc.stderr
    bad = subprocess.run([sys.executable, "-m", "sparring.cli", "play", str(tmp_path / "run"), "--seat", "7"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--seat" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_exported_merged_model_reloads_with_plain_transformers_and_plays_the_same(tmp_path):
    cfg = _tiny_run(tmp_path / "run", finetune="lora")
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "merged")]) == 0
    plain = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    assert not any("lora" in name for name in plain.state_dict())
    tok = AutoTokenizer.from_pretrained(tmp_path / "merged")
    model, tok0 = build_model(cfg.model, cfg.seed, checkpoint=checkpoint.latest(tmp_path / "run"))
    ours, theirs = LMPolicy(model, tok0, greedy=True), LMPolicy(plain.eval(), tok, greedy=True)
    states = _states()
    with torch.no_grad():
        a, b = ours.probabilities(states), theirs.probabilities(states)
    assert [max(p, key=p.get) for p in a] == [max(p, key=p.get) for p in b]
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "merged")]) == 2  # never overwrites


def test_lora_snapshots_share_one_base_and_act_like_their_checkpoint(tmp_path):
    cfg = _tiny_run(tmp_path / "run", finetune="lora", snapshot_every=1)
    paths = sorted((tmp_path / "run" / "pool").glob("step-*"))
    assert len(paths) == 2
    snaps = Snapshots(cfg.model, cfg.seed, lambda m, t, pid: make_policy(cfg, m, t, pid=pid))
    one, two = snaps.load(paths[0], "self@1"), snaps.load(paths[1], "self@2")
    assert one.policy.model is two.policy.model  # one base, two adapters
    states = _states(10)
    for path, snap in ((paths[0], one), (paths[1], two), (paths[0], one)):
        alone = make_policy(cfg, *build_model(cfg.model, cfg.seed, checkpoint=path))
        with torch.no_grad():
            want, got = alone.probabilities(states), snap.probabilities(states)
        assert all(abs(w[k] - g[k]) < 1e-5 for w, g in zip(want, got) for k in w)
