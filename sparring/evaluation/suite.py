"""What a run measures at each evaluation: exact exploitability where the game is
small enough, and matches against fixed opponents.  Flat ``eval/...`` names."""
from __future__ import annotations

import copy
import time

from sparring.arena.openspiel import OpenSpielGame
from sparring.evaluation import exact
from sparring.evaluation.matches import Sampled, play_matches
from sparring.rollout.bots import BOT_NAME, make_bot
from sparring.rollout.policy import RandomPolicy


def evaluate(game, policy, opponents: list[str], games: int, greedy: bool, exploitability: bool,
             seed: int = 0, bots: dict | None = None, episodes_out: list | None = None,
             samples: int = 0) -> tuple[dict[str, float], dict]:
    """Returns (flat metrics, full report).  ``bots`` caches built opponents across calls;
    the games played are appended to ``episodes_out`` when one is given; ``samples``:
    answers per state from which a free-text policy's distribution is estimated."""
    bots = {} if bots is None else bots
    metrics: dict[str, float] = {}
    report: dict = {"game": game.name, "policy": policy.id, "greedy": greedy, "matches": {}}
    start = time.perf_counter()
    exact_policy = policy
    if getattr(policy, "mode", "direct") == "generate":
        # probabilities() would describe the direct-scoring policy, not the free-text one being trained:
        # its distribution is estimated from `samples` answers per state; greedy play means greedy decoding
        exact_policy = Sampled(policy, samples, seed=seed) if samples else None
        if exploitability and not samples:
            report["exploitability_skipped"] = "free-text (generate mode) policy: set eval.samples to estimate it"
        if greedy:
            policy = copy.copy(policy)
            policy.greedy, greedy = True, False
    if exploitability and exact_policy is not None and isinstance(game, OpenSpielGame) and game.num_players == 2:
        try:
            value = exact.exploitability(game, exact_policy)
            metrics["eval/exploitability"] = value
            report["exploitability"] = value
            if isinstance(exact_policy, Sampled):
                report["exploitability_estimated_from"] = f"{samples} sampled answers per information state"
                metrics["eval/exploitability_invalid_rate"] = exact_policy.invalid_rate
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
        result = play_matches(game, policy, bots[name], games, seed=seed, greedy=greedy, episodes_out=episodes_out)
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
