"""Where a Tic-Tac-Toe run's greedy policy loses wins against random, exactly.

    python benchmarks/tic_tac_toe_mistakes.py RUN_DIR [--top 12]

For each seat: the greedy policy's exact win probability against a uniform-random
opponent, the best possible, and the best for a player that never gives up
game-theoretic value; then, over every position the greedy policy reaches, the
positions where another move would win more often (the policy playing on as it
does), costliest first: reach probability x the gap in win probability.  Mirror
images that the policy sees as one position (``view=symmetric``) share a row, and a
better move that the optimal player could punish is marked.  Writes nothing; prints
a table.
"""
from __future__ import annotations

import argparse
import functools
from pathlib import Path

from tic_tac_toe import best_against_random

from sparring import checkpoint
from sparring.arena import make_game
from sparring.config import load
from sparring.models.presets import build_model
from sparring.recipes.selfplay import make_policy
from sparring.rollout.bots import solve


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    cfg = load(args.run_dir / "config.json")
    if not cfg.game.startswith("tic_tac_toe") or checkpoint.latest(args.run_dir) is None:
        raise SystemExit(f"{args.run_dir}: not a Tic-Tac-Toe run with a checkpoint")
    model, tok = build_model(cfg.model, cfg.seed, checkpoint=checkpoint.latest(args.run_dir))
    policy, game = make_policy(cfg, model, tok), make_game(cfg.game)

    states: dict[str, object] = {}  # every position, once

    def walk(state) -> None:
        key = str(state.spiel_state)
        if key not in states:
            states[key] = state
            for a in [] if state.is_terminal() else state.legal_actions():
                walk(after(state, a))

    def after(state, action):
        child = state.clone()
        child.apply(action)
        return child

    optimal = solve(make_game("tic_tac_toe")).distribution  # ids of the minimax-optimal moves
    root = game.new_state(0)
    walk(root)
    deciding = [s for s in states.values() if not s.is_terminal()]
    probs = {}
    for i in range(0, len(deciding), 512):
        chunk = deciding[i : i + 512]
        probs.update({str(s.spiel_state): p for s, p in zip(chunk, policy.probabilities(chunk))})

    for seat in (0, 1):
        @functools.cache
        def win(key: str, move: str | None = None) -> float:  # greedy policy in seat, random opponent
            state = states[key]
            if move is not None:
                return win(str(after(state, move).spiel_state))
            if state.is_terminal():
                return float(state.returns()[seat] > 0)
            moves = state.legal_actions()
            if state.current_player() != seat:
                return sum(win(key, m) for m in moves) / len(moves)
            return win(key, max(probs[key], key=probs[key].get))

        rows, frontier = [], {str(root.spiel_state): 1.0}
        while frontier:  # positions by depth, with the probability of reaching them
            nxt: dict[str, float] = {}
            for key, reach in frontier.items():
                state = states[key]
                if state.is_terminal():
                    continue
                p = probs[key]
                moves = state.legal_actions() if state.current_player() != seat else [max(p, key=p.get)]
                for m in moves:
                    child = str(after(state, m).spiel_state)
                    nxt[child] = nxt.get(child, 0.0) + reach / len(moves)
                if state.current_player() == seat:
                    q = {m: win(key, m) for m in state.legal_actions()}
                    best, chose = max(q, key=q.get), moves[0]
                    if q[best] > q[chose] + 1e-12:
                        rows.append((reach * (q[best] - q[chose]), reach, q[best] - q[chose], state, chose, best, p))
            frontier = nxt
        merged: dict[tuple, list] = {}  # mirror images look alike in the symmetric view: one row
        for cost, reach, gap, state, chose, best, p in rows:
            key = (policy.prompt(state).replace("\n", " "), chose, best)
            row = merged.setdefault(key, [0.0, 0.0, 0, gap, p, state.action_map()[best] in optimal(state.spiel_state)])
            row[0], row[1], row[2] = row[0] + cost, row[1] + reach, row[2] + 1
        print(f"seat {seat}: greedy wins {win(str(root.spiel_state)):.4f} against random; best possible "
              f"{best_against_random(seat, False):.4f}, never giving up value {best_against_random(seat, True):.4f}; "
              f"{len(rows)} positions with a better move, one-step gain {sum(r[0] for r in rows):.4f}")
        for (board, chose, best), (cost, reach, n, gap, p, keeps) in sorted(merged.items(), key=lambda x: -x[1][0])[: args.top]:
            print(f"  {cost:.4f} = reach {reach:.4f} x gap {gap:.3f}  {board:24s} plays {chose} (p {p[chose]:.2f}),"
                  f" {best} wins more (p {p[best]:.2f})" + (f" [{n} mirror images]" if n > 1 else "")
                  + ("" if keeps else " but can lose to the optimal player"))


if __name__ == "__main__":
    main()
