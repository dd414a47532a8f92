"""The propose-solve recipes end to end with the real tiny model (no fakes)."""
from __future__ import annotations

import json

from sparring.recipes import PRESETS
from sparring.recipes.propose_solve import to_samples, train
from sparring.types import Decision


def _rows(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def test_tiny_solver_accuracy_on_fresh_proposals_rises(tmp_path):
    cfg = PRESETS["propose-solve-arithmetic"]("tiny")
    cfg.steps, cfg.minutes, cfg.seed = 100, 0, 0
    final = train(cfg, tmp_path / "run")
    rows = _rows(tmp_path / "run")
    acc = [r.get("solve/accuracy", 0.0) for r in rows]
    valid = [r["propose/valid"] for r in rows]
    start, later = sum(acc[:10]) / 10, max(sum(acc[i : i + 10]) / 10 for i in range(50, 91))
    assert start < 0.1 and later > start + 0.2, (start, later)
    assert sum(valid[-10:]) / 10 > sum(valid[:10]) / 10 + 0.3  # it learns to write valid tasks first
    assert final["step"] == 100 and (tmp_path / "run" / "curriculum.png").exists()
    proposals = [json.loads(x) for x in (tmp_path / "run" / "proposals.jsonl").read_text().splitlines()]
    assert {p["step"] for p in proposals} == set(range(1, 101)) and any(p["valid"] for p in proposals)


def test_resume_continues_with_its_task_memory(tmp_path):
    cfg = PRESETS["propose-solve-arithmetic"]("tiny")
    cfg.steps, cfg.minutes, cfg.checkpoint_every = 4, 0, 2
    cfg.tasks.proposals = 8
    train(cfg, tmp_path / "run")
    state = json.loads((tmp_path / "run" / "checkpoints" / "step-0000004" / "state.json").read_text())
    cfg.steps = 6
    final = train(cfg, tmp_path / "run", resume=True)
    assert final["step"] == 6 and [r["step"] for r in _rows(tmp_path / "run")] == [1, 2, 3, 4, 5, 6]
    assert "memory" in state and isinstance(state["memory"], list)


def test_code_recipe_runs_its_programs_in_the_sandbox(tmp_path):
    cfg = PRESETS["propose-solve-code"]("tiny")
    cfg.steps, cfg.minutes = 2, 0
    cfg.tasks.proposals, cfg.tasks.propose_tokens, cfg.tasks.solve_tokens = 4, 16, 16
    final = train(cfg, tmp_path / "run")
    assert final["step"] == 2
    rows = _rows(tmp_path / "run")
    assert all(0 <= r["propose/valid"] <= 1 for r in rows)
    kinds = {json.loads(x)["kind"] for x in (tmp_path / "run" / "proposals.jsonl").read_text().splitlines()}
    assert kinds == {"deduction", "abduction", "induction"}


def _d(text: str) -> Decision:
    return Decision(action=None, text=text, completion_ids=[1, 2], token_logprobs=[-1.0, -1.0], prompt="p")


def test_trr_plus_plus_skips_tasks_without_signal_and_normalises_per_role_and_kind():
    records = [
        ("solve", "arithmetic", ("arithmetic", 0), _d("a"), 1.0),  # task 0: all right -> skipped
        ("solve", "arithmetic", ("arithmetic", 0), _d("b"), 1.0),
        ("solve", "arithmetic", ("arithmetic", 4), _d("c"), 1.0),  # task 4: mixed -> kept
        ("solve", "arithmetic", ("arithmetic", 4), _d("d"), 0.0),
        ("propose", "arithmetic", "propose", _d("e"), 0.5),
        ("propose", "arithmetic", "propose", _d("f"), -1.0),
    ]
    stats: dict = {}
    samples = to_samples(records, stats)
    assert stats["train/skipped"] == 2 and [s.decision.text for s in samples] == ["c", "d", "e", "f"]
    # per (role, kind): (r - mean) / std; each pair is +-1
    assert [round(s.advantage, 4) for s in samples] == [1.0, -1.0, 1.0, -1.0]
    assert stats["reward/solve"] == 0.75 and stats["reward/propose"] == -0.25
