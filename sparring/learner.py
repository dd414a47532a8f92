"""One optimiser step over a batch of samples.  The maths lives in ``losses``;
this file only gathers log-probabilities, calls the losses and steps AdamW."""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass

import torch

from sparring import losses
from sparring.models.critic import Critic
from sparring.models.lm import LMPolicy
from sparring.types import Sample


@dataclass
class LearnerConfig:
    lr: float = 1e-3
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.99)
    max_grad_norm: float = 1.0
    clip: float = 0.2  # PPO ratio clip
    epochs: int = 1  # passes over each batch
    minibatch: int = 1024  # samples per optimiser step
    micro_batch: int = 0  # samples per forward/backward pass, gradients accumulated (0: the whole minibatch)
    kl_coef: float = 0.0  # weight of KL(policy || reference)
    ref_every: int = 0  # reference <- current policy every N learner steps (0: keep the initial one)
    entropy_coef: float = 0.0  # entropy bonus over legal moves, direct mode (games) only
    explore_coef: float = 0.0  # weight of KL(uniform over legal moves || policy), direct mode: no move dies out
    value_coef: float = 0.0  # weight of the value head's squared error (> 0 adds the head; direct mode)
    lr_final: float = 1.0  # learning rate decays linearly to lr * lr_final ...
    decay_steps: int = 0  # ... over this many learner steps (0: constant)


