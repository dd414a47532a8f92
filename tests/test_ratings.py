"""The rating ladder and the pool's sampling strategies."""
from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from sparring.arena import make_game
from sparring.config import RunConfig
from sparring.models.tiny import TinyConfig
from sparring.pool import Pool, seatings
from sparring.ratings import Ladder
from sparring.recipes.selfplay import train
from sparring.rollout.policy import RandomPolicy
from sparring.types import Episode


def ep(seats, returns, **kw):
    return Episode(game="g", seats=seats, turns=[], returns=returns, **kw)


def test_winners_rise_losers_fall_and_mirror_games_are_skipped():
    ladder = Ladder()
    games = [ep(["a", "b"], [1.0, -1.0]) for _ in range(20)] + [ep(["b", "c"], [1.0, -1.0]) for _ in range(20)]
    games += [ep(["a", "a"], [1.0, -1.0]), ep(["a", "c"], [0.0, 0.0], truncated=True)]
    assert ladder.record(games) == 40
    order = [row["name"] for row in ladder.table()]
    assert order == ["a", "b", "c"]
    assert ladder.games == {"a": 20, "b": 40, "c": 20}
    assert ladder.expected_score("a", "c") > 0.9 > 0.1 > ladder.expected_score("c", "a")


def test_draws_pull_ratings_together_and_names_map_the_learner():
    ladder = Ladder()
    ladder.record([ep(["self", "random"], [1.0, -1.0]) for _ in range(10)], {"self": "self@0"})
    gap = ladder.ratings["self@0"][0] - ladder.ratings["random"][0]
    assert gap > 0 and "self" not in ladder.ratings
    ladder.record([ep(["self@0", "random"], [0.0, 0.0]) for _ in range(10)])
    assert 0 <= ladder.ratings["self@0"][0] - ladder.ratings["random"][0] < gap


def test_forfeits_count_against_the_offender():
    ladder = Ladder()
    ladder.record([ep(["a", "b"], [-1.0, 1.0], invalid_by=0) for _ in range(5)])
    assert ladder.ratings["b"][0] > ladder.ratings["a"][0]


def test_state_round_trips_and_files_are_written(tmp_path):
    ladder = Ladder()
    ladder.record([ep(["self@10", "random"], [1.0, -1.0]), ep(["self@20", "self@10"], [1.0, -1.0])])
    again = Ladder(ladder.state())
    assert again.table() == ladder.table()
    assert ladder.write(tmp_path) == tmp_path / "ladder.png"
    assert (tmp_path / "ladder.json").read_text().count('"name"') == 3
    assert Ladder().write(tmp_path / "nothing") is None


def _pool(sampling, n_snapshots=6, latest=2):
    game = make_game("tic_tac_toe")
    pool = Pool(game, ["random"], latest=latest, load_self=lambda path, pid: _Named(pid), sampling=sampling)
    pool.snapshots = [{"id": f"self@{k}", "path": f"/nowhere/{k}"} for k in range(n_snapshots)]
    return pool


class _Named(RandomPolicy):
    def __init__(self, pid):
        self.id = pid


def test_latest_and_uniform_sampling_draw_from_different_sets():
    rng = random.Random(0)
    latest = Counter(_pool("latest").sample(rng).id for _ in range(300))
    assert set(latest) == {"random", "self@4", "self@5"}
    uniform = Counter(_pool("uniform").sample(rng).id for _ in range(700))
    assert set(uniform) == {"random"} | {f"self@{k}" for k in range(6)}
    assert min(uniform.values()) > 50


def test_rated_sampling_prefers_even_matches():
    pool = _pool("rated", n_snapshots=3, latest=3)
    ladder = Ladder()
    # the learner (self@3) is about as strong as self@2, far stronger than the rest
    ladder.ratings = {"self@3": (30.0, 1.0), "self@2": (30.0, 1.0), "self@1": (15.0, 1.0), "self@0": (10.0, 1.0),
                      "random": (5.0, 1.0)}
    rng = random.Random(0)
    drawn = Counter(pool.sample(rng, ladder, "self@3").id for _ in range(400))
    assert drawn.most_common(1)[0][0] == "self@2"
    assert drawn["self@2"] > 0.8 * 400
    learner = _Named("self")
    seats = seatings(learner, pool, 200, 2, 1.0, rng, ladder, "self@3")
    assert Counter(p.id for s in seats for p in s if p is not learner).most_common(1)[0][0] == "self@2"


def test_loaded_past_selves_are_bounded():
    pool = _pool("uniform", n_snapshots=6, latest=2)
    for k in range(6):
        assert pool.get(f"self@{k}").id == f"self@{k}"
    assert len(pool._loaded) == 2


def test_unknown_sampling_is_one_clear_error():
    with pytest.raises(ValueError, match="pool sampling"):
        _pool("elo")


def test_a_training_run_rates_its_checkpoints_and_bots(tmp_path):
    cfg = RunConfig(game="tic_tac_toe", steps=4, checkpoint_every=2)
    cfg.model.tiny = TinyConfig(hidden=32, layers=1)
    cfg.rollout.games, cfg.rollout.pool_prob, cfg.rollout.snapshot_every = 32, 0.6, 1
    cfg.rollout.opponents, cfg.rollout.pool_sampling = ["random", "heuristic"], "rated"
    cfg.eval.every, cfg.eval.games, cfg.eval.exploitability = 0, 10, False
    train(cfg, tmp_path)
    rows = {r["name"]: r for r in json.loads((tmp_path / "ladder.json").read_text())}
    assert {"random", "heuristic", "self@1", "self@2", "self@3"} <= set(rows)
    assert all(r["games"] > 0 for r in rows.values())
    assert rows["heuristic"]["mu"] > rows["random"]["mu"]  # the scripted player is the stronger bot
    assert (tmp_path / "ladder.png").exists()
