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


SAMPLING = ("latest", "uniform", "rated")


class Pool:
    """Fixed bots and past selves, sampled by ``sampling``:

    * ``latest``: uniform over the bots and the latest ``latest`` past selves;
    * ``uniform``: uniform over the bots and every past self;
    * ``rated``: every bot and past self, weighted by how even a match against
      the learner is under the ladder's ratings (``p (1 - p)``, p the learner's
      predicted win probability), so the learner mostly meets its equals.

    Mirror self-play is ``rollout.pool_prob = 0``.  At most ``latest`` past selves
    are kept loaded (least recently used first out).
    """

    def __init__(self, game, bots: list[str], latest: int, load_self: Callable[[Path, str], Policy], seed: int = 0,
                 sampling: str = "latest"):
        if sampling not in SAMPLING:
            raise ValueError(f"unknown pool sampling {sampling!r} (choose {', '.join(SAMPLING)})")
        self.bots = {name: make_bot(name, game, seed) for name in bots}
        self.latest, self.sampling = latest, sampling
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
        past = self.snapshots[-self.latest :] if self.sampling == "latest" else self.snapshots
        return list(self.bots) + [s["id"] for s in past]

    def sample(self, rng: random.Random, ladder=None, me: str = "") -> Policy:
        names = self.candidates()
        if self.sampling == "rated" and ladder is not None and me:
            weights = []
            for name in names:
                p = ladder.expected_score(me, name)
                weights.append(p * (1 - p) + 1e-3)
            return self.get(rng.choices(names, weights=weights)[0])
        return self.get(rng.choice(names))

    def get(self, pid: str) -> Policy:
        if pid in self.bots:
            return self.bots[pid]
        if pid not in self._loaded:
            entry = next(s for s in self.snapshots if s["id"] == pid)
            if len(self._loaded) >= self.latest:
                self._loaded.pop(next(iter(self._loaded)))
            self._loaded[pid] = self.load_self(Path(entry["path"]), pid)
        else:
            self._loaded[pid] = self._loaded.pop(pid)  # most recently used last
        return self._loaded[pid]

    def state(self) -> dict:
        return {"snapshots": list(self.snapshots)}

    def restore(self, state: dict) -> None:
        self.snapshots = [s for s in state.get("snapshots", []) if Path(s["path"]).exists()]


def seatings(learner: Policy, pool: Pool, games: int, num_players: int, pool_prob: float,
             rng: random.Random, ladder=None, me: str = "") -> list[list[Policy]]:
    """Who sits where in each game: mirror self-play (the learner in every seat), or,
    with probability ``pool_prob``, the learner in one random seat and an opponent
    drawn from the pool in the others (``ladder``/``me``: for rated sampling)."""
    out = []
    for _ in range(games):
        if len(pool) and rng.random() < pool_prob:
            opponent = pool.sample(rng, ladder, me)
            seat = rng.randrange(num_players)
            out.append([learner if p == seat else opponent for p in range(num_players)])
        else:
            out.append([learner] * num_players)
    return out
