"""Reasoning prompts, the prompt recorded for training, and policies estimated by sampling."""
from __future__ import annotations

import random

import pytest

from sparring.arena import make_game
from sparring.evaluation.matches import Sampled
from sparring.evaluation.suite import evaluate
from sparring.models.lm import LMPolicy
from sparring.models.tiny import TinyConfig, tiny_model
from sparring.rollout.play import play
from sparring.rollout.prompts import move_prompt
from sparring.types import Decision


def test_reason_prompt_has_rules_view_legal_moves_and_answer_format():
    s = make_game("kuhn_poker").new_state(0)
    assert move_prompt(s, "plain") == s.observation(0)
    p = move_prompt(s, "reason")
    assert "Jack < Queen < King" in p and "Your card:" in p and "\\boxed{move}" in p
    assert p.rstrip().endswith("where move is one of: check, bet.")
    assert "Move:" not in p  # the direct-scoring cue is dropped
    ttt = move_prompt(make_game("tic_tac_toe").new_state(0), "reason")
    assert "three of your marks" in ttt.lower()
    generic = move_prompt(make_game("leduc_poker").new_state(0), "reason")  # no rules written for it: still fine
    assert "one of:" in generic and "\\boxed{move}" in generic
    with pytest.raises(ValueError, match="prompt style"):
        move_prompt(s, "chatty")


def test_the_prompt_a_model_saw_is_what_training_uses():
    model, tok = tiny_model(TinyConfig(hidden=32, layers=1), seed=0)
    game = make_game("kuhn_poker")
    for mode in ("direct", "generate"):
        policy = LMPolicy(model, tok, mode=mode, prompt="reason", max_new_tokens=4)
        episodes = play(game, [[policy, policy]] * 3, [0, 1, 2], random.Random(0), invalid="random")
        turns = [t for ep in episodes for t in ep.turns]
        assert turns and all(t.prompt.startswith("You are playing") for t in turns)


class _Coin:
    """Says 'bet' or garbage, half and half; legal moves otherwise ignored."""

    id = "coin"

    def act(self, states, rng):
        return [Decision(action="bet", text="bet") if rng.random() < 0.5 else
                Decision(action=None, text="??", error="no legal move found") for _ in states]


def test_sampled_distribution_counts_valid_answers_and_reports_invalid_ones():
    s = make_game("kuhn_poker").new_state(0)
    est = Sampled(_Coin(), samples=200, seed=1)
    [dist] = est.probabilities([s])
    assert dist == {"check": 0.0, "bet": 1.0}
    assert 0.4 < est.invalid_rate < 0.6


def test_exploitability_of_a_free_text_policy_is_estimated_when_asked():
    model, tok = tiny_model(TinyConfig(hidden=32, layers=1), seed=0)
    policy = LMPolicy(model, tok, mode="generate", max_new_tokens=4)
    game = make_game("kuhn_poker")
    metrics, report = evaluate(game, policy, [], 0, False, True, samples=4)
    assert 0 <= metrics["eval/exploitability"] <= 2 and "sampled answers" in report["exploitability_estimated_from"]
    assert 0 <= metrics["eval/exploitability_invalid_rate"] <= 1
    _, report = evaluate(game, policy, [], 0, False, True)
    assert "eval.samples" in report["exploitability_skipped"]
