"""Reward shaping on hand-built episodes."""
import pytest

from sparring.rewards.shaping import RewardConfig, episode_rewards
from sparring.types import Decision, Episode, Turn

LEGAL = ("check", "bet")


def ok(player, action="bet"):
    return Turn(player=player, policy_id=f"p{player}", prompt="", legal=LEGAL,
                decision=Decision(action=action, text=action))


def unparsed(player):  # nothing legal could be read
    return Turn(player=player, policy_id=f"p{player}", prompt="", legal=LEGAL,
                decision=Decision(action=None, text="hmm", error="no legal move found"))


def illegal(player):  # parsed, but the game refused it
    return Turn(player=player, policy_id=f"p{player}", prompt="", legal=LEGAL,
                decision=Decision(action="raise", text="raise", error="'raise' is not a legal move here"))


SHAPED = RewardConfig(invalid_penalty=-1.5, invalid_other=0.5, per_invalid=-0.1, truncated=-0.25)


def episode(turns, returns, n=2, **kw):
    return Episode(game="openspiel:kuhn_poker", seats=[f"p{i}" for i in range(n)], turns=turns,
                   returns=returns, **kw)


def test_normal_game_keeps_the_game_returns():
    ep = episode([ok(0, "check"), ok(1, "bet"), ok(0, "call")], [-2.0, 2.0])
    assert episode_rewards(ep, RewardConfig()) == [-2.0, 2.0]
    assert episode_rewards(ep, SHAPED) == [-2.0, 2.0]  # no invalid move: nothing to shape


def test_forfeit_uses_penalty_and_other_reward():
    # as play() records it: the offender's invalid turn is the last one, returns already -1 / +1
    ep = episode([ok(0), unparsed(1)], [1.0, -1.0], invalid_by=1)
    assert episode_rewards(ep, RewardConfig()) == [1.0, -1.0]
    assert episode_rewards(ep, SHAPED) == [0.5, -1.5]  # the forfeiting invalid is not also charged per_invalid


def test_forfeit_by_first_player_and_by_illegal_move():
    ep = episode([illegal(0)], [-1.0, 1.0], invalid_by=0)
    assert episode_rewards(ep, SHAPED) == [-1.5, 0.5]


def test_forfeit_in_three_player_game_rewards_every_other_player():
    ep = episode([ok(0), ok(1), unparsed(2)], [0.5, 0.5, -1.0], n=3, invalid_by=2)
    assert episode_rewards(ep, SHAPED) == [0.5, 0.5, -1.5]


def test_forfeit_after_recovered_invalid_moves_counts_only_the_earlier_ones():
    # p1: one recovered invalid (replaced by a random move), then the forfeiting one
    # p0: one recovered invalid
    turns = [unparsed(0), illegal(1), ok(0), unparsed(1)]
    ep = episode(turns, [1.0, -1.0], invalid_by=1)
    assert ep.invalid_counts() == [1, 2]
    assert episode_rewards(ep, SHAPED) == pytest.approx([0.5 - 0.1, -1.5 - 0.1])
    assert ep.invalid_counts() == [1, 2]  # the episode is not modified


def test_per_invalid_in_a_finished_game():
    turns = [unparsed(0), ok(1), illegal(0), ok(0), unparsed(1)]
    ep = episode(turns, [1.0, -1.0])
    assert episode_rewards(ep, SHAPED) == pytest.approx([1.0 - 0.2, -1.0 - 0.1])
    assert episode_rewards(ep, RewardConfig()) == [1.0, -1.0]  # per_invalid defaults to 0


def test_truncation_gives_every_player_the_truncated_reward():
    ep = episode([ok(0), ok(1), ok(0)], [0.0, 0.0], truncated=True)
    assert episode_rewards(ep, RewardConfig()) == [0.0, 0.0]
    assert episode_rewards(ep, SHAPED) == [-0.25, -0.25]
    # recovered invalid moves are still charged on top
    ep = episode([unparsed(0), ok(1), ok(0)], [0.0, 0.0], truncated=True)
    assert episode_rewards(ep, SHAPED) == pytest.approx([-0.35, -0.25])


def test_returns_are_ignored_when_truncated_or_forfeited():
    # whatever returns were recorded, the shaping config decides
    assert episode_rewards(episode([ok(0)], [7.0, -7.0], truncated=True), SHAPED) == [-0.25, -0.25]
    assert episode_rewards(episode([unparsed(0)], [7.0, -7.0], invalid_by=0), SHAPED) == [-1.5, 0.5]


def test_discount_prefers_quick_wins_and_slow_losses():
    quick = episode([ok(0), ok(1), ok(0)], [1.0, -1.0])  # p0 wins on its 2nd move, p1 loses after 1
    slow = episode([ok(0), ok(1), ok(0), ok(1), ok(0)], [1.0, -1.0])  # p0: 3 moves, p1: 2
    cfg = RewardConfig(discount=0.9)
    assert episode_rewards(quick, cfg) == pytest.approx([0.9, -1.0])
    assert episode_rewards(slow, cfg) == pytest.approx([0.81, -0.9])
    draw = episode([ok(0), ok(1)], [0.0, 0.0])
    assert episode_rewards(draw, cfg) == [0.0, 0.0]
    assert episode_rewards(slow, RewardConfig()) == [1.0, -1.0]  # undiscounted by default
    # forfeits keep their configured rewards, undiscounted
    assert episode_rewards(episode([ok(0), ok(1), unparsed(0)], [-1.0, 1.0], invalid_by=0), cfg) == [-1.0, 1.0]


def test_format_bonus_counts_valid_moves_stated_in_boxed_form():
    def said(player, text, action="bet", error=""):
        return Turn(player=player, policy_id=f"p{player}", prompt="", legal=LEGAL,
                    decision=Decision(action=action, text=text, error=error))

    turns = [said(0, "A King: I bet. \\boxed{bet}"), said(1, "I'll bet too", "bet"),
             said(0, "\\boxed{raise}", "raise", error="'raise' is not a legal move here"), said(1, "\\boxed{check}", "check")]
    ep = episode(turns, [1.0, -1.0])
    assert episode_rewards(ep, RewardConfig(format_bonus=0.1)) == pytest.approx([1.1, -0.9])
    assert episode_rewards(ep, RewardConfig()) == [1.0, -1.0]
