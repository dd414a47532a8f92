"""SmolLM2-135M proposes arithmetic word problems, solves and judges them, on CPU,
with no human-written training data; transfer measured on held-out maths.

    python benchmarks/propose_solve_arithmetic.py [--minutes 45] [--gsm8k 200] [--only before,train,after]
        [--suites mawps_singleop,...] [--set KEY=VALUE ... --tag NAME]

1. before: greedy accuracy of the untrained model on all of MAWPS single-op and
   add-sub and a fixed GSM8K subset (``../shared/data``; evaluation only);
2. ``sparring train propose-solve-arithmetic --model smollm2-135m`` for ``--minutes``;
3. after: the last checkpoint, same prompt and decoding.

Suites already in the result file are kept (a killed run resumes with ``--only``);
delete the file to measure again.

Writes benchmarks/results/propose_solve_arithmetic_seed{S}.json, the run's curriculum
plot, and a sample of its proposals from early, middle and late training.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from common import RESULTS, command, override, proposal_samples, rows, staged_result, transfer

from sparring import checkpoint
from sparring.recipes import PRESETS
from sparring.recipes.propose_solve import train

STAGES = ("before", "train", "after")
CURVE_KEYS = ("propose/valid", "solve/accuracy", "solve/in_band", "difficulty/operations", "difficulty/answer_digits",
              "diversity/distinct", "judge/agreement", "eval/mawps_singleop/accuracy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=45)
    ap.add_argument("--gsm8k", type=int, default=200, help="fixed GSM8K subset size")
    ap.add_argument("--only", default=",".join(STAGES), help=f"comma-separated stages: {','.join(STAGES)}")
    ap.add_argument("--suites", default="mawps_singleop,mawps_addsub,gsm8k", help="held-out suites to measure")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the preset")
    ap.add_argument("--out", type=Path, default=Path("runs/bench-propose-solve-arithmetic"))
    ap.add_argument("--tag", default="", help="a variant's name: results in ..._seedS_TAG.json, run in ...-TAG")
    args = ap.parse_args()
    stages = args.only.split(",")
    suffix = f"_{args.tag}" if args.tag else ""
    name = f"propose_solve_arithmetic_seed{args.seed}{suffix}"
    out = args.out.with_name(args.out.name + suffix.replace("_", "-"))
    result, save = staged_result(name)
    result["command"] = command("propose_solve_arithmetic.py", args, "seed", "minutes")
    suites = {k: v for k, v in {"mawps_singleop": None, "mawps_addsub": None, "gsm8k": args.gsm8k}.items()
              if k in args.suites.split(",")}

    cfg = PRESETS["propose-solve-arithmetic"]("smollm2-135m")
    cfg.model.name, cfg.seed, cfg.minutes = "smollm2-135m", args.seed, args.minutes
    override(cfg, args.set)

    def measure(stage: str, ckpt) -> None:
        # one suite at a time, saved as it finishes, so that a killed run keeps what it measured
        done = result.setdefault(stage, {})
        for suite, limit in suites.items():
            if suite not in done:
                done.update(transfer(cfg, ckpt, {suite: limit}))
                save()

    if "before" in stages:
        measure("before", None)
    if "train" in stages:
        shutil.rmtree(out, ignore_errors=True)
        result.pop("after", None)
        start = time.perf_counter()
        final = train(cfg, out)
        result["train"] = {"minutes": round((time.perf_counter() - start) / 60, 2), "final_step": final["step"]}
        r = rows(out)
        result["curves"] = {k: [[x["step"], round(x[k], 4)] for x in r if k in x] for k in CURVE_KEYS}
        result["proposals"] = proposal_samples(out)
        shutil.copy(out / "curriculum.png", RESULTS / f"{name}_curriculum.png")
        save()
    if "after" in stages:
        measure("after", checkpoint.latest(out))
    if "before" in result and "after" in result:
        result["change_points"] = {k: round(100 * (result["after"][k]["accuracy"] - result["before"][k]["accuracy"]), 2)
                                   for k in suites if k in result["after"] and k in result["before"]}
        save()
    print(json.dumps({k: v for k, v in result.items() if k not in ("curves", "proposals")}, indent=2,
                     default=str)[:5000])
    print(f"wrote {save()}")


if __name__ == "__main__":
    main()
