"""Atomic checkpoints: everything a resume needs, or nothing.

A checkpoint is a directory ``checkpoints/step-000123`` holding the model as a
Hugging Face directory (safetensors; only the adapter for LoRA), the optimiser
state, and ``state.json`` (step, RNG states, baselines, pool, clock).  It is
written under a temporary name, flushed to disk, then renamed into place; the
``LATEST`` pointer is replaced atomically after that.  A process killed at any
moment leaves either the previous checkpoint or the new one, never a torn one.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

STATE = "state.json"


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save(run_dir: Path, step: int, model, tokenizer, optimizer, state: dict, keep: int = 3,
         extra: dict | None = None) -> Path:
    """Write checkpoint ``step``; ``extra`` tensors (e.g. a reference policy) go into trainer.pt."""
    root = Path(run_dir) / "checkpoints"
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step-{step:07d}"
    tmp = root / f".tmp-step-{step:07d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    torch.save({"optimizer": optimizer.state_dict(), "torch_rng": torch.get_rng_state(), **(extra or {})},
               tmp / "trainer.pt")
    (tmp / STATE).write_text(json.dumps({**state, "step": step}))
    _fsync_tree(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    _write_atomic(root / "LATEST", final.name)
    for old in sorted(root.glob("step-*"))[:-keep] if keep > 0 else []:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest(run_dir: Path) -> Path | None:
    root = Path(run_dir) / "checkpoints"
    pointer = root / "LATEST"
    if pointer.exists():
        path = root / pointer.read_text().strip()
        if (path / STATE).exists():
            return path
    complete = [p for p in sorted(root.glob("step-*")) if (p / STATE).exists()]
    return complete[-1] if complete else None


def load_state(path: Path) -> tuple[dict, dict]:
    """(state.json contents, trainer.pt contents)."""
    state = json.loads((Path(path) / STATE).read_text())
    trainer = torch.load(Path(path) / "trainer.pt", weights_only=False)
    return state, trainer
