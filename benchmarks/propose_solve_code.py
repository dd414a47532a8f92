"""SmolLM2-135M proposes Python programs and solves Absolute Zero's three task kinds
(deduction, abduction, induction); every program it writes runs in the sandbox.

    python benchmarks/propose_solve_code.py [--minutes 10]

Reports, per task kind, the proposals' validity and the solver's accuracy; the
sandbox's verdicts over every execution; and checks that nothing escaped: a canary
file outside the sandbox is unchanged, no sandbox process or directory is left,
and the programs that tried something refused are listed with their verdicts.
Writes benchmarks/results/propose_solve_code_seed{S}.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import RESULTS, machine, rows

from sparring.recipes import PRESETS
from sparring.recipes.propose_solve import train


def _sandbox_leftovers() -> dict:
    tmp = Path(tempfile.gettempdir())
    procs = 0
    for p in Path("/proc").glob("[0-9]*"):
        try:
            procs += b"sandbox_child.py" in (p / "cmdline").read_bytes()
        except OSError:
            pass
    return {"temp_dirs": len(list(tmp.glob("sparring-sandbox-*"))), "processes": procs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--out", type=Path, default=Path("runs/bench-propose-solve-code"))
    args = ap.parse_args()
    canary = Path(tempfile.mkdtemp(prefix="sparring-canary-")) / "canary.txt"
    canary.write_text("if this changes, a program escaped\n")
    digest = hashlib.sha256(canary.read_bytes()).hexdigest()

    cfg = PRESETS["propose-solve-code"]("smollm2-135m")
    cfg.model.name, cfg.seed, cfg.minutes = "smollm2-135m", args.seed, args.minutes
    shutil.rmtree(args.out, ignore_errors=True)
    start = time.perf_counter()
    final = train(cfg, args.out)
    minutes = (time.perf_counter() - start) / 60
    r = rows(args.out)
    verdicts = Counter()
    for x in r:
        verdicts.update({k.removeprefix("sandbox/"): int(v) for k, v in x.items() if k.startswith("sandbox/")})
    proposals = [json.loads(x) for x in (args.out / "proposals.jsonl").read_text().splitlines()]
    per_kind = {}
    for kind in ("deduction", "abduction", "induction"):
        mine = [p for p in proposals if p["kind"] == kind]
        valid = [p for p in mine if p["valid"]]
        per_kind[kind] = {"proposals": len(mine), "valid": len(valid),
                          "mean_solver_accuracy_on_valid": (sum(p["accuracy"] or 0 for p in valid) / len(valid)
                                                            if valid else None),
                          "why_invalid": Counter(p["why"].split(":")[0][:40] for p in mine if not p["valid"])
                          .most_common(6),
                          "valid_examples": [{k: p[k] for k in ("step", "text", "answer", "accuracy", "a_solution")}
                                             for p in valid[:3]]}
    refused = [{"step": p["step"], "kind": p["kind"], "why": p["why"], "text": p["text"][:400]}
               for p in proposals if p["why"].startswith(("blocked", "timeout", "cpu_limit", "memory_limit",
                                                          "output_limit"))]
    result = {
        "command": f"python benchmarks/propose_solve_code.py --seed {args.seed} --minutes {args.minutes}",
        "train_minutes": round(minutes, 2), "final_step": final["step"],
        "sandbox_verdicts": dict(verdicts), "executions": sum(verdicts.values()),
        "per_kind": per_kind, "contained_programs": refused[:10], "contained_count": len(refused),
        "canary_unchanged": canary.exists() and hashlib.sha256(canary.read_bytes()).hexdigest() == digest,
        "leftovers_after_run": _sandbox_leftovers(),
        "machine": machine(),
    }
    shutil.rmtree(canary.parent, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"propose_solve_code_seed{args.seed}.json"
    path.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k not in ("per_kind", "contained_programs")}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
