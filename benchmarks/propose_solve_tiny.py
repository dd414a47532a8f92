"""The tiny model's curriculum on ``propose-solve-arithmetic``: does the solve rate
stay inside the band the proposer is paid for, while the tasks get harder?

    python benchmarks/propose_solve_tiny.py [--seed S] [--set KEY=VALUE ... --tag NAME]

Runs the preset (10 minutes on 2 cores) and writes, for each fifth of the run, the
mean of the curriculum metrics, a sample of early, middle and late proposals and the
curriculum plot to benchmarks/results/propose_solve_tiny_seed{S}[_TAG].json / .png.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common import by_parts, command, proposal_samples, run_preset, write

KEYS = ("propose/valid", "solve/accuracy", "solve/in_band", "difficulty/digits", "difficulty/operations",
        "diversity/distinct", "diversity/repeat")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the preset")
    ap.add_argument("--tag", default="", help="a variant's name: results in ..._seedS_TAG.json")
    ap.add_argument("--out", type=Path, default=Path("runs/bench-propose-solve-tiny"))
    args = ap.parse_args()
    _, final, wall, r = run_preset("propose-solve-arithmetic", args.seed, args.out, args.set)
    r = [x for x in r if "propose/valid" in x]
    result = {
        "command": command("propose_solve_tiny.py", args, "seed"),
        "target": "solve rate inside (0, 1) with tasks in the band, difficulty (digits, operations) rising",
        "final_step": final["step"],
        "run_minutes": round(wall, 2),
        "by_fifths": by_parts(r, KEYS, 5),
        "proposals": proposal_samples(args.out),
    }
    write(f"propose_solve_tiny_seed{args.seed}" + (f"_{args.tag}" if args.tag else ""), result, args.out)


if __name__ == "__main__":
    main()
