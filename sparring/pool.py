"""Opponents other than the learner itself: fixed bots and past selves.

Past selves are snapshots written under ``RUN_DIR/pool/``; only the latest few
are kept loaded.  The pool's state (which snapshots exist) is a plain dict that
goes into every checkpoint.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

from sparring.rollout.bots import make_bot
from sparring.rollout.policy import Policy


class Pool:
    def __init__(self, game, bots: list[str], latest: int, load_self: Callable[[Path, str], Policy], seed: int = 0):
        self.bots = {name: make_bot(name, game, seed) for name in bots}
        self.latest = latest
        self.load_self = load_self
        self.snapshots: list[dict] = []  # {"id": "self@120", "path": "..."}
        self._loaded: dict[str, Policy] = {}

    def __len__(self) -> int:
        return len(self.bots) + len(self.snapshots)

    def add_snapshot(self, step: int, model, tokenizer, run_dir: Path) -> None:
        path = Path(run_dir) / "pool" / f"step-{step:07d}"
        model.save_pretrained(path, safe_serialization=True)
        tokenizer.save_pretrained(path)
        self.snapshots.append({"id": f"self@{step}", "path": str(path)})

    def candidates(self) -> list[str]:
        return list(self.bots) + [s["id"] for s in self.snapshots[-self.latest :]]

    def sample(self, rng: random.Random) -> Policy:
        """Uniform over the fixed bots and the latest K past selves."""
        return self.get(rng.choice(self.candidates()))

    def get(self, pid: str) -> Policy:
        if pid in self.bots:
            return self.bots[pid]
        if pid not in self._loaded:
            entry = next(s for s in self.snapshots if s["id"] == pid)
            self._loaded[pid] = self.load_self(Path(entry["path"]), pid)
            keep = {s["id"] for s in self.snapshots[-self.latest :]}
            self._loaded = {k: v for k, v in self._loaded.items() if k in keep or k == pid}
        return self._loaded[pid]

    def state(self) -> dict:
        return {"snapshots": list(self.snapshots)}

    def restore(self, state: dict) -> None:
        self.snapshots = [s for s in state.get("snapshots", []) if Path(s["path"]).exists()]


def seatings(learner: Policy, pool: Pool, games: int, num_players: int, pool_prob: float,
             rng: random.Random) -> list[list[Policy]]:
    """Who sits where in each game: mirror self-play (the learner in every seat), or,
    with probability ``pool_prob``, the learner in one random seat and an opponent
    drawn from the pool in the others."""
    out = []
    for _ in range(games):
        if len(pool) and rng.random() < pool_prob:
            opponent = pool.sample(rng)
            seat = rng.randrange(num_players)
            out.append([learner if p == seat else opponent for p in range(num_players)])
        else:
            out.append([learner] * num_players)
    return out
