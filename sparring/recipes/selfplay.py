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
import time
from pathlib import Path

from rich.console import Console

from sparring.arena import make_game
from sparring.config import RunConfig
from sparring.evaluation.plots import learning_curve
from sparring.evaluation.suite import evaluate
from sparring.models.lm import LMPolicy
from sparring.models.snapshots import Snapshots
from sparring.pool import Pool, seatings
from sparring.ratings import Ladder
from sparring.rollout.play import play
from sparring.rollout.samples import to_samples
from sparring.runs import Run, to_tuple


def make_policy(cfg: RunConfig, model, tokenizer, pid: str = "self", greedy: bool = False) -> LMPolicy:
    m = cfg.model
    return LMPolicy(model, tokenizer, id=pid, mode=m.mode, temperature=m.temperature, greedy=greedy,
                    max_new_tokens=m.max_new_tokens, score=m.score, prompt=m.prompt)


def train(cfg: RunConfig, run_dir: Path, resume: bool = False, console: Console | None = None) -> dict:
    run = Run(cfg, run_dir, resume, make_policy, console)
    game, policy, model, tokenizer = make_game(cfg.game), run.policy, run.model, run.tokenizer
    snapshots = Snapshots(cfg.model, cfg.seed, lambda m, tok, pid: make_policy(cfg, m, tok, pid=pid))
    pool = Pool(game, cfg.rollout.opponents, cfg.rollout.pool_latest, snapshots.load, seed=cfg.seed,
                sampling=cfg.rollout.pool_sampling)
    pool.restore(run.state.get("pool", {}))
    ladder = Ladder(run.state.get("ladder"))
    baselines = {to_tuple(k): v for k, v in run.state.get("baselines", [])}  # keys nest tuples (opponents)
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
        (run.dir / "eval").mkdir(exist_ok=True)
        (run.dir / "eval" / f"step-{run.step:07d}.json").write_text(json.dumps(report, indent=2))
        return metrics

    def rated_as() -> str:  # the learner's name on the ladder: the checkpoint it was at (or will be) this step
        every = cfg.rollout.snapshot_every or cfg.checkpoint_every
        return f"self@{run.step - run.step % every}"

    if run.step == 0:
        run.log.write({"step": 0, "minutes": 0.0, **run.evaluate(run_eval)})
    summary = ""
    with run.progress(f"{cfg.recipe}:{cfg.game}") as progress:
        while run.running():
            t0 = time.perf_counter()
            # arena -> rollout: who plays whom, then play the batch of games
            seats = seatings(policy, pool, cfg.rollout.games, game.num_players, cfg.rollout.pool_prob, run.rng,
                             ladder, rated_as())
            seeds = [run.rng.randrange(2**31) for _ in seats]
            episodes = play(game, seats, seeds, run.rng, max_turns=cfg.rollout.max_turns,
                            invalid=cfg.rollout.invalid, strict={policy.id})
            ladder.record(episodes, {policy.id: rated_as()})
            # rewards -> advantages -> learner
            samples, baselines, stats = to_samples(episodes, policy.id, cfg.reward, cfg.advantage.estimator,
                                                   cfg.advantage.decay, baselines, cfg.advantage.per_state,
                                                   run.learner.values, cfg.advantage.lam)
            stats.update(run.learner.step(samples, run.rng))
            run.step += 1
            if cfg.rollout.snapshot_every and run.step % cfg.rollout.snapshot_every == 0:
                pool.add_snapshot(run.step, model, tokenizer, run.dir)
            last = run.last_step(time.perf_counter() - t0)
            if last or (cfg.eval.every and run.step % cfg.eval.every == 0):
                stats.update(run.evaluate(run_eval))
                summary = _summary(stats)
            # the clock counts everything a run does (rollout, learning, evaluation), as a user waits for it
            run.elapsed += time.perf_counter() - t0
            last = last or run.elapsed >= run.budget  # an evaluation may have used up the budget
            run.log.write({"step": run.step, "minutes": run.elapsed / 60, **stats})
            if last or run.step % cfg.checkpoint_every == 0:
                run.save({"baselines": [[list(k), v] for k, v in baselines.items()], "pool": pool.state(),
                          "ladder": ladder.state()})
            progress.update(run.task, completed=run.step, info=f"{summary}  loss {stats.get('train/loss', 0):+.3f}")
            if not run.console.is_terminal and (last or "eval/seconds" in stats):
                run.console.print(f"step {run.step}  {run.elapsed / 60:.1f} min  {summary}")
    plot = learning_curve(run.log.rows, run.dir / "learning_curve.png", title=f"{cfg.recipe} on {cfg.game}")
    ladder.write(run.dir)
    final = dict(run.log.rows[-1]) if run.log.rows else {}
    final["run_dir"] = str(run.dir)
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