class Learner:
    def __init__(self, policy: LMPolicy, cfg: LearnerConfig):
        self.policy, self.cfg = policy, cfg
        params = [p for p in policy.model.parameters() if p.requires_grad]
        self.critic = None
        if cfg.value_coef > 0:
            self.critic = Critic(policy.model.config.hidden_size).to(policy.model.device)
            params += list(self.critic.parameters())
        self.optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, betas=cfg.betas)
        self.steps = 0
        self.reference = None
        if cfg.kl_coef > 0:
            ref_model = copy.deepcopy(policy.model).eval().requires_grad_(False)
            self.reference = LMPolicy(ref_model, policy.tokenizer, mode=policy.mode, temperature=policy.temperature,
                                      score=policy.score)

    @property
    def device(self) -> torch.device:
        return self.policy.model.device

    def step(self, samples: list[Sample], rng: random.Random) -> dict[str, float]:
        self.steps += 1
        if not samples:
            return {}
        # the model stays in eval mode: dropout would make the new log-probabilities
        # differ from the rollout's and the reference's even before any update
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        stats: dict[str, list[float]] = {}
        for _ in range(self.cfg.epochs):
            order = list(range(len(samples)))
            rng.shuffle(order)
            for start in range(0, len(order), self.cfg.minibatch):
                batch = [samples[i] for i in order[start : start + self.cfg.minibatch]]
                self.optimizer.zero_grad(set_to_none=True)
                size = self.cfg.micro_batch or len(batch)
                if size < len(batch):  # similar lengths share a micro-batch: less padding, same summed gradient
                    batch.sort(key=lambda s: (len(s.prompt), len(s.decision.completion_ids)))
                parts: dict[str, float] = {}
                for m in range(0, len(batch), size):  # every loss is a batch mean: weight each part by its share
                    micro = batch[m : m + size]
                    loss, micro_parts = self._loss(micro)
                    (loss * len(micro) / len(batch)).backward()
                    for k, v in micro_parts.items():
                        parts[k] = parts.get(k, 0.0) + v * len(micro) / len(batch)
                grad_norm = torch.nn.utils.clip_grad_norm_(
                    [p for g in self.optimizer.param_groups for p in g["params"]], self.cfg.max_grad_norm
                )
                self.optimizer.step()
                parts["grad_norm"] = float(grad_norm)
                for k, v in parts.items():
                    stats.setdefault(k, []).append(v)
        if self.reference is not None and self.cfg.ref_every and self.steps % self.cfg.ref_every == 0:
            self.reference.model.load_state_dict(self.policy.model.state_dict())
        return {f"train/{k}": sum(v) / len(v) for k, v in stats.items()}

    def state(self) -> dict:
        """What a resume needs besides the model and optimiser: the reference's
        trainable weights and the value head."""
        out: dict = {}
        if self.reference is not None:
            names = {n for n, p in self.policy.model.named_parameters() if p.requires_grad}
            out["reference"] = {n: p.detach().clone() for n, p in self.reference.model.named_parameters()
                                if n in names}
        if self.critic is not None:
            out["critic"] = self.critic.state()
        return out

    def load_state(self, state: dict) -> None:
        if self.reference is not None and state.get("reference"):
            self.reference.model.load_state_dict(state["reference"], strict=False)
        if self.critic is not None and state.get("critic"):
            self.critic.load(state["critic"])

    @torch.no_grad()
    def values(self, samples: list[Sample]) -> torch.Tensor:
        """[N] value-head estimates of the positions the samples were decided in."""
        out, size = [], self.cfg.micro_batch or self.cfg.minibatch
        for start in range(0, len(samples), size):
            batch = samples[start : start + size]
            _, hidden = self.policy.action_logprobs([s.prompt for s in batch], [s.legal for s in batch], hidden=True)
            out.append(self.critic(hidden, [s.opponents for s in batch]).float().cpu())
        return torch.cat(out) if out else torch.zeros(0)

    def learning_rate(self) -> float:
        if not self.cfg.decay_steps:
            return self.cfg.lr
        frac = min((self.steps - 1) / self.cfg.decay_steps, 1.0)  # called after this step was counted
        return self.cfg.lr * (1 - frac * (1 - self.cfg.lr_final))

    def _loss(self, batch: list[Sample]) -> tuple[torch.Tensor, dict[str, float]]:
        adv = torch.tensor([s.advantage for s in batch], device=self.device)
        if all(s.legal is not None and not s.decision.completion_ids for s in batch):
            return self._direct_loss(batch, adv)
        return self._token_loss(batch, adv)

    def _direct_loss(self, batch, adv):
        prompts = [s.prompt for s in batch]
        legals = [s.legal for s in batch]
        if self.critic is not None:
            logps, hidden = self.policy.action_logprobs(prompts, legals, hidden=True)
        else:
            logps = self.policy.action_logprobs(prompts, legals)
        width = max(len(l) for l in legals)
        mask = torch.zeros(len(batch), width, dtype=torch.bool, device=self.device)
        padded = torch.full((len(batch), width), -1e9, device=self.device)
        for i, lp in enumerate(logps):
            padded[i, : len(lp)] = lp
            mask[i, : len(lp)] = True
        chosen = torch.tensor([s.legal.index(s.decision.action) for s in batch], device=self.device)
        new = padded.gather(1, chosen[:, None]).squeeze(1)
        old = torch.tensor([s.decision.logprob for s in batch], device=self.device)
        loss = losses.clipped_pg(new, old, adv, self.cfg.clip)
        parts = {"pg_loss": loss.item()}
        entropy = losses.categorical_entropy(padded, mask)
        parts["entropy"] = entropy.mean().item()
        if self.cfg.entropy_coef:
            loss = loss - self.cfg.entropy_coef * entropy.mean()
        if self.cfg.explore_coef:
            explore = losses.uniform_kl(padded, mask).mean()
            loss = loss + self.cfg.explore_coef * explore
            parts["uniform_kl"] = explore.item()
        if self.reference is not None:
            with torch.no_grad():
                ref = torch.full_like(padded, -1e9)
                for i, lp in enumerate(self.reference.action_logprobs(prompts, legals)):
                    ref[i, : len(lp)] = lp
            kl = losses.categorical_kl(padded, ref, mask).mean()
            loss = loss + self.cfg.kl_coef * kl
            parts["kl"] = kl.item()
        if self.critic is not None:
            target = torch.tensor([s.target for s in batch], device=self.device)
            value_loss = losses.value_loss(self.critic(hidden, [s.opponents for s in batch]).float(), target)
            loss = loss + self.cfg.value_coef * value_loss
            parts["value_loss"] = value_loss.item()
        ratio = torch.exp(new.detach() - old)
        parts["clip_frac"] = float(((ratio - 1).abs() > self.cfg.clip).float().mean())
        parts["loss"] = loss.item()
        return loss, parts

    def _token_loss(self, batch, adv):
        prompts = [s.prompt for s in batch]
        completions = [s.decision.completion_ids for s in batch]
        new_seqs = self.policy.completion_logprobs(prompts, completions)
        width = max(1, max(len(c) for c in completions))
        new = torch.zeros(len(batch), width, device=self.device)
        old = torch.zeros(len(batch), width, device=self.device)
        mask = torch.zeros(len(batch), width, dtype=torch.bool, device=self.device)
        for i, (lp, s) in enumerate(zip(new_seqs, batch)):
            n = len(lp)
            new[i, :n] = lp
            old[i, :n] = torch.tensor(s.decision.token_logprobs[:n])
            mask[i, :n] = True
        new = torch.where(mask, new, new.detach())
        loss = losses.clipped_pg(new, old, adv, self.cfg.clip, mask)
        parts = {"pg_loss": loss.item()}
        if self.reference is not None:
            with torch.no_grad():
                ref = torch.zeros_like(new)
                for i, lp in enumerate(self.reference.completion_logprobs(prompts, completions)):
                    ref[i, : len(lp)] = lp
            kl = losses.sampled_kl(new, ref, mask).mean()
            loss = loss + self.cfg.kl_coef * kl
            parts["kl"] = kl.item()
        parts["loss"] = loss.item()
        return loss, parts
