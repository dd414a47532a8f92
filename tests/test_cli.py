"""The command line as a user meets it: help, listing, clear one-line errors, eval."""
from __future__ import annotations

import json
import subprocess
import sys


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sparring.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def _one_clear_line(proc, *needles):
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0]


def test_help_lists_commands():
    out = run("--help")
    assert out.returncode == 0 and "train" in out.stdout and "eval" in out.stdout and "games" in out.stdout
    out = run("train", "--help")
    assert "--resume" in out.stdout and "--set" in out.stdout and "kuhn-poker" in out.stdout


def test_games_lists_both_sources():
    out = run("games")
    assert out.returncode == 0
    assert "kuhn_poker" in out.stdout and "tic_tac_toe" in out.stdout and "TicTacToe-v0" in out.stdout


def test_errors_are_one_clear_line(tmp_path):
    _one_clear_line(run("train", "kuhn-poker", "--steps", "ten"), "--steps", "ten")
    _one_clear_line(run("train", "no-such-recipe"), "no-such-recipe")
    _one_clear_line(run("train", "kuhn-poker", "--game", "chesss"), "chesss")
    _one_clear_line(run("train", "kuhn-poker", "--set", "learner.lrr=1"), "learner.lrr", "learner.lr")
    _one_clear_line(run("train", "kuhn-poker", "--set", "rollout.games=-3"), "rollout.games")
    _one_clear_line(run("train", "kuhn-poker", "--set", "model.mode=telepathy"), "model.mode")
    _one_clear_line(run("train", "kuhn-poker", "--model", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r")),
                    "nowhere")
    _one_clear_line(run("eval", str(tmp_path)), "not a run directory")
    _one_clear_line(run("train", "--resume", str(tmp_path / "missing")), "missing")


def test_train_then_eval_writes_json(tmp_path):
    run_dir = tmp_path / "run"
    out = run("train", "tic-tac-toe", "--steps", "2", "--out", str(run_dir), "--set", "rollout.games=16",
              "--set", "eval.games=5", "--set", "model.tiny.hidden=64", "--set", "model.tiny.layers=2")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "final evaluation" in out.stdout
    assert "rating ladder" in out.stdout and "random" in out.stdout  # evaluation games are rated too
    report = tmp_path / "eval.json"
    out = run("eval", str(run_dir), "--opponent", "random,mcts:20", "--games", "6", "--out", str(report))
    assert out.returncode == 0, out.stderr[-2000:]
    data = json.loads(report.read_text())
    assert set(data["matches"]) == {"random", "mcts:20"}
    for res in data["matches"].values():
        assert res["games"] == 12 and res["wins"] + res["draws"] + res["losses"] == 12
    assert 0 <= data["exploitability"] <= 1
    _one_clear_line(run("eval", str(run_dir), "--opponent", "grandmaster"), "grandmaster")
    _one_clear_line(run("train", "--resume", str(run_dir), "--seed", "3"), "--resume")
    _one_clear_line(run("train", "--resume", str(run_dir), "--set", "model.finetune=lora"), "model.finetune")
    _one_clear_line(run("train", "--resume", str(run_dir), "--minutes", "0"), "--minutes")


def test_eval_on_a_held_out_suite(tmp_path):
    suite = tmp_path / "sums.jsonl"
    suite.write_text("".join(json.dumps({"input": f"What is {a} plus 1?", "target": a + 1.0}) + "\n"
                             for a in range(5)))
    out = tmp_path / "report.json"
    proc = run("eval", "--model", "tiny", "--suite", str(suite), "--limit", "3", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())["suites"][str(suite)]
    assert report["total"] == 3 and 0 <= report["accuracy"] <= 1 and len(report["rows"]) == 3
    assert all("output" in r and "predicted" in r for r in report["rows"])
    _one_clear_line(run("eval", "--model", "tiny", "--suite", "no_such_suite"), "no_such_suite")
    _one_clear_line(run("eval", "--suite", str(suite)), "--model")
