"""An opponent behind any OpenAI-compatible chat endpoint (vLLM, llama.cpp, Ollama,
a hosted API): ``openai:MODEL@BASE_URL``, e.g. ``openai:qwen2.5-7b@http://localhost:8000/v1``.

It gets the same reasoning prompt as a local model and its reply goes through the
same move parser.  A network error or an unreadable reply is an invalid move
(recorded and penalised), never a crash.  The key, if the server needs one, is
read from ``OPENAI_API_KEY``.
"""
from __future__ import annotations

import json
import os
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sparring.rollout.parse import parse_move
from sparring.rollout.prompts import move_prompt
from sparring.types import Decision

PREFIX = "openai:"


def parse_name(name: str) -> tuple[str, str]:
    """``openai:MODEL@BASE_URL`` -> (model, base URL)."""
    model, sep, url = name.removeprefix(PREFIX).partition("@")
    if not name.startswith(PREFIX) or not sep or not model or not url.startswith(("http://", "https://")):
        raise ValueError(f"bad endpoint opponent {name!r}: expected openai:MODEL@http(s)://HOST/v1")
    return model, url.rstrip("/")


class EndpointPolicy:
    def __init__(self, name: str, temperature: float = 1.0, max_tokens: int = 256, timeout: float = 60.0,
                 workers: int = 8):
        self.model, self.base_url = parse_name(name)
        self.id = name
        self.temperature, self.max_tokens, self.timeout, self.workers = temperature, max_tokens, timeout, workers

    def _ask(self, prompt: str, seed: int) -> str:
        body = {"model": self.model, "messages": [{"role": "user", "content": prompt}],
                "temperature": self.temperature, "max_tokens": self.max_tokens, "seed": seed}
        headers = {"Content-Type": "application/json"}
        if os.environ.get("OPENAI_API_KEY"):
            headers["Authorization"] = f"Bearer {os.environ['OPENAI_API_KEY']}"
        req = urllib.request.Request(f"{self.base_url}/chat/completions", data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            reply = json.loads(resp.read())
        return reply["choices"][0]["message"]["content"] or ""

    def _decide(self, state, seed: int) -> Decision:
        prompt = move_prompt(state, "reason")
        try:
            text = self._ask(prompt, seed)
        except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError, TypeError) as e:
            return Decision(action=None, text="", error=f"endpoint {self.base_url}: {e}"[:300])
        legal = state.legal_actions()
        action = parse_move(text, legal)
        return Decision(action=action, text=text, error="" if action is not None else "no legal move found")

    def act(self, states, rng: random.Random) -> list[Decision]:
        seeds = [rng.getrandbits(31) for _ in states]
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(states)))) as pool:
            return list(pool.map(self._decide, states, seeds))
