"""Shared helpers for the benchmark scripts: run a preset, summarise its curve, write results."""
from __future__ import annotations

import json
import platform
import shlex
import shutil
import time
from pathlib import Path

import torch

RESULTS = Path(__file__).parent / "results"


def run_preset(name: str, seed: int, out: Path, sets: list[str] = ()):
    """Train preset ``name`` (with ``key=value`` overrides) from scratch into ``out``:
    (config, final row, wall minutes, all rows)."""
    from sparring.recipes import PRESETS, trainer

    shutil.rmtree(out, ignore_errors=True)
    cfg = PRESETS[name]()
    cfg.seed = seed
    override(cfg, sets)
    start = time.perf_counter()
    final = trainer(cfg.recipe)(cfg, out)
    return cfg, final, (time.perf_counter() - start) / 60, rows(out)


def command(script: str, args, *flags: str) -> str:
    """The command line that reproduces a benchmark run: ``flags`` by name, then its
    ``--set`` overrides and ``--tag``, quoted for the shell."""
    line = [f"python benchmarks/{script}", *(f"--{f} {getattr(args, f)}" for f in flags)]
    line += [f"--set {shlex.quote(a)}" for a in getattr(args, "set", [])]
    if getattr(args, "tag", ""):
        line.append(f"--tag {args.tag}")
    return " ".join(line)


def override(cfg, sets: list[str]):
    """``--set key=value`` overrides on a preset's config, validated as the CLI does."""
    from sparring.config import set_value, validate

    for assignment in sets:
        set_value(cfg, assignment)
    return validate(cfg)


def machine() -> dict:
    import os

    return {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "python": platform.python_version(),
            "torch": torch.__version__, "platform": platform.platform(), "date": time.strftime("%Y-%m-%d %H:%M")}


def first_reaching(rows: list[dict], key: str, threshold: float, below: bool = True) -> float | None:
    """Training minutes at which ``key`` first reached the threshold (None: never)."""
    for r in rows:
        if key in r and (r[key] <= threshold if below else r[key] >= threshold):
            return r["minutes"]
    return None


def curve(rows: list[dict], key: str) -> list[list[float]]:
    return [[r["step"], round(r["minutes"], 3), r[key]] for r in rows if key in r]


def write(name: str, result: dict, run_dir: Path) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps({"machine": machine(), **result}, indent=2))
    for plot, suffix in (("learning_curve.png", ""), ("curriculum.png", "_curriculum")):
        if (run_dir / plot).exists():
            shutil.copy(run_dir / plot, RESULTS / f"{name}{suffix}.png")
    print(json.dumps(result, indent=2))
    print(f"wrote {out}")
    return out


def by_parts(rows: list[dict], keys, parts: int) -> list[dict]:
    """Mean of each key over consecutive equal parts of the run (by row), with their step ranges."""
    out = []
    for i in range(parts):
        chunk = rows[i * len(rows) // parts: (i + 1) * len(rows) // parts]
        out.append({"steps": [chunk[0]["step"], chunk[-1]["step"]], "minutes": round(chunk[-1]["minutes"], 2),
                    **{k: round(sum(r.get(k, 0.0) for r in chunk) / len(chunk), 3) for k in keys}})
    return out


def proposal_samples(run_dir: Path, per_phase: int = 4) -> dict:
    """Valid and invalid proposals from the first, middle and last steps of a propose-solve run."""
    lines = [json.loads(x) for x in (run_dir / "proposals.jsonl").read_text().splitlines()]
    steps = sorted({x["step"] for x in lines})
    out = {}
    for phase, step in (("early", steps[0]), ("middle", steps[len(steps) // 2]), ("late", steps[-1])):
        at = [x for x in lines if x["step"] == step]
        valid = [x for x in at if x["valid"]][:per_phase]
        invalid = [x for x in at if not x["valid"]][: max(1, per_phase // 2)]
        out[phase] = {"step": step, "valid_fraction": sum(x["valid"] for x in at) / len(at),
                      "valid": valid, "invalid": invalid}
    return out


def rows(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def transfer(cfg, ckpt, suites: dict[str, int | None]) -> dict:
    """Greedy accuracy of checkpoint ``ckpt`` (None: the untrained model) on held-out
    maths suites (name -> fixed subset size, None: all), same prompt and decoding always."""
    from sparring.evaluation.maths import MAX_NEW_TOKENS, evaluate_suite, load_suite
    from sparring.models.lm import LMPolicy
    from sparring.models.presets import build_model

    model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    policy = LMPolicy(model, tok, mode="generate", greedy=True, max_new_tokens=MAX_NEW_TOKENS)
    out = {}
    for name, limit in suites.items():
        start = time.perf_counter()
        res = evaluate_suite(policy, load_suite(name, limit=limit, seed=0))
        out[name] = {"accuracy": res["accuracy"], "correct": res["correct"], "total": res["total"],
                     "minutes": round((time.perf_counter() - start) / 60, 2), "examples": res["rows"][:5]}
        print(f"{name}: {res['correct']}/{res['total']} = {res['accuracy']:.3f}", flush=True)
    return out


def staged_result(name: str):
    """A benchmark's result dict, kept from earlier runs of its stages (``--only``), and
    a ``save()`` that writes it with the machine description to ``RESULTS/{name}.json``."""
    path = RESULTS / f"{name}.json"
    result = json.loads(path.read_text()) if path.exists() else {}

    def save() -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({**result, "machine": machine()}, indent=2))
        return path

    return result, save
