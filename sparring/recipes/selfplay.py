"""Game self-play (SPIRAL-style), top to bottom:

    matchmaking -> rollout -> rewards -> advantages (RAE) -> learner -> checkpoint -> evaluation

One shared policy plays every seat (mirror self-play), optionally against a pool
of fixed bots and past selves.  The learner minimises a clipped policy-gradient
loss plus a KL penalty towards a *moving* reference policy that is reset to the
current policy every ``learner.ref_every`` steps: a proximal / magnetic-mirror-
descent style regulariser that damps the cycling of plain self-play policy
gradient, so the *last* iterate approaches equilibrium (see docs/algorithms.md).
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from transformers.utils import logging as hf_logging

from sparring import checkpoint
from sparring.arena import make_game
from sparring.config import RunConfig, save as save_config
from sparring.evaluation.plots import learning_curve
from sparring.evaluation.suite import evaluate
from sparring.learner import Learner
from sparring.models.lm import LMPolicy
from sparring.models.presets import build_model
from sparring.models.snapshots import Snapshots
from sparring.pool import Pool, seatings
from sparring.ratings import Ladder
from sparring.rollout.play import play
from sparring.rollout.samples import to_samples
from sparring.runs import MetricsLog


def make_policy(cfg: RunConfig, model, tokenizer, pid: str = "self", greedy: bool = False) -> LMPolicy:
    m = cfg.model
    return LMPolicy(model, tokenizer, id=pid, mode=m.mode, temperature=m.temperature, greedy=greedy,
                    max_new_tokens=m.max_new_tokens, score=m.score, prompt=m.prompt)


def train(cfg: RunConfig, run_dir: Path, resume: bool = False, console: Console | None = None) -> dict:
    console = console or Console()
    hf_logging.disable_progress_bar()  # our own progress line is the one to watch
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    game = make_game(cfg.game)

    # -- the learner, fresh or from the latest checkpoint ---------------------------
    ckpt = checkpoint.latest(run_dir) if resume else None
    torch.manual_seed(cfg.seed)
    model, tokenizer = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    policy = make_policy(cfg, model, tokenizer)
    learner = Learner(policy, cfg.learner)
    snapshots = Snapshots(cfg.model, cfg.seed, lambda m, tok, pid: make_policy(cfg, m, tok, pid=pid))
    pool = Pool(game, cfg.rollout.opponents, cfg.rollout.pool_latest, snapshots.load, seed=cfg.seed,
                sampling=cfg.rollout.pool_sampling)
    ladder = Ladder()
    rng = random.Random(cfg.seed)
    step, elapsed, baselines = 0, 0.0, {}
    if ckpt is not None:
        state, trainer = checkpoint.load_state(ckpt)
        learner.optimizer.load_state_dict(trainer["optimizer"])
        learner.load_reference_state(trainer.get("reference", {}))
        torch.set_rng_state(trainer["torch_rng"])
        rng.setstate(_to_tuple(state["rng"]))
        step, elapsed, learner.steps = state["step"], state["elapsed"], state["learner_steps"]
        baselines = {_to_tuple(k): v for k, v in state["baselines"]}  # keys nest tuples (opponents)
        pool.restore(state["pool"])
        ladder = Ladder(state.get("ladder"))
        console.print(f"resumed {run_dir} at step {step} ({elapsed / 60:.1f} min trained)")
    save_config(cfg, run_dir / "config.json")
    if ckpt is None:  # a fresh start (or a resume killed before its first checkpoint)
        (run_dir / "metrics.jsonl").unlink(missing_ok=True)
    log = MetricsLog(run_dir / "metrics.jsonl", resume_step=step)
    bots: dict = {}
    skipped: dict[str, str] = {}  # what could not be evaluated on this game, and why

    def run_eval() -> dict[str, float]:
        eval_policy = make_policy(cfg, model, tokenizer, greedy=False)
        played: list = []
        metrics, report = evaluate(game, eval_policy, cfg.eval.opponents, cfg.eval.games, cfg.eval.greedy,
                                   cfg.eval.exploitability, seed=cfg.seed + 1, bots=bots, episodes_out=played,
                                   samples=cfg.eval.samples)
        ladder.record(played, {policy.id: rated_as()})
        skipped.update(report.get("skipped", {}))
        if "exploitability_skipped" in report:
            skipped["exploitability"] = report["exploitability_skipped"]
        (run_dir / "eval").mkdir(exist_ok=True)
        (run_dir / "eval" / f"step-{step:07d}.json").write_text(json.dumps(report, indent=2))
        return metrics

    def rated_as() -> str:  # the learner's name on the ladder: the checkpoint it was at (or will be) this step
        every = cfg.rollout.snapshot_every or cfg.checkpoint_every
        return f"self@{step - step % every}"

    def save() -> None:
        state = {"rng": rng.getstate(), "elapsed": elapsed, "learner_steps": learner.steps,
                 "baselines": [[list(k), v] for k, v in baselines.items()], "pool": pool.state(),
                 "ladder": ladder.state()}
        checkpoint.save(run_dir, step, model, tokenizer, learner.optimizer, state, cfg.keep_checkpoints,
                        extra={"reference": learner.reference_state()})

    if step == 0:
        log.write({"step": 0, "minutes": 0.0, **run_eval()})
    budget = cfg.minutes * 60 if cfg.minutes else float("inf")
    summary = ""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=console,
                  transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"{cfg.recipe}:{cfg.game}", total=cfg.steps, completed=step, info="")
        while step < cfg.steps and elapsed < budget:
            t0 = time.perf_counter()
            # arena -> rollout: who plays whom, then play the batch of games
            seats = seatings(policy, pool, cfg.rollout.games, game.num_players, cfg.rollout.pool_prob, rng,
                             ladder, rated_as())
            seeds = [rng.randrange(2**31) for _ in seats]
            episodes = play(game, seats, seeds, rng, max_turns=cfg.rollout.max_turns, invalid=cfg.rollout.invalid,
                            strict={policy.id})
            ladder.record(episodes, {policy.id: rated_as()})
            # rewards -> advantages -> learner
            samples, baselines, stats = to_samples(episodes, policy.id, cfg.reward, cfg.advantage.estimator,
                                                   cfg.advantage.decay, baselines, cfg.advantage.per_state)
            stats.update(learner.step(samples, rng))
            step += 1
            if cfg.rollout.snapshot_every and step % cfg.rollout.snapshot_every == 0:
                pool.add_snapshot(step, model, tokenizer, run_dir)
            last = step >= cfg.steps or elapsed + time.perf_counter() - t0 >= budget
            if last or (cfg.eval.every and step % cfg.eval.every == 0):
                stats.update(run_eval())
                summary = _summary(stats)
            # the clock counts everything a run does (rollout, learning, evaluation), as a user waits for it
            elapsed += time.perf_counter() - t0
            last = last or elapsed >= budget  # an evaluation may have used up the budget
            log.write({"step": step, "minutes": elapsed / 60, **stats})
            if last or step % cfg.checkpoint_every == 0:
                save()
            progress.update(task, completed=step, info=f"{summary}  loss {stats.get('train/loss', 0):+.3f}")
            if not console.is_terminal and (last or "eval/seconds" in stats):
                console.print(f"step {step}  {elapsed / 60:.1f} min  {summary}")
    plot = learning_curve(log.rows, run_dir / "learning_curve.png", title=f"{cfg.recipe} on {cfg.game}")
    ladder.write(run_dir)
    final = dict(log.rows[-1]) if log.rows else {}
    final["run_dir"] = str(run_dir)
    final["eval_skipped"] = skipped
    final["plot"] = str(plot) if plot else None
    return final


def _summary(stats: dict) -> str:
    parts = []
    if "eval/exploitability" in stats:
        parts.append(f"exploitability {stats['eval/exploitability']:.3f}")
    for k, v in stats.items():
        if k.startswith("eval/vs_") and k.endswith("/win"):
            name = k.split("/")[1].removeprefix("vs_")
            parts.append(f"{name} W{v:.2f}/L{stats.get(k[:-4] + '/loss', 0):.2f}")
    return "  ".join(parts)


def _to_tuple(x):
    return tuple(_to_tuple(i) for i in x) if isinstance(x, list) else x
