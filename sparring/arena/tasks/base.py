"""A task is a one-player game: a question, a hidden reference, and a verifier.

A *domain* (arithmetic, code, ...) knows how to ask for a task of each kind it
has, how to turn a proposer's text into a valid ``Task`` (or say in one line why
it is not one), how to ask a solver, and how to verify answers in a batch:

    class Domain(Protocol):
        kinds: tuple[str, ...]
        def propose_prompt(self, kind, references: list[Task], rng) -> str
        def parse_proposals(self, kind, texts) -> list[Task | str]   # str: why it is invalid
        def solve_prompt(self, task) -> str
        def verify(self, tasks, answers) -> list[bool]

The judge's prompt is shared by every domain.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class Task:
    kind: str  # e.g. "arithmetic", "deduction", "abduction", "induction"
    question: str  # what the solver is shown (inside its prompt)
    answer: str  # the verified reference answer (hidden from the solver)
    key: str  # normalised text for near-duplicate detection
    data: dict = field(default_factory=dict)  # the domain's own fields (problem, expression, program, ...)
    difficulty: dict[str, float] = field(default_factory=dict)  # e.g. operations, digits, program lines


class Domain(Protocol):
    kinds: tuple[str, ...]

    def propose_prompt(self, kind: str, references: list[Task], rng) -> str: ...

    def parse_proposals(self, kind: str, texts: list[str]) -> list[Task | str]: ...

    def solve_prompt(self, task: Task) -> str: ...

    def verify(self, tasks: list[Task], answers: list[str]) -> list[bool]: ...


def judge_prompt(solve_prompt: str, answer: str) -> str:
    return (f"A student was asked:\n{solve_prompt}\n\nThe student answered:\n{answer.strip()[:600]}\n\n"
            "Is the student's final answer correct? Reply with one word: yes or no.")


def parse_verdict(text: str) -> bool | None:
    """The judge's yes/no (the first one it writes), or None when it gave neither."""
    m = re.search(r"\b(yes|no|correct|incorrect|wrong|right)\b", text, flags=re.IGNORECASE)
    if not m:
        return None
    return m.group(1).lower() in ("yes", "correct", "right")
