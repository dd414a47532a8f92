"""One rating ladder (openskill's Plackett-Luce) for every checkpoint and fixed opponent.

Every finished game between different players updates it: ranks come from the
game's returns (ties are draws); mirror games, where one policy sits in every
seat, say nothing about strength and are skipped.  The state is a plain dict, so
it goes into checkpoints and resumes with the run.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from openskill.models import PlackettLuce

from sparring.types import Episode


class Ladder:
    def __init__(self, state: dict | None = None):
        self.model = PlackettLuce()
        self.ratings: dict[str, tuple[float, float]] = {}  # name -> (mu, sigma)
        self.games: dict[str, int] = {}
        if state:
            self.ratings = {k: (float(m), float(s)) for k, (m, s) in state["ratings"].items()}
            self.games = dict(state["games"])

    def record(self, episodes: list[Episode], names: dict[str, str] | None = None) -> int:
        """Rate every game between different players; ``names`` maps policy ids to
        ladder names (the learner's ``self`` to the checkpoint it is).  Returns the
        number of games rated."""
        names = names or {}
        rated = 0
        for ep in episodes:
            players = [names.get(pid, pid) for pid in ep.seats]
            if len(set(players)) < 2 or ep.truncated:
                continue
            teams = [[self._rating(p)] for p in players]
            ranks = [-r for r in ep.returns]  # openskill: a lower rank is better, equal ranks draw (forfeits: -1)
            new = self.model.rate(teams, ranks=ranks)
            for p, [r] in zip(players, new):
                self.ratings[p] = (r.mu, r.sigma)
                self.games[p] = self.games.get(p, 0) + 1
            rated += 1
        return rated

    def _rating(self, name: str):
        mu, sigma = self.ratings.get(name, (self.model.mu, self.model.sigma))
        return self.model.create_rating([mu, sigma], name=name)

    def expected_score(self, a: str, b: str) -> float:
        """Probability that ``a`` beats ``b`` under the current ratings."""
        return self.model.predict_win([[self._rating(a)], [self._rating(b)]])[0]

    def table(self) -> list[dict]:
        """Rows sorted by the conservative rating mu - 3 sigma, best first."""
        rows = [{"name": n, "mu": round(m, 3), "sigma": round(s, 3), "ordinal": round(m - 3 * s, 3),
                 "games": self.games.get(n, 0)} for n, (m, s) in self.ratings.items()]
        return sorted(rows, key=lambda r: -r["ordinal"])

    def state(self) -> dict:
        return {"ratings": {k: list(v) for k, v in self.ratings.items()}, "games": dict(self.games)}

    def write(self, run_dir: Path) -> Path | None:
        """``ladder.json`` and ``ladder.png`` (rating +- 2 sigma per player) in the run directory."""
        rows = self.table()
        if not rows:
            return None
        run_dir = Path(run_dir)
        (run_dir / "ladder.json").write_text(json.dumps(rows, indent=2))
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ordered = sorted(rows, key=_order)
        fig, ax = plt.subplots(figsize=(7, 0.35 * len(ordered) + 1.5))
        y = range(len(ordered))
        ax.errorbar([r["mu"] for r in ordered], list(y), xerr=[2 * r["sigma"] for r in ordered], fmt="o",
                    capsize=3)
        ax.set_yticks(list(y), [f"{r['name']} ({r['games']} games)" for r in ordered])
        ax.set_xlabel("openskill rating (mu +- 2 sigma)")
        ax.set_title("ladder: checkpoints and fixed opponents")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        path = run_dir / "ladder.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def _order(row: dict) -> tuple:
    """Checkpoints in training order (self@N by N), then the fixed opponents by name."""
    name = row["name"]
    if name.startswith("self@") and name[5:].isdigit():
        return (0, int(name[5:]), "")
    return (1, math.inf, name)
