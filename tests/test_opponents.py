"""Fixed opponents beyond the OpenSpiel bots: scripted heuristics and an OpenAI-compatible
endpoint (against a small local fake server, never a real remote)."""
from __future__ import annotations

import json
import random
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sparring.arena import make_game
from sparring.config import ConfigError, RunConfig, set_value, validate
from sparring.evaluation.exact import expected_returns
from sparring.evaluation.matches import play_matches
from sparring.rollout.bots import make_bot
from sparring.rollout.endpoint import EndpointPolicy, parse_name
from sparring.rollout.heuristic import kuhn_move, tic_tac_toe_move
from sparring.rollout.play import play
from sparring.rollout.policy import RandomPolicy


def test_kuhn_heuristic_bets_kings_and_folds_jacks():
    assert kuhn_move(2, ["check", "bet"]) == "bet"
    assert kuhn_move(1, ["check", "bet"]) == "check"
    assert kuhn_move(0, ["check", "bet"]) == "check"
    assert kuhn_move(0, ["fold", "call"]) == "fold"
    assert kuhn_move(1, ["fold", "call"]) == "call"


def test_tic_tac_toe_heuristic_wins_then_blocks_then_takes_the_centre():
    assert tic_tac_toe_move("xx.oo....", "x") == 2  # own win first
    assert tic_tac_toe_move("xx.oo....", "o") == 5  # o wins too
    assert tic_tac_toe_move("xx..o....", "o") == 2  # block
    assert tic_tac_toe_move("x........", "o") == 4  # centre
    assert tic_tac_toe_move("....x....", "o") == 0  # a corner


@pytest.mark.parametrize("spec", ["kuhn_poker", "tic_tac_toe", "tic_tac_toe(view=compact)"])
def test_heuristic_beats_random_and_never_plays_an_illegal_move(spec):
    game = make_game(spec)
    bot = make_bot("heuristic", game)
    result = play_matches(game, bot, RandomPolicy(), 100, seed=0)
    assert result["invalid"] == 0
    # exactly, over every deal and every random move, averaged over both seats
    value = (expected_returns(game, [bot, RandomPolicy()])[0] + expected_returns(game, [RandomPolicy(), bot])[1]) / 2
    assert value > 0.1


def test_no_heuristic_for_other_games_is_one_clear_error():
    with pytest.raises(ValueError, match="no scripted heuristic"):
        make_bot("heuristic", make_game("leduc_poker"))


class _FakeChat(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions like an OpenAI-compatible server: a short
    reasoning, then the first legal move listed in the prompt, in \\boxed{}."""

    replies: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        _FakeChat.replies.append((self.path, body["model"], prompt))
        legal = prompt.rsplit("one of:", 1)[1].strip().rstrip(".").split(", ")
        text = f"I will play it safe.\n\\boxed{{{legal[0]}}}" if "garbage" not in body["model"] else "¯\\_(ツ)_/¯"
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    server = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeChat.replies.clear()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


def test_endpoint_opponent_plays_whole_games_through_a_chat_server(fake_server):
    game = make_game("kuhn_poker")
    bot = make_bot(f"openai:fake-model@{fake_server}", game)
    assert isinstance(bot, EndpointPolicy)
    episodes = play(game, [[bot, RandomPolicy()], [RandomPolicy(), bot]] * 5, list(range(10)), random.Random(0))
    assert all(not t.invalid for ep in episodes for t in ep.turns)
    theirs = [t for ep in episodes for t in ep.turns if t.policy_id == bot.id]
    assert theirs and all(t.decision.action in t.legal for t in theirs)
    path, model, prompt = _FakeChat.replies[0]
    assert path == "/v1/chat/completions" and model == "fake-model"
    assert "Kuhn Poker" in prompt and "\\boxed" in prompt  # the rules and the answer format were sent


def test_endpoint_garbage_and_dead_servers_are_recorded_invalid_moves(fake_server):
    game = make_game("tic_tac_toe")
    for name in (f"openai:garbage@{fake_server}", "openai:m@http://127.0.0.1:9/v1"):  # port 9: nothing listens
        bot = EndpointPolicy(name, timeout=5)
        episodes = play(game, [[bot, RandomPolicy()]] * 2, [0, 1], random.Random(0))
        assert all(ep.invalid_by == 0 for ep in episodes)
        assert all(ep.turns[0].decision.error for ep in episodes)


def test_endpoint_names_are_checked():
    assert parse_name("openai:qwen@https://host/v1/") == ("qwen", "https://host/v1")
    with pytest.raises(ValueError, match="openai:MODEL@"):
        parse_name("openai:qwen@ftp://host")
    cfg = RunConfig()
    set_value(cfg, "rollout.opponents=random,openai:m@http://localhost:8000/v1,heuristic")
    validate(cfg)
    set_value(cfg, "rollout.opponents=openai:nohost")
    with pytest.raises(ConfigError, match="openai:MODEL@BASE_URL"):
        validate(cfg)
