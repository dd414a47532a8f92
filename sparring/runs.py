"""The run directory: resolved config, metrics.jsonl, checkpoints, evaluations, plots."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path


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
