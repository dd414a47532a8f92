"""Recipes: one short module per method family, plus named presets of their configs."""
from __future__ import annotations

from sparring.config import RunConfig


def kuhn_poker() -> RunConfig:
    cfg = RunConfig(recipe="kuhn-poker", game="kuhn_poker", steps=600, minutes=10, checkpoint_every=50)
    cfg.rollout.games = 1024
    cfg.learner.lr = 3e-4
    cfg.learner.kl_coef = 1.0
    cfg.learner.ref_every = 10
    cfg.learner.lr_final = 0.05
    cfg.learner.decay_steps = 500
    cfg.eval.every = 20
    cfg.eval.opponents = ["random"]
    cfg.eval.games = 200
    return cfg


def tic_tac_toe() -> RunConfig:
    cfg = RunConfig(recipe="tic-tac-toe", game="tic_tac_toe", steps=200, minutes=10, checkpoint_every=20)
    cfg.rollout.games = 256
    cfg.learner.lr = 1e-3
    cfg.eval.every = 20
    cfg.eval.opponents = ["random", "optimal"]
    cfg.eval.games = 200
    cfg.eval.greedy = True
    return cfg


def selfplay() -> RunConfig:
    """Mirror self-play on any game (``--game``); short defaults to try a game out."""
    cfg = RunConfig(recipe="selfplay", game="kuhn_poker", steps=100)
    cfg.eval.every = 25
    return cfg


PRESETS = {"kuhn-poker": kuhn_poker, "tic-tac-toe": tic_tac_toe, "selfplay": selfplay}
