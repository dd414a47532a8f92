"""The run directory: resolved config, metrics.jsonl, checkpoints, evaluations, plots."""
from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from transformers.utils import logging as hf_logging

from sparring import checkpoint
from sparring.config import ConfigError
from sparring.config import save as save_config
from sparring.learner import Learner
from sparring.models.presets import build_model


def default_run_dir(recipe: str) -> Path:
    return Path("runs") / f"{recipe}-{time.strftime('%Y%m%d-%H%M%S')}"


class MetricsLog:
    """Append-only JSON lines, one per step.  On resume, rows after the checkpoint's
    step are dropped (they describe work that the resumed run redoes)."""

    def __init__(self, path: Path, resume_step: int = 0):
        self.path = Path(path)
        self.rows: list[dict] = []
        if self.path.exists():
            for line in self.path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # a line torn by a kill mid-write
                    continue
                if row.get("step", 0) <= resume_step:
                    self.rows.append(row)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(r) + "\n" for r in self.rows))
            os.replace(tmp, self.path)

    def write(self, row: dict) -> None:
        self.rows.append(row)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


class Run:
    """What every training recipe shares: the run directory, the model and its
    learner, the random generators, the step counter and the wall clock, and the
    metrics log.  Opened fresh, or (``resume``) from the latest checkpoint, in which
    case ``state`` holds what the recipe saved with it (``save(recipe_state)``).
    """

    def __init__(self, cfg, run_dir: Path, resume: bool, make_policy, console=None):
        self.cfg, self.dir = cfg, Path(run_dir)
        self.console = console or Console()
        hf_logging.disable_progress_bar()  # our own progress line is the one to watch
        self.dir.mkdir(parents=True, exist_ok=True)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        ckpt = checkpoint.latest(self.dir) if resume else None
        torch.manual_seed(cfg.seed)
        self.model, self.tokenizer = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
        self.policy = make_policy(cfg, self.model, self.tokenizer)
        self.learner = Learner(self.policy, cfg.learner)
        self.rng = random.Random(cfg.seed)
        self.step, self.elapsed, self.state = 0, 0.0, {}
        if ckpt is not None:
            state, trainer = checkpoint.load_state(ckpt)
            if ("critic" in trainer) != (self.learner.critic is not None):
                raise ConfigError(f"{self.dir} was trained {'with' if 'critic' in trainer else 'without'} a value "
                                  "head: resume it with the same learner.value_coef and advantage.estimator")
            self.learner.optimizer.load_state_dict(trainer["optimizer"])
            self.learner.load_state(trainer)
            torch.set_rng_state(trainer["torch_rng"])
            self.rng.setstate(to_tuple(state["rng"]))
            self.step, self.elapsed, self.learner.steps = state["step"], state["elapsed"], state["learner_steps"]
            self.state = state
            self.console.print(f"resumed {self.dir} at step {self.step} ({self.elapsed / 60:.1f} min trained)")
        save_config(cfg, self.dir / "config.json")
        if ckpt is None:  # a fresh start (or a resume killed before its first checkpoint)
            (self.dir / "metrics.jsonl").unlink(missing_ok=True)
        self.log = MetricsLog(self.dir / "metrics.jsonl", resume_step=self.step)
        self.budget = cfg.minutes * 60 if cfg.minutes else float("inf")
        self.finished, self.eval_seconds = False, 0.0

    def running(self) -> bool:
        return not self.finished and self.step < self.cfg.steps and self.elapsed < self.budget

    def evaluate(self, fn) -> dict:
        """``fn()``, timed: the last evaluation's duration is what the final one is expected to take."""
        start = time.perf_counter()
        out = fn()
        self.eval_seconds = time.perf_counter() - start
        return out

    def last_step(self, step_seconds: float) -> bool:
        """Whether the step just taken (``step_seconds`` so far) is the run's last; the
        recipe then evaluates and checkpoints, and ``running()`` turns false."""
        self.finished = self.step >= self.cfg.steps or not fits(self.elapsed, step_seconds, self.eval_seconds,
                                                                 self.budget)
        return self.finished

    def save(self, recipe_state: dict) -> None:
        state = {"rng": self.rng.getstate(), "elapsed": self.elapsed, "learner_steps": self.learner.steps,
                 **recipe_state}
        checkpoint.save(self.dir, self.step, self.model, self.tokenizer, self.learner.optimizer, state,
                        self.cfg.keep_checkpoints, extra=self.learner.state())

    def progress(self, description: str):
        """A live progress line (a context manager); ``progress.update(run.task, ...)`` moves it."""
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                            TimeElapsedColumn(), TextColumn("{task.fields[info]}"), console=self.console,
                            transient=False, disable=not self.console.is_terminal)
        self.task = progress.add_task(description, total=self.cfg.steps, completed=self.step, info="")
        return progress


def fits(elapsed: float, step_seconds: float, eval_seconds: float, budget: float) -> bool:
    """Whether, after a step that took ``step_seconds`` (not yet in ``elapsed``),
    another step as long and a final evaluation as long as the last one still end
    within ``budget``: a run stops a step early rather than a step late."""
    return elapsed + 2 * step_seconds + eval_seconds <= budget


def to_tuple(x):
    """JSON turns tuples into lists; this turns them back (random.setstate, dict keys)."""
    return tuple(to_tuple(i) for i in x) if isinstance(x, list) else x
