"""Learning-curve plots from ``metrics.jsonl`` rows."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("exploitability (exact)", lambda k: k == "eval/exploitability"),
    ("win rate", lambda k: k.startswith("eval/vs_") and k.endswith("/win")),
    ("loss rate", lambda k: k.startswith("eval/vs_") and k.endswith("/loss")),
    ("mean return", lambda k: k.startswith("eval/vs_") and k.endswith("/return")),
    ("training", lambda k: k in ("train/entropy", "train/kl", "rollout/invalid_rate")),
]


CURRICULUM = [
    ("proposals", lambda k: k.endswith("propose/valid") or k.endswith("diversity/distinct")
     or k.endswith("diversity/repeat")),
    ("solver on fresh proposals", lambda k: k.endswith("solve/accuracy") or k.endswith("solve/in_band")),
    ("difficulty", lambda k: "difficulty/" in k),
    ("judge", lambda k: k.endswith("judge/agreement") or k.endswith("judge/valid")),
    ("held-out accuracy", lambda k: k.startswith("eval/") and k.endswith("/accuracy")),
]


def learning_curve(rows: list[dict], path: Path, title: str = "", panels_spec=PANELS) -> Path | None:
    """One panel per (label, key filter) in ``panels_spec`` that matches any metric."""
    panels = []
    for label, wanted in panels_spec:
        keys = sorted({k for r in rows for k in r if wanted(k)})
        if keys:
            panels.append((label, keys))
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (label, keys) in zip(axes[0], panels):
        for k in keys:
            pts = [(r["minutes"], r[k]) for r in rows if k in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="." if len(pts) < 40 else None,
                    label=k.removeprefix("eval/").removeprefix("train/").removeprefix("rollout/"))
        if label.startswith("exploitability"):
            ax.axhline(0.0, color="grey", lw=0.8, ls="--")
        ax.set_title(label)
        ax.set_xlabel("minutes (wall clock)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
