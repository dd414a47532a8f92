"""A language model as a game policy: one backend on ``transformers`` for every model.

Two ways to act:

* ``direct``: score every legal action's text under the model, given the prompt,
  and sample from the softmax of those scores.  This is a proper distribution over
  the legal moves, so it also gives exact action probabilities for evaluation.
* ``generate``: sample free text (e.g. reasoning, then a move) and parse a legal
  move out of it; unparseable text is an invalid move.

Both record what the model produced (token ids, log-probabilities) for training.
"""
from __future__ import annotations

import random

import torch
import torch.nn.functional as F

from sparring.arena.base import State
from sparring.rollout.parse import parse_move
from sparring.rollout.prompts import STYLES, move_prompt
from sparring.types import Decision


def _pad(seqs: list[list[int]], pad: int, left: bool, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Token lists -> (ids [B, T], attention mask [B, T]), padded on the left or the right."""
    width = max(len(x) for x in seqs)
    fill = [width - len(x) for x in seqs]
    if left:
        ids = [[pad] * n + x for n, x in zip(fill, seqs)]
        mask = [[0] * n + [1] * len(x) for n, x in zip(fill, seqs)]
    else:
        ids = [x + [pad] * n for n, x in zip(fill, seqs)]
        mask = [[1] * len(x) + [0] * n for n, x in zip(fill, seqs)]
    return (torch.tensor(ids, dtype=torch.long, device=device),
            torch.tensor(mask, dtype=torch.long, device=device))


def _common_prefix(seqs: list[list[int]], minimum: int = 8) -> list[int]:
    """The token prefix all ``seqs`` share, leaving every sequence at least one token
    of its own; empty if shorter than ``minimum`` (not worth a separate pass)."""
    n = min(len(x) for x in seqs) - 1
    first = seqs[0]
    k = 0
    while k < n and all(x[k] == first[k] for x in seqs):
        k += 1
    return first[:k] if k >= minimum else []


class LMPolicy:
    def __init__(
        self,
        model,
        tokenizer,
        *,
        id: str = "self",
        mode: str = "direct",
        temperature: float = 1.0,
        greedy: bool = False,
        max_new_tokens: int = 32,
        score: str = "mean",
        prompt: str = "plain",
        prefix_cache: bool = True,
    ):
        if mode not in ("direct", "generate"):
            raise ValueError(f"unknown action mode {mode!r} (choose direct or generate)")
        self.model, self.tokenizer = model, tokenizer
        if score not in ("mean", "sum"):
            raise ValueError(f"unknown action score {score!r} (choose mean or sum)")
        self.id, self.mode, self.score = id, mode, score
        self.temperature, self.greedy, self.max_new_tokens = temperature, greedy, max_new_tokens
        if prompt not in STYLES:
            raise ValueError(f"unknown prompt style {prompt!r} (choose {' or '.join(STYLES)})")
        self.prompt_style = prompt
        self.prefix_cache = prefix_cache  # generate: a prompt prefix shared by the batch is computed once
        self._actions: dict[tuple[str, ...], tuple[list[int], list[list[int]]]] = {}  # legal moves -> tokens

    # ---- prompts -------------------------------------------------------------------
    def prompt(self, state: State) -> str:
        return move_prompt(state, self.prompt_style)

    def _encode_prompts(self, prompts: list[str]) -> list[list[int]]:
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            return [
                tok.apply_chat_template([{"role": "user", "content": p}], add_generation_prompt=True, tokenize=True,
                                        return_dict=True)["input_ids"]
                for p in prompts
            ]
        bos = [tok.bos_token_id] if tok.bos_token_id is not None else []
        return [bos + ids for ids in tok(prompts, add_special_tokens=False)["input_ids"]] if prompts else []

    def _encode_actions(self, legal: tuple[str, ...]) -> tuple[list[int], list[list[int]]]:
        """(shared prefix, distinguishing tokens) of a state's legal moves.

        Each move is scored as the text " move" after the prompt.  Tokens that all
        legal moves share (such as the leading space) have the same log-probability
        for every move, so they are moved into the prompt and not scored; an
        end-of-sequence token is appended only where one move's tokens are a prefix
        of another's ("1" and "10" stay distinct moves).  With single-token moves
        this needs one forward pass per prompt and nothing more.
        """
        if not legal:
            raise ValueError("a state with no legal moves cannot be scored")
        if legal in self._actions:  # the same move lists recur in every batch: tokenised once
            return self._actions[legal]
        if len(self._actions) > 100_000:
            self._actions.clear()
        toks = self.tokenizer([" " + a for a in legal], add_special_tokens=False)["input_ids"]
        if any(len(a) <= len(b) and b[: len(a)] == a for i, a in enumerate(toks) for j, b in enumerate(toks) if i != j):
            toks = [t + [self.tokenizer.eos_token_id] for t in toks]
        shared = 0
        limit = min(len(t) for t in toks) - 1
        while shared < limit and all(t[shared] == toks[0][shared] for t in toks):
            shared += 1
        self._actions[legal] = toks[0][:shared], [t[shared:] for t in toks]
        return self._actions[legal]

    # ---- direct mode: exact log-probabilities over legal actions ------------------
    def action_logprobs(self, prompts: list[str], legals: list[tuple[str, ...]], hidden: bool = False):
        """log pi(a | prompt) for every legal action a, one tensor per prompt; with
        ``hidden``, also the [N, H] last-layer state the moves are scored from (a
        value head reads it).

        Differentiable when grad is enabled.  Identical (prompt, legal) pairs are
        computed once, and each prompt runs once: its key/value cache is shared by
        all its actions' continuations.
        """
        keys = list(zip(prompts, legals))
        unique = list(dict.fromkeys(keys))
        index = {k: i for i, k in enumerate(unique)}
        scores, states = self._score_unique([p for p, _ in unique], [l for _, l in unique], hidden)
        logps = [F.log_softmax(s / self._temp(), dim=-1) for s in scores]
        out = [logps[index[k]] for k in keys]
        return (out, states[[index[k] for k in keys]]) if hidden else out

    def _temp(self) -> float:
        return max(self.temperature, 1e-6)

    def _score_unique(self, prompts: list[str], legals: list[tuple[str, ...]], hidden: bool = False):
        device = self.model.device
        pad = self.tokenizer.pad_token_id
        encoded = [self._encode_actions(legal) for legal in legals]
        prompt_ids = [p + shared for p, (shared, _) in zip(self._encode_prompts(prompts), encoded)]
        ids, mask = _pad(prompt_ids, pad, left=True, device=device)  # every prompt ends at the same position
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        out = self.model(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, logits_to_keep=1,
                         output_hidden_states=hidden)
        states = out.hidden_states[-1][:, -1] if hidden else None
        last = F.log_softmax(out.logits[:, -1].float(), dim=-1)  # [P, V]: the first action token

        owner = [i for i, legal in enumerate(legals) for _ in legal]  # prompt of each action row
        actions = [a for _, moves in encoded for a in moves]
        act, amask = _pad(actions, pad, left=False, device=device)
        alen = act.shape[1]
        owner_t = torch.tensor(owner, device=device)

        total = last[owner_t].gather(1, act[:, :1]).squeeze(1)  # [A]
        if alen > 1:
            cache = out.past_key_values
            cache.batch_select_indices(owner_t)
            full_mask = torch.cat([mask[owner_t], amask[:, :-1]], dim=1)
            apos = pos[owner_t, -1:] + 1 + torch.arange(alen - 1, device=device)
            cont = self.model(
                input_ids=act[:, :-1], attention_mask=full_mask, position_ids=apos, past_key_values=cache
            )
            lp = F.log_softmax(cont.logits.float(), dim=-1).gather(2, act[:, 1:, None]).squeeze(2)  # [A, L-1]
            total = total + (lp * amask[:, 1:]).sum(1)
        if self.score == "mean":  # length-normalised: long and short move names start on equal terms
            total = total / amask.sum(1)
        return list(total.split([len(l) for l in legals])), states

    # ---- generate mode ----------------------------------------------------------------
    @torch.no_grad()
    def generate(self, prompts: list[str], rng: random.Random) -> list[tuple[str, list[int], list[float], bool]]:
        """Batched sampling (greedy if ``self.greedy``) with the KV cache: per prompt the text,
        its token ids, their log-probabilities, and whether it hit ``max_new_tokens``."""
        device = self.model.device
        pad = self.tokenizer.pad_token_id
        encoded = self._encode_prompts(prompts)
        shared = _common_prefix(encoded) if len(encoded) > 1 and self.prefix_cache else []
        ids, mask = _pad([x[len(shared):] for x in encoded], pad, left=True, device=device)
        cache = None
        if shared:  # the instructions every prompt starts with: run them once, share their KV cache
            head = torch.tensor([shared], device=device)
            cache = self.model(input_ids=head, use_cache=True, logits_to_keep=1).past_key_values
            cache.batch_repeat_interleave(len(encoded))
            ids = torch.cat([head.expand(len(encoded), -1), ids], 1)
            mask = torch.cat([torch.ones_like(head).expand(len(encoded), -1), mask], 1)  # pads sit mid-sequence
        width = ids.shape[1]
        with torch.random.fork_rng(devices=[]):  # sample from our own seed, leave the global RNG alone
            torch.manual_seed(rng.getrandbits(63))
            out = self._generate_raw(ids, mask, pad, cache)
        new = out.sequences[:, width:]
        # log-probabilities as training computes them (raw logits / temperature),
        # not the processed scores, so that the PPO ratio starts at exactly 1
        tok_lp = torch.stack(
            [F.log_softmax(step.float() / self._temp(), dim=-1).gather(1, new[:, t : t + 1]).squeeze(1)
             for t, step in enumerate(out.logits)], dim=1)  # [B, T]
        results = []
        eos = self.tokenizer.eos_token_id
        for row, lps in zip(new.tolist(), tok_lp.tolist()):
            n = row.index(eos) + 1 if eos in row else len(row)
            truncated = eos not in row
            text = self.tokenizer.decode(row[:n], skip_special_tokens=True)
            results.append((text, row[:n], lps[:n], truncated))
        return results

    def _generate_raw(self, ids, mask, pad, cache=None):
        return self.model.generate(
            input_ids=ids,
            attention_mask=mask,
            past_key_values=cache,
            do_sample=not self.greedy,
            temperature=self._temp() if not self.greedy else None,
            top_k=0 if not self.greedy else None,
            top_p=1.0,
            repetition_penalty=1.0,
            max_new_tokens=self.max_new_tokens,
            output_logits=True,
            return_dict_in_generate=True,
            pad_token_id=pad,
            eos_token_id=self.tokenizer.eos_token_id,
        )

    # ---- the Policy protocol ----------------------------------------------------------
    @torch.no_grad()
    def act(self, states: list[State], rng: random.Random) -> list[Decision]:
        prompts = [self.prompt(s) for s in states]
        legals = [s.legal_actions() for s in states]
        if self.mode == "generate" or any(l is None for l in legals):
            return self._act_generate(prompts, legals, rng)
        decisions = []
        for prompt, legal, logp in zip(prompts, legals, self.action_logprobs(prompts, [tuple(l) for l in legals])):
            if self.greedy:
                k = int(torch.argmax(logp))
            else:
                k = rng.choices(range(len(legal)), weights=logp.exp().tolist())[0]
            decisions.append(Decision(action=legal[k], text=legal[k], logprob=float(logp[k]), prompt=prompt))
        return decisions

    def _act_generate(self, prompts, legals, rng) -> list[Decision]:
        decisions = []
        for (text, ids, lps, truncated), legal, prompt in zip(self.generate(prompts, rng), legals, prompts):
            action = None if truncated else parse_move(text, legal)
            error = "truncated" if truncated else ("" if action is not None else "no legal move found")
            decisions.append(
                Decision(action=action, text=text, logprob=sum(lps), completion_ids=ids,
                         token_logprobs=lps, truncated=truncated, error=error, prompt=prompt)
            )
        return decisions

    @torch.no_grad()
    def probabilities(self, states: list[State]) -> list[dict[str, float]]:
        prompts = [self.prompt(s) for s in states]
        legals = [tuple(s.legal_actions()) for s in states]
        out = []
        for legal, logp in zip(legals, self.action_logprobs(prompts, legals)):
            p = logp.exp()
            if self.greedy:  # the greedy policy is deterministic
                p = F.one_hot(p.argmax(), len(legal)).float()
            out.append(dict(zip(legal, p.tolist())))
        return out

    # ---- generate mode training: log-probs of given completions --------------------------
    def completion_logprobs(self, prompts: list[str], completions: list[list[int]]) -> list[torch.Tensor]:
        """Per-token log-probabilities of each completion given its prompt (differentiable).

        Prompts are padded on the left and completions on the right, so every
        completion starts at the same position and only its positions' logits are
        computed (the vocabulary projection is most of the memory for small models).
        """
        device = self.model.device
        pad = self.tokenizer.pad_token_id
        p_ids, p_mask = _pad(self._encode_prompts(prompts), pad, left=True, device=device)
        c_ids, c_mask = _pad(completions, pad, left=False, device=device)
        ids, mask = torch.cat([p_ids, c_ids], 1), torch.cat([p_mask, c_mask], 1)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        width = c_ids.shape[1]
        logits = self.model(input_ids=ids, attention_mask=mask, position_ids=pos,
                            logits_to_keep=width + 1).logits[:, :-1].float() / self._temp()
        lp = logits.gather(2, c_ids[:, :, None]).squeeze(2) - torch.logsumexp(logits, dim=-1)
        return [lp[i, : len(c)] for i, c in enumerate(completions)]
