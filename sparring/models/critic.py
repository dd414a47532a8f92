"""A value head on the policy's own trunk: V(state, opponents) for per-move credit (GAE).

It reads the hidden state the policy scores its moves from (the prompt's last
position), so policy and critic share everything but one linear layer.  The value
of a position depends on whom one plays, so the head has one output per kind of
opponent ("random", "optimal", "self", "past", ...), assigned in order of first
appearance; kinds beyond ``slots`` share the last output.
"""
from __future__ import annotations

import torch
from torch import nn


def opponent_kind(opponents: tuple[str, ...]) -> str:
    """The critic's name for a seat's opponents; past checkpoints ("self@40") are one kind."""
    return "+".join("past" if q.startswith("self@") else q for q in opponents)


class Critic(nn.Module):
    def __init__(self, hidden: int, slots: int = 8):
        super().__init__()
        self.head = nn.Linear(hidden, slots)
        nn.init.zeros_(self.head.weight)  # every value starts at 0: no made-up early credit
        nn.init.zeros_(self.head.bias)
        self.kinds: list[str] = []

    def slots_of(self, kinds: list[str]) -> torch.Tensor:
        for k in kinds:
            if k not in self.kinds:
                self.kinds.append(k)
        last = self.head.out_features - 1
        return torch.tensor([min(self.kinds.index(k), last) for k in kinds], device=self.head.weight.device)

    def forward(self, hidden: torch.Tensor, kinds: list[str]) -> torch.Tensor:
        """[N, H] hidden states, N opponent kinds -> [N] values."""
        out = self.head(hidden.to(self.head.weight.dtype))
        return out.gather(1, self.slots_of(kinds)[:, None]).squeeze(1)

    def state(self) -> dict:
        return {"weights": {k: v.detach().clone() for k, v in self.state_dict().items()}, "kinds": list(self.kinds)}

    def load(self, state: dict) -> None:
        self.load_state_dict(state["weights"])
        self.kinds = list(state["kinds"])
