"""Recipes: one short module per method family, plus named presets of their configs."""
from __future__ import annotations

from sparring.config import RunConfig


def reasoning(cfg: RunConfig) -> RunConfig:
    """A pretrained model on any game, SPIRAL-style: it reasons in text and states its
    move in \\boxed{}; LoRA adapters train (``model.finetune=auto``); a forfeit costs
    the offender -1.5 and gives the other player +0.5 in training (evaluation keeps
    the plain +-1); half the games against the pool (random and the learner's past
    selves).  Sized for a 135M model on 2 CPU cores, where prompt and generated
    tokens are the cost: 32 games a step, answers cut at 64 tokens (a cut answer is
    an invalid move), PPO minibatches of 16 decisions (several updates a step)."""
    cfg.model.mode, cfg.model.prompt, cfg.model.max_new_tokens, cfg.model.temperature = "generate", "reason", 64, 0.7
    cfg.rollout.games, cfg.rollout.pool_prob, cfg.rollout.snapshot_every = 32, 0.5, 5
    cfg.rollout.opponents = ["random"]
    cfg.reward.invalid_penalty, cfg.reward.invalid_other = -1.5, 0.5
    cfg.learner = type(cfg.learner)(lr=5e-4, minibatch=16, micro_batch=8)
    cfg.checkpoint_every, cfg.keep_checkpoints = 5, 100
    cfg.eval.every, cfg.eval.games, cfg.eval.greedy, cfg.eval.opponents = 10, 25, False, ["random"]
    return cfg


def _reasoning_game(recipe: str, game: str) -> RunConfig:
    """A game preset for a pretrained model: 30 minutes, the scripted heuristic in the pool too."""
    cfg = reasoning(RunConfig(recipe=recipe, game=game, steps=10**9, minutes=30))
    cfg.rollout.opponents = ["random", "heuristic"]
    return cfg


def kuhn_poker(model: str = "tiny") -> RunConfig:
    if model != "tiny":
        return _reasoning_game("kuhn-poker", "kuhn_poker")
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


def tic_tac_toe(model: str = "tiny") -> RunConfig:
    if model != "tiny":
        return _reasoning_game("tic-tac-toe", "tic_tac_toe")
    # mirror self-play in a quarter of the games, the rest against a pool of fixed
    # opponents (random, and the exact optimal player), each with its own RAE
    # baseline; the compact board view (a dozen tokens a prompt) makes a step ~4x
    # cheaper than the natural-language one, and turning it to the least of its
    # mirror images (view=symmetric) makes positions repeat, each scored once: a
    # step of 2,048 games costs about what 1,024 did.  KL(uniform || policy) keeps
    # every legal move alive, which entropy bonuses and a KL to a moving reference
    # did not: those policies turned deterministic early and stopped learning to block.
    cfg = RunConfig(recipe="tic-tac-toe", game="tic_tac_toe(view=symmetric)", steps=100000, minutes=10,
                    checkpoint_every=20)
    cfg.rollout.games = 2048
    cfg.rollout.opponents = ["random", "optimal"]
    cfg.rollout.pool_prob = 0.75
    cfg.learner.lr = 1e-3
    cfg.learner.epochs = 2
    cfg.learner.explore_coef = 0.05
    cfg.reward.discount = 0.9
    cfg.learner.lr_final = 0.1
    cfg.learner.decay_steps = 150
    cfg.eval.every = 10
    cfg.eval.opponents = ["random", "optimal"]
    cfg.eval.games = 200
    cfg.eval.greedy = True
    return cfg


def selfplay(model: str = "tiny") -> RunConfig:
    """Mirror self-play on any game (``--game``); short defaults to try a game out."""
    cfg = RunConfig(recipe="selfplay", game="kuhn_poker", steps=100)
    cfg.eval.every = 25
    return cfg if model == "tiny" else reasoning(cfg)


def propose_solve_arithmetic(model: str = "tiny") -> RunConfig:
    """One model proposes arithmetic tasks, solves them and (with a pretrained model)
    judges its answers.  ``tiny`` writes bare expressions (it cannot write prose);
    a pretrained model writes word problems with the expression that answers them,
    and is measured on held-out maths word problems (MAWPS) as it trains."""
    cfg = RunConfig(recipe="propose-solve-arithmetic", game="", steps=10**9, checkpoint_every=10)
    cfg.model.mode = "generate"
    if model == "tiny":
        # R-Zero's band reward and a KL anchor to the untrained model: with Absolute
        # Zero's reward, or without the anchor, the proposer outran the solver (its
        # solve rate fell to ~0) or collapsed onto one task it repeated
        cfg.minutes = 10
        cfg.tasks.learnability, cfg.learner.kl_coef = "band", 0.05
        cfg.tasks.domain = "arithmetic(style=expression)"
        cfg.tasks.proposals, cfg.tasks.attempts = 64, 4
        cfg.tasks.propose_tokens, cfg.tasks.solve_tokens = 12, 10
        cfg.learner.lr = 1e-3
        return cfg
    cfg.minutes = 45
    # sized for a 135M model on 2 CPU cores (a step is about a minute): generated
    # tokens are the cost, so answers are cut at 64 tokens (which also rewards getting
    # to the point: a cut answer rarely states its result)
    cfg.tasks.proposals, cfg.tasks.attempts, cfg.tasks.judge = 16, 4, 0.25
    cfg.tasks.propose_tokens, cfg.tasks.solve_tokens = 96, 64
    cfg.model.temperature = 0.8
    cfg.learner = type(cfg.learner)(lr=5e-4, minibatch=16, micro_batch=8)
    cfg.eval.every, cfg.eval.suites, cfg.eval.suite_limit = 15, ["mawps_singleop"], 64
    cfg.keep_checkpoints = 100
    return cfg


def propose_solve_code(model: str = "tiny") -> RunConfig:
    """Absolute Zero's three task kinds on Python programs (deduction, abduction,
    induction); every program runs in the sandbox."""
    cfg = propose_solve_arithmetic(model)
    cfg.recipe = "propose-solve-code"
    cfg.tasks.domain = "code"
    cfg.tasks.propose_tokens, cfg.tasks.solve_tokens = 160, 128
    cfg.tasks.proposals = 16 if model == "tiny" else 8
    cfg.eval.suites = []
    return cfg


PRESETS = {"kuhn-poker": kuhn_poker, "tic-tac-toe": tic_tac_toe, "selfplay": selfplay,
           "propose-solve-arithmetic": propose_solve_arithmetic, "propose-solve-code": propose_solve_code}


def trainer(recipe: str):
    """The training function of a recipe: tasks for the propose-solve recipes, games for the rest."""
    if recipe.startswith("propose-solve"):
        from sparring.recipes.propose_solve import train
    else:
        from sparring.recipes.selfplay import train
    return train
