"""What a model is asked at its turn: the observation alone ("plain", for models
trained from scratch that score moves directly), or the rules, the observation and
a request to reason, then state the move in a parseable form ("reason", for
pretrained models that generate text; SPIRAL's format)."""
from __future__ import annotations

from sparring.arena.base import State

STYLES = ("plain", "reason")

REASON = (
    "You are playing a two-player zero-sum game. Make a legal move to win.\n{rules}"
    "Your view of the game:\n{observation}\n\n"
    "Think in one short sentence, then write your move as \\boxed{{move}}{legal}."
)


def move_prompt(state: State, style: str = "plain") -> str:
    observation = state.observation(state.current_player())
    if style == "plain":
        return observation
    if style != "reason":
        raise ValueError(f"unknown prompt style {style!r} (choose {' or '.join(STYLES)})")
    rules = getattr(getattr(state, "game", None), "rules", "")
    legal = state.legal_actions()
    body = observation.rstrip()
    if body.endswith("Move:"):  # the terse renderers end with a cue for direct scoring; not needed here
        body = body[: -len("Move:")].rstrip()
    return REASON.format(rules=f"{rules}\n" if rules else "", observation=body,
                         legal=f", where move is one of: {', '.join(legal)}" if legal else "")
