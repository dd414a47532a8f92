"""What a run measures at each evaluation: exact exploitability where the game is
small enough, and matches against fixed opponents.  Flat ``eval/...`` names."""
from __future__ import annotations

import copy
import time

from sparring.arena.openspiel import OpenSpielGame
from sparring.evaluation import exact
from sparring.evaluation.matches import play_matches
from sparring.rollout.bots import BOT_NAME, make_bot
from sparring.rollout.policy import RandomPolicy


def evaluate(game, policy, opponents: list[str], games: int, greedy: bool, exploitability: bool,
             seed: int = 0, bots: dict | None = None) -> tuple[dict[str, float], dict]:
    """Returns (flat metrics, full report).  ``bots`` caches built opponents across calls."""
    bots = {} if bots is None else bots
    metrics: dict[str, float] = {}
    report: dict = {"game": game.name, "policy": policy.id, "greedy": greedy, "matches": {}}
    start = time.perf_counter()
    if getattr(policy, "mode", "direct") == "generate":
        # probabilities() would describe the direct-scoring policy, not the free-text one being trained;
        # greedy play here means greedy decoding
        if exploitability:
            report["exploitability_skipped"] = "not defined for free-text (generate mode) policies"
        exploitability = False
        if greedy:
            policy = copy.copy(policy)
            policy.greedy, greedy = True, False
    if exploitability and isinstance(game, OpenSpielGame) and game.num_players == 2:
        try:
            value = exact.exploitability(game, policy)
            metrics["eval/exploitability"] = value
            report["exploitability"] = value
        except ValueError as e:  # too large, or not two-player zero-sum: say so once, go on
            report["exploitability_skipped"] = str(e)
    for name in opponents:
        if name not in bots:
            try:
                bots[name] = make_bot(name, game, seed)
            except ValueError as e:  # e.g. an OpenSpiel bot asked to play a TextArena game
                if not BOT_NAME.match(name):
                    raise
                report.setdefault("skipped", {})[name] = str(e)
                continue
        if isinstance(bots[name], RandomPolicy) and game.new_state(seed).legal_actions() is None:
            report.setdefault("skipped", {})[name] = "a random player needs a list of legal moves (free-text game)"
            continue
        result = play_matches(game, policy, bots[name], games, seed=seed, greedy=greedy)
        report["matches"][name] = result
        tag = name.replace(":", "")
        metrics[f"eval/vs_{tag}/win"] = result["win_rate"]
        metrics[f"eval/vs_{tag}/draw"] = result["draw_rate"]
        metrics[f"eval/vs_{tag}/loss"] = result["loss_rate"]
        metrics[f"eval/vs_{tag}/return"] = result["mean_return"]
        for seat in result["per_seat"]:
            metrics[f"eval/vs_{tag}/seat{seat['seat']}_loss"] = seat["loss_rate"]
    metrics["eval/seconds"] = time.perf_counter() - start
    return metrics, report
