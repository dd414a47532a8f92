"""Past selves as opponents.

With LoRA, a snapshot is only its adapter: every snapshot is loaded as a named
adapter onto one shared, frozen copy of the base model, and a snapshot's policy
switches to its adapter before it acts (a few MB each, no second base model per
snapshot).  Without LoRA, a snapshot is a whole model directory, loaded as one.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Callable

from sparring.models.presets import build_model, uses_lora


class AdapterPolicy:
    """A policy that runs on a shared multi-adapter model under its own adapter."""

    def __init__(self, policy, adapter: str):
        self.policy, self.adapter, self.id = policy, adapter, policy.id

    def act(self, states, rng: random.Random):
        self.policy.model.set_adapter(self.adapter)
        return self.policy.act(states, rng)

    def probabilities(self, states):
        self.policy.model.set_adapter(self.adapter)
        return self.policy.probabilities(states)


class Snapshots:
    def __init__(self, model_cfg, seed: int, make_policy: Callable):
        """``make_policy(model, tokenizer, pid)`` builds a policy the way the learner's is built."""
        self.cfg, self.seed, self.make_policy = model_cfg, seed, make_policy
        self._shared = None  # (peft model, tokenizer) holding every loaded adapter

    def load(self, path: Path, pid: str):
        if not uses_lora(self.cfg):
            model, tok = build_model(self.cfg, self.seed, checkpoint=path)
            return self.make_policy(model, tok, pid)
        adapter = pid.replace(".", "_")  # module names may not contain dots
        if self._shared is None:
            model, tok = build_model(self.cfg, self.seed, checkpoint=path)
            model.requires_grad_(False)
            # PeftModel names the adapter it was loaded with "default"; name it like the others
            model.load_adapter(str(path), adapter_name=adapter, is_trainable=False)
            model.set_adapter(adapter)
            model.delete_adapter("default")
            self._shared = (model, tok)
        model, tok = self._shared
        if adapter not in model.peft_config:
            model.load_adapter(str(path), adapter_name=adapter, is_trainable=False)
        return AdapterPolicy(self.make_policy(model, tok, pid), adapter)
