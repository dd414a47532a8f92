"""Kuhn Poker with the tiny model: exploitability of the final single policy (exact).

    python benchmarks/kuhn_poker.py [--seed S] [--out RUN_DIR]

Target: at most 0.05 within 10 minutes on 2 CPU cores, from about 0.46 at the start.
Writes benchmarks/results/kuhn_poker.json (curve, time to 0.1 and 0.05) and .png.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common import curve, first_reaching, run_preset, write


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=Path("runs/bench-kuhn-poker"))
    args = ap.parse_args()
    _, final, wall, r = run_preset("kuhn-poker", args.seed, args.out)
    key = "eval/exploitability"
    result = {
        "command": f"python benchmarks/kuhn_poker.py --seed {args.seed}",
        "target": "final exploitability <= 0.05 within 10 minutes",
        "start_exploitability": r[0][key],
        "final_exploitability": final[key],
        "best_exploitability": min(x[key] for x in r if key in x),
        "final_step": final["step"],
        "minutes_to_0.1": first_reaching(r, key, 0.1),
        "minutes_to_0.05": first_reaching(r, key, 0.05),
        "run_minutes": round(wall, 2),
        "met": final[key] <= 0.05 and wall <= 10.5,
        "final_vs_random_win": final.get("eval/vs_random/win"),
        "curve_step_minutes_exploitability": curve(r, key),
    }
    write(f"kuhn_poker_seed{args.seed}", result, args.out)


if __name__ == "__main__":
    main()
