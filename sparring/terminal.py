"""A person plays a trained policy in the terminal (``sparring play``)."""
from __future__ import annotations

import random
from typing import Callable

from sparring.rollout.parse import parse_move

QUIT = ("quit", "exit", "q")


def play_human(game, policy, human_seat: int, *, show_reasoning: bool = False, seed: int = 0,
               ask: Callable[[str], str] = input, say: Callable[[str], None] = print) -> list[float] | None:
    """One game, the person in ``human_seat`` and the policy in every other seat.

    Returns the game's returns, or ``None`` if the person quit.  Illegal input is
    answered with the legal moves and asked again; an invalid move by the model
    forfeits its game.
    """
    rng = random.Random(seed)
    state = game.new_state(seed)
    while not state.is_terminal():
        player = state.current_player()
        legal = state.legal_actions()
        if player == human_seat:
            say("")
            say(state.observation(player))
            while True:
                try:
                    text = ask(f"your move ({', '.join(legal) if legal else 'free text'}; quit to stop): ").strip()
                except EOFError:
                    text = "quit"
                if text.lower() in QUIT:
                    say("you quit the game")
                    return None
                move = text if legal is None else _exact(text, legal)
                if move:
                    break
                say(f"{text!r} is not a legal move here; legal moves: {', '.join(legal)}")
            state.apply(move)
            continue
        decision = policy.act([state], rng)[0]
        if show_reasoning and decision.text and decision.text != decision.action:
            say(f"model (P{player}) thinks: {decision.text.strip()}")
        if decision.action is None or decision.error:
            say(f"the model (P{player}) made an invalid move ({decision.error or 'no move'}) and forfeits")
            returns = [1.0 if p != player else -1.0 for p in range(game.num_players)]
            say(_result(returns, human_seat))
            return returns
        say(f"model (P{player}) plays: {decision.action}")
        state.apply(decision.action)
    returns = list(state.returns())
    say("")
    say(_final_view(state, human_seat))
    say(_result(returns, human_seat))
    return returns


def _exact(text: str, legal: list[str]) -> str | None:
    """A person's move: the legal move it names exactly (any case), or one marked in [brackets]."""
    by_lower = {a.lower(): a for a in legal}
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    return parse_move(text, legal) if text.startswith("[") else None


def _final_view(state, seat: int) -> str:
    try:
        return state.observation(seat)
    except Exception:  # some games have nothing to show once over
        return ""


def _result(returns: list[float], seat: int) -> str:
    mine, best_other = returns[seat], max(r for p, r in enumerate(returns) if p != seat)
    verdict = "you win" if mine > best_other else ("you lose" if mine < best_other else "a draw")
    return f"game over: {verdict} (returns {', '.join(f'{r:+g}' for r in returns)})"
