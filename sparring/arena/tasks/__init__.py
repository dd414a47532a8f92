"""Verifiable task domains: a task is a one-player game with a verifier.

``make_domain("arithmetic")``, ``make_domain("arithmetic(style=expression)")``,
``make_domain("code")``, ``make_domain("code(kinds=deduction+induction)")``.
"""
from __future__ import annotations

import re

from sparring.arena.tasks.arithmetic import Arithmetic
from sparring.arena.tasks.base import Domain, Task, judge_prompt, parse_verdict
from sparring.arena.tasks.code import Code

__all__ = ["DOMAINS", "Domain", "Task", "UnknownDomain", "judge_prompt", "make_domain", "parse_verdict"]

DOMAINS = ("arithmetic", "code")


class UnknownDomain(ValueError):
    pass


def make_domain(spec: str) -> Domain:
    m = re.fullmatch(r"\s*(\w+)\s*(?:\((.*)\))?\s*", spec)
    if not m or m.group(1) not in DOMAINS:
        raise UnknownDomain(f"unknown task domain {spec!r} (choose {', '.join(DOMAINS)})")
    options = dict(kv.split("=", 1) for kv in (m.group(2) or "").split(",") if "=" in kv)
    try:
        if m.group(1) == "arithmetic":
            return Arithmetic(**options)
        if "kinds" in options:
            options["kinds"] = tuple(options["kinds"].split("+"))
        return Code(**options)
    except (TypeError, ValueError) as e:
        raise UnknownDomain(f"bad task domain {spec!r}: {e}") from None
