"""Recipes: one short module per method family, plus named presets of their configs."""
from __future__ import annotations

from sparring.config import RunConfig


def kuhn_poker() -> RunConfig:
    # 1024 games a step are cheap here (12 information states, scored once each);
    # the learning rate decays so that the last iterate settles near equilibrium
    cfg = RunConfig(recipe="kuhn-poker", game="kuhn_poker", steps=1000, minutes=10, checkpoint_every=50)
    cfg.rollout.games = 1024
    cfg.learner.lr = 3e-4
    cfg.learner.kl_coef = 1.0
    cfg.learner.ref_every = 10
    cfg.learner.lr_final = 0.02
    cfg.learner.decay_steps = 900
    cfg.eval.every = 20
    cfg.eval.opponents = ["random"]
    cfg.eval.games = 200
    return cfg


def tic_tac_toe() -> RunConfig:
    # mirror self-play in a quarter of the games, the rest against a pool of fixed
    # opponents (random, and the exact optimal player), each with its own RAE
    # baseline; the compact board view (a dozen tokens a prompt) makes a step ~4x
    # cheaper than the natural-language one.  KL(uniform || policy) keeps every
    # legal move alive, which entropy bonuses and a KL to a moving reference did
    # not: those policies turned deterministic early and stopped learning to block.
    cfg = RunConfig(recipe="tic-tac-toe", game="tic_tac_toe(view=compact)", steps=100000, minutes=10,
                    checkpoint_every=20)
    cfg.rollout.games = 1024
    cfg.rollout.opponents = ["random", "optimal"]
    cfg.rollout.pool_prob = 0.75
    cfg.learner.lr = 1e-3
    cfg.learner.epochs = 2
    cfg.learner.explore_coef = 0.05
    cfg.learner.lr_final = 0.1
    cfg.learner.decay_steps = 200
    cfg.eval.every = 10
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
