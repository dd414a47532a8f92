"""SmolLM2-135M teaches itself Kuhn Poker by reasoning in text (SPIRAL-style), on CPU.

    python benchmarks/smollm2_kuhn.py [--minutes 30] [--games 200] [--samples 32] [--gsm8k 200]

1. transfer before: greedy accuracy of the untrained model on all of MAWPS single-op
   and a fixed subset of GSM8K (``../shared/data``; evaluation only);
2. ``sparring train kuhn-poker --model smollm2-135m`` for ``--minutes``;
3. the first (untrained) and last checkpoints: win rate against the random bot
   (``--games`` a seat, sampled moves, 95% Wilson intervals) and exploitability
   estimated from ``--samples`` answers per information state;
4. transfer after, same prompts and decoding; the run's rating ladder.

Each stage's numbers are saved as soon as they exist (``--only`` reruns stages).
Writes benchmarks/results/smollm2_kuhn_seed{S}.json and .png.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path

from common import RESULTS, rows, staged_result, transfer

from sparring import checkpoint
from sparring.arena import make_game
from sparring.evaluation.suite import evaluate
from sparring.models.presets import build_model
from sparring.recipes import PRESETS
from sparring.recipes.selfplay import make_policy, train

STAGES = ("before", "train", "games", "after")


def wilson(wins: float, n: int, z: float = 1.96) -> list[float]:
    if n == 0:
        return [0.0, 1.0]
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(centre - half, 4), round(centre + half, 4)]


def games(cfg, ckpt, n: int, samples: int) -> dict:
    model, tok = build_model(cfg.model, cfg.seed, checkpoint=ckpt)
    policy = make_policy(cfg, model, tok)
    start = time.perf_counter()
    metrics, report = evaluate(make_game(cfg.game), policy, ["random"], n, greedy=False,
                               exploitability=True, seed=12345, samples=samples)
    out = {"minutes": round((time.perf_counter() - start) / 60, 2),
           "exploitability_estimate": report.get("exploitability"),
           "exploitability_invalid_rate": metrics.get("eval/exploitability_invalid_rate")}
    for name, m in report["matches"].items():
        out[f"vs_{name}"] = {k: m[k] for k in ("games", "wins", "draws", "losses", "invalid", "win_rate",
                                               "mean_return")}
        out[f"vs_{name}"]["win_rate_95ci"] = wilson(m["wins"], m["games"])
    print(json.dumps(out), flush=True)
    return out


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    curve = result.get("curve_vs_random_win", [])
    if curve:
        axes[0].plot([c[1] for c in curve], [c[2] for c in curve], marker="o")
    axes[0].set(title="win rate vs random during training\n(50 sampled games per point)", xlabel="minutes",
                ylabel="win rate", ylim=(0, 1))
    step = result.get("train", {}).get("final_step", "?")
    labels = ["first (untrained)", f"last (step {step})"]
    g = [result.get("games", {}).get(k) for k in ("first", "last")]
    if all(g):
        wins = [x["vs_random"]["win_rate"] for x in g]
        ci = [x["vs_random"]["win_rate_95ci"] for x in g]
        axes[1].bar(labels, wins, yerr=[[w - c[0] for w, c in zip(wins, ci)], [c[1] - w for w, c in zip(wins, ci)]],
                    capsize=6, color=["grey", "tab:blue"])
        axes[1].set(title=f"win rate vs random ({g[0]['vs_random']['games']} games, 95% CI)", ylim=(0, 1))
        expl = [x["exploitability_estimate"] or 0 for x in g]
        axes[2].bar(labels, expl, color=["grey", "tab:blue"])
        axes[2].set(title="exploitability (estimated from samples)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--games", type=int, default=200, help="games a seat against random at first/last checkpoint")
    ap.add_argument("--samples", type=int, default=32, help="answers per information state for exploitability")
    ap.add_argument("--gsm8k", type=int, default=200, help="fixed GSM8K subset size")
    ap.add_argument("--only", default=",".join(STAGES), help=f"comma-separated stages: {','.join(STAGES)}")
    ap.add_argument("--out", type=Path, default=Path("runs/bench-smollm2-kuhn"))
    args = ap.parse_args()
    stages = args.only.split(",")
    result, save = staged_result(f"smollm2_kuhn_seed{args.seed}")
    result["command"] = f"python benchmarks/smollm2_kuhn.py --seed {args.seed} --minutes {args.minutes}"

    cfg = PRESETS["kuhn-poker"]("smollm2-135m")
    cfg.model.name, cfg.seed, cfg.minutes = "smollm2-135m", args.seed, args.minutes
    if "before" in stages:
        result["transfer_before"] = transfer(cfg, None, {"mawps_singleop": None, "gsm8k": args.gsm8k})
        save()
    if "train" in stages:
        shutil.rmtree(args.out, ignore_errors=True)
        start = time.perf_counter()
        final = train(cfg, args.out)
        result["train"] = {"minutes": round((time.perf_counter() - start) / 60, 2), "final_step": final["step"]}
        r = rows(args.out)
        result["curve_vs_random_win"] = [[x["step"], round(x["minutes"], 2), x["eval/vs_random/win"]]
                                         for x in r if "eval/vs_random/win" in x]
        result["curve_invalid_rate"] = [[x["step"], x["rollout/invalid_rate"]] for x in r
                                        if "rollout/invalid_rate" in x]
        ladder = args.out / "ladder.json"
        result["ladder"] = json.loads(ladder.read_text()) if ladder.exists() else []
        if ladder.exists():
            shutil.copy(args.out / "ladder.png", RESULTS / f"smollm2_kuhn_seed{args.seed}_ladder.png")
        save()
    last = checkpoint.latest(args.out)
    if "games" in stages:
        result["games"] = {"first": games(cfg, None, args.games, args.samples),
                           "last": games(cfg, last, args.games, args.samples), "last_checkpoint": str(last)}
        save()
    if "after" in stages:
        result["transfer_after"] = transfer(cfg, last, {"mawps_singleop": None, "gsm8k": args.gsm8k})
        save()
    plot(result, RESULTS / f"smollm2_kuhn_seed{args.seed}.png")
    print(json.dumps({k: v for k, v in result.items() if not k.startswith("curve")}, indent=2, default=str)[:6000])
    print(f"wrote {save()}")


if __name__ == "__main__":
    main()
