"""Proposer / solver / judge co-evolution on verifiable tasks (Absolute Zero,
R-Zero, Multi-Agent Evolve), top to bottom:

    propose -> validate (verifier, sandbox) -> solve (several attempts) -> verify
            -> judge (optional) -> rewards -> advantages (TRR++) -> learner

One model plays every role, by prompt.  The proposer is rewarded for tasks the
current solver sometimes but not always solves (learnability), minus a penalty
for near-duplicates of other proposals and recent tasks; an invalid proposal gets
the lowest reward.  The solver is rewarded by the verifier (or by the judge, where
``tasks.solver_reward=judge`` stands in for a domain with no verifier).  The judge
is rewarded for agreeing with the verifier.  Advantages are normalised per
(role, task kind), as in Absolute Zero's TRR++, and a solver's answers to a task
that it always or never solves are skipped: they carry no signal.
"""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import torch
from rich.console import Console

from sparring.advantages import group_normalized, varied
from sparring.arena.tasks import Task, judge_prompt, make_domain, parse_verdict
from sparring.config import RunConfig, TaskConfig
from sparring.evaluation.maths import MAX_NEW_TOKENS, evaluate_suite, load_suite
from sparring.evaluation.plots import CURRICULUM, learning_curve
from sparring.models.lm import LMPolicy
from sparring.rewards.learnability import (
    judge_rewards,
    proposer_rewards,
    repetition_penalty,
)
from sparring.runs import Run
from sparring.types import Decision, Sample


def make_policy(cfg: RunConfig, model, tokenizer, tokens: int | None = None, greedy: bool = False) -> LMPolicy:
    return LMPolicy(model, tokenizer, mode="generate", temperature=cfg.model.temperature, greedy=greedy,
                    max_new_tokens=tokens or cfg.model.max_new_tokens)


def train(cfg: RunConfig, run_dir: Path, resume: bool = False, console: Console | None = None) -> dict:
    run = Run(cfg, run_dir, resume, make_policy, console)
    domain, tc = make_domain(cfg.tasks.domain), cfg.tasks
    roles = {role: make_policy(cfg, run.model, run.tokenizer, tokens)
             for role, tokens in (("propose", tc.propose_tokens), ("solve", tc.solve_tokens),
                                  ("judge", tc.judge_tokens))}
    memory: list[Task] = [Task(**t) for t in run.state.get("memory", [])]  # recent valid tasks
    suites = {name: load_suite(name, cfg.eval.suite_limit or None) for name in cfg.eval.suites}
    proposals_log = run.dir / "proposals.jsonl"

    def run_eval() -> dict[str, float]:
        greedy = make_policy(cfg, run.model, run.tokenizer, tokens=MAX_NEW_TOKENS, greedy=True)
        return {f"eval/{name}/accuracy": evaluate_suite(greedy, qs)["accuracy"] for name, qs in suites.items()}

    if run.step == 0 and suites:
        run.log.write({"step": 0, "minutes": 0.0, **run.evaluate(run_eval)})
    with run.progress(f"{cfg.recipe}:{cfg.tasks.domain}") as progress:
        while run.running():
            t0 = time.perf_counter()
            records, stats, shown = task_step(domain, roles, tc, memory, run.rng)
            samples = to_samples(records, stats)
            stats.update(run.learner.step(samples, run.rng))
            run.step += 1
            with open(proposals_log, "a") as f:
                f.writelines(json.dumps({"step": run.step, **p}) + "\n" for p in shown)
            last = run.last_step(time.perf_counter() - t0)
            if suites and (last or (cfg.eval.every and run.step % cfg.eval.every == 0)):
                stats.update(run.evaluate(run_eval))
            run.elapsed += time.perf_counter() - t0
            last = last or run.elapsed >= run.budget
            run.log.write({"step": run.step, "minutes": run.elapsed / 60, **stats})
            if last or run.step % cfg.checkpoint_every == 0:
                run.save({"memory": [vars(t) for t in memory]})
            info = f"valid {stats.get('propose/valid', 0):.2f}  solved {stats.get('solve/accuracy', 0):.2f}"
            progress.update(run.task, completed=run.step, info=info)
            if not run.console.is_terminal and (last or run.step % 10 == 0):
                run.console.print(f"step {run.step}  {run.elapsed / 60:.1f} min  {info}")
    plot = learning_curve(run.log.rows, run.dir / "curriculum.png", title=f"{cfg.recipe} ({cfg.tasks.domain})",
                          panels_spec=CURRICULUM)
    final = dict(run.log.rows[-1]) if run.log.rows else {}
    final.update(run_dir=str(run.dir), plot=str(plot) if plot else None, eval_skipped={})
    return final


