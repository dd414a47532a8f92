"""A real training process, SIGKILLed at arbitrary moments, resumes where it left off."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.torch import load_file

from sparring import checkpoint

ARGS = ["--set", "rollout.games=32", "--set", "checkpoint_every=1", "--set", "eval.every=0",
        "--set", "eval.games=4", "--set", "model.tiny.hidden=64", "--set", "model.tiny.layers=2",
        "--set", "keep_checkpoints=2"]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sparring.cli", *args]


def _kill_after_checkpoint(run_dir: Path, min_step: int, extra_delay: float) -> None:
    proc = subprocess.Popen(_cli("train", "kuhn-poker", "--out", str(run_dir), "--steps", "100000", *ARGS),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            ck = checkpoint.latest(run_dir)
            if ck is not None and int(ck.name.split("-")[1]) >= min_step:
                break
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            time.sleep(0.05)
        time.sleep(extra_delay)  # land somewhere inside a step or a checkpoint write
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _assert_intact(ck: Path) -> int:
    state = json.loads((ck / "state.json").read_text())
    weights = load_file(ck / "model.safetensors")
    assert weights and all(t.isfinite().all() for t in weights.values())
    assert (ck / "trainer.pt").stat().st_size > 0
    return state["step"]


def test_sigkill_then_resume_continues_the_step_count(tmp_path):
    run = tmp_path / "run"
    for i, delay in enumerate([0.0, 0.13, 0.29]):
        _kill_after_checkpoint(run, min_step=2 + 2 * i, extra_delay=delay) if i == 0 else None
        if i:
            # resume, then kill again while it trains
            proc = subprocess.Popen(_cli("train", "--resume", str(run), "--steps", "100000"),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            target = _assert_intact(checkpoint.latest(run)) + 2
            deadline = time.time() + 120
            while time.time() < deadline and int(checkpoint.latest(run).name.split("-")[1]) < target:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                time.sleep(0.05)
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        ck = checkpoint.latest(run)
        killed_at = _assert_intact(ck)
        assert killed_at >= 2

    final_target = killed_at + 3
    done = subprocess.run(_cli("train", "--resume", str(run), "--steps", str(final_target)),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"at step {killed_at}" in " ".join(done.stdout.split())  # rich wraps long lines
    assert _assert_intact(checkpoint.latest(run)) == final_target
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(0, final_target + 1))  # no gap, no repeat: the step count went on
    assert (run / "checkpoints" / "LATEST").read_text().strip() == f"step-{final_target:07d}"
