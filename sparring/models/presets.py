"""Model presets: ``tiny`` (built locally) or any Hugging Face model directory/id,
optionally wrapped with LoRA.  Checkpoints are ordinary Hugging Face directories."""
from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from sparring.models.tiny import tiny_model


class ModelError(ValueError):
    pass


def build_model(cfg, seed: int, checkpoint: str | Path | None = None):
    """(model, tokenizer) for a ``ModelConfig``; from ``checkpoint`` when resuming."""
    if cfg.lora:
        base, tok = _base(cfg, seed)
        from peft import LoraConfig, PeftModel, get_peft_model

        if checkpoint is not None:
            model = PeftModel.from_pretrained(base, str(checkpoint), is_trainable=True)
        else:
            lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear", lora_dropout=0.0)
            model = get_peft_model(base, lora)
        return model.eval(), tok
    if checkpoint is not None:
        return load_pretrained(checkpoint)
    return _base(cfg, seed)


def _base(cfg, seed: int):
    if cfg.name == "tiny":
        model, tok = tiny_model(cfg.tiny, seed)
        return model.eval(), tok
    return load_pretrained(cfg.name)


def load_pretrained(path: str | Path):
    try:
        tok = AutoTokenizer.from_pretrained(str(path))
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    except (OSError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot load model {str(path)!r}: {first}") from None
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return model.eval(), tok