def _generate(policy: LMPolicy, prompts: list[str], rng) -> list[Decision]:
    return [Decision(action=None, text=text, logprob=sum(lps), completion_ids=ids, token_logprobs=lps,
                     truncated=cut, prompt=prompt)
            for prompt, (text, ids, lps, cut) in zip(prompts, policy.generate(prompts, rng) if prompts else [])]


def task_step(domain, roles: dict[str, LMPolicy], tc: TaskConfig, memory: list[Task], rng):
    """One round of every role on every task kind: (records, metrics, proposals to log).

    A record is ``(role, kind, group, decision, reward)``; ``group`` ties a solver's
    answers to one task (for skipping tasks without signal)."""
    records: list[tuple[str, str, object, Decision, float]] = []
    stats: dict[str, float] = {}
    shown: list[dict] = []
    counts: Counter = Counter()
    for kind in domain.kinds:
        # 1. propose, shown a few earlier tasks of this kind to differ from
        pool = [t for t in memory if t.kind == kind]
        proposals = _generate(roles["propose"], [
            domain.propose_prompt(kind, rng.sample(pool, min(tc.references, len(pool))), rng)
            for _ in range(tc.proposals)], rng)
        # a proposal cut at the generation limit counts if what it wrote before the cut is complete
        parsed = domain.parse_proposals(kind, [p.text.rsplit("\n", 1)[0] if p.truncated else p.text
                                               for p in proposals])
        tasks = [p for p in parsed if isinstance(p, Task)]
        # 2. solve: several attempts per valid task, verified as held-out evaluation reads answers
        attempts = [t for t in tasks for _ in range(tc.attempts)]
        answers = _generate(roles["solve"], [domain.solve_prompt(t) for t in attempts], rng)
        verified = domain.verify(attempts, [a.text for a in answers])
        # 3. judge a share of the answers, rewarded for agreeing with the verifier
        judged = [i for i in range(len(answers)) if rng.random() < tc.judge]
        verdicts = _generate(roles["judge"], [judge_prompt(answers[i].prompt, answers[i].text) for i in judged], rng)
        says = [parse_verdict(v.text) for v in verdicts]
        truth = [verified[i] for i in judged]
        records += [("judge", kind, "judge", v, r) for v, r in zip(verdicts, judge_rewards(says, truth, tc.invalid_reward))]
        # 4. the solver's reward: the verifier's (or, standing in for one, the judge's) verdict
        if tc.solver_reward == "judge":
            said = dict(zip(judged, says))
            correct = [float(bool(said[i])) if i in said else None for i in range(len(answers))]
        else:
            correct = list(map(float, verified))
        for i, (a, c) in enumerate(zip(answers, correct)):
            if c is not None:
                records.append(("solve", kind, (kind, i // tc.attempts), a, c))
        # 5. the proposer's: learnability under this solver, minus repetition; invalid: the lowest
        accuracy = _accuracy(parsed, correct, tc.attempts)
        penalty = repetition_penalty([p.key if isinstance(p, Task) else None for p in parsed],
                                     [t.key for t in memory], tc.repeat_threshold)
        rewards = proposer_rewards([(a or 0.0) if isinstance(p, Task) else None for a, p in zip(accuracy, parsed)],
                                   penalty, tc.learnability, tc.repeat_penalty, tc.invalid_reward)
        records += [("propose", kind, "propose", d, r) for d, r in zip(proposals, rewards)]
        memory.extend(tasks)
        del memory[: max(0, len(memory) - tc.memory)]
        # the curriculum, visible: validity, solve rate, difficulty, diversity
        stats.update(_curriculum("" if len(domain.kinds) == 1 else f"{kind}/", parsed, accuracy, penalty,
                                 verified, says, truth))
        counts.update(proposals=len(parsed), valid=len(tasks), attempts=len(verified), solved=sum(verified))
        shown += _readable(kind, proposals, parsed, accuracy, rewards, answers[:: tc.attempts])
    stats["propose/valid"] = counts["valid"] / max(counts["proposals"], 1)  # over every kind
    if counts["attempts"]:
        stats["solve/accuracy"] = counts["solved"] / counts["attempts"]
    verdicts = getattr(domain, "verdicts", None)  # domains that execute code: what the sandbox saw
    if verdicts is not None:
        stats.update({f"sandbox/{v}": float(n) for v, n in verdicts.items()})
        verdicts.clear()
    return records, stats, shown


def _accuracy(parsed, correct: list[float | None], attempts: int) -> list[float | None]:
    """The solver's success rate on each proposal (None: invalid, or no answer scored)."""
    out, n = [], 0
    for p in parsed:
        got = [c for c in correct[n : n + attempts] if c is not None] if isinstance(p, Task) else []
        out.append(sum(got) / len(got) if got else None)
        n += attempts if isinstance(p, Task) else 0
    return out


def _readable(kind, proposals, parsed, accuracy, rewards, first_answers) -> list[dict]:
    """Each proposal as ``proposals.jsonl`` records it, with one solver answer to each valid one."""
    out, answers = [], iter(first_answers)
    for p, d, a, r in zip(parsed, proposals, accuracy, rewards):
        entry = {"kind": kind, "text": d.text, "valid": isinstance(p, Task), "why": p if isinstance(p, str) else "",
                 "accuracy": a, "reward": r}
        if isinstance(p, Task):
            entry.update(answer=p.answer, difficulty=p.difficulty, a_solution=next(answers).text)
        out.append(entry)
    return out


def _curriculum(prefix, parsed, accuracy, penalty, verified, says, truth) -> dict[str, float]:
    tasks = [p for p in parsed if isinstance(p, Task)]
    solved = [a for a in accuracy if a is not None]
    out = {f"{prefix}propose/valid": len(tasks) / max(len(parsed), 1)}
    if verified:
        out[f"{prefix}solve/accuracy"] = sum(verified) / len(verified)
    if solved:
        out[f"{prefix}solve/in_band"] = sum(0 < a < 1 for a in solved) / len(solved)
    for name in sorted({k for t in tasks for k in t.difficulty}):
        out[f"{prefix}difficulty/{name}"] = sum(t.difficulty.get(name, 0) for t in tasks) / len(tasks)
    if tasks:
        out[f"{prefix}diversity/distinct"] = len({t.key for t in tasks}) / len(tasks)
        out[f"{prefix}diversity/repeat"] = sum(p for p, t in zip(penalty, parsed) if isinstance(t, Task)) / len(tasks)
    if says:
        out[f"{prefix}judge/agreement"] = sum(s == t for s, t in zip(says, truth)) / len(says)
        out[f"{prefix}judge/valid"] = sum(s is not None for s in says) / len(says)
    return out


def to_samples(records, stats: dict) -> list[Sample]:
    """TRR++: advantages normalised per (role, task kind); a solver's answers to one
    task that all got the same reward are dropped (no signal)."""
    if not records:
        return []
    rewards = torch.tensor([r[4] for r in records], dtype=torch.float32)
    keep = varied(rewards, [r[2] if r[0] == "solve" else ("all",) for r in records])
    keep |= torch.tensor([r[0] != "solve" for r in records])
    kept = [r for r, k in zip(records, keep.tolist()) if k]
    stats["train/skipped"] = len(records) - len(kept)
    if not kept:
        return []
    adv = group_normalized(torch.tensor([r[4] for r in kept], dtype=torch.float32), [(r[0], r[1]) for r in kept])
    for role in ("propose", "solve", "judge"):
        mine = [r[4] for r in records if r[0] == role]
        if mine:
            stats[f"reward/{role}"] = sum(mine) / len(mine)
    return [Sample(prompt=d.prompt, legal=None, decision=d, advantage=float(a))
            for (_, _, _, d, _), a in zip(kept, adv.tolist()) if d.completion_ids]
