"""LMPolicy on the tiny model and real OpenSpiel games, checked against an
independent full-sequence computation written here."""
import math
import random
from collections import Counter

import pytest
import torch

from sparring.arena.openspiel import OpenSpielGame
from sparring.models.lm import LMPolicy
from sparring.models.tiny import TinyConfig, tiny_model
from sparring.rollout.parse import parse_move

TOL = 1e-4


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # a model this small runs fastest on one thread, and far slower on several when the
    # cores are shared with other processes
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _reinit(model, seed, std):
    """Fixed random weights, whatever the preset's own initialisation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * std)


@pytest.fixture(scope="module")
def lm():
    model, tok = tiny_model(TinyConfig(), 0)
    # a freshly initialised model is almost uniform over legal moves; larger weights and
    # a scaled final norm make its action distributions clearly non-uniform
    _reinit(model, 0, 0.05)
    with torch.no_grad():
        model.model.norm.weight.fill_(3.0)
    return model.eval(), tok


def _state(game, moves=(), seed=0):
    s = game.new_state(seed)
    for m in moves:
        s.apply(m)
    return s


@pytest.fixture(scope="module")
def states():
    kuhn, ttt = OpenSpielGame("kuhn_poker"), OpenSpielGame("tic_tac_toe")
    leduc, c4 = OpenSpielGame("leduc_poker"), OpenSpielGame("connect_four")
    return {
        "kuhn": _state(kuhn, seed=0),
        "kuhn_other_card": _state(kuhn, seed=3),
        "kuhn_facing": _state(kuhn, ["bet"], seed=3),  # fold / call
        "kuhn_long": _state(kuhn, ["check", "bet"], seed=1),
        "ttt": _state(ttt),
        "ttt_2": _state(ttt, ["5", "1"]),
        "leduc": _state(leduc, seed=2),  # Call / Raise
        "leduc_raised": _state(leduc, ["Raise"], seed=2),  # Fold / Call / Raise: names of unequal length
        "c4": _state(c4, ["x3"]),
    }


def _batch(states, names):
    ss = [states[n] for n in names]
    return ss, [s.observation(s.current_player()) for s in ss], [tuple(s.legal_actions()) for s in ss]


MIXED = ["kuhn", "ttt", "kuhn", "leduc_raised", "kuhn_facing", "ttt_2", "c4", "leduc", "kuhn_long",
         "ttt", "kuhn_other_card", "leduc_raised"]


def reference_logprobs(model, tok, prompt, legal, score="mean", temperature=1.0):
    """Full forward pass per (prompt, action), no padding, no cache.

    The scoring rule, restated independently: each move is the text " move"; an
    end-of-sequence token is appended to every move when one move's tokens are a
    prefix of another's; tokens shared by all moves at the start are context, not
    scored (each move keeps at least one scored token).
    """
    p = [tok.bos_token_id] + tok(prompt, add_special_tokens=False)["input_ids"]
    toks = [tok(" " + a, add_special_tokens=False)["input_ids"] for a in legal]
    prefix_clash = any(a != b and b[: len(a)] == a for a in toks for b in toks) or len(set(map(tuple, toks))) < len(toks)
    if prefix_clash:
        toks = [t + [tok.eos_token_id] for t in toks]
    shared = 0
    while shared < min(map(len, toks)) - 1 and len({t[shared] for t in toks}) == 1:
        shared += 1
    scores = []
    for a_ids in toks:
        logits = model(input_ids=torch.tensor([p + a_ids])).logits[0].float()
        logp = torch.log_softmax(logits, -1)[len(p) - 1: len(p) - 1 + len(a_ids)]
        tok_lp = logp.gather(1, torch.tensor(a_ids)[:, None]).squeeze(1)[shared:]
        scores.append(tok_lp.mean() if score == "mean" else tok_lp.sum())
    return torch.log_softmax(torch.stack(scores) / temperature, -1)


def test_prefix_moves_stay_distinct(lm):
    model, tok = lm
    pol = LMPolicy(model, tok, score="sum")
    legal = ("1", "10", "2")
    with torch.no_grad():
        got = pol.action_logprobs(["Pick a number.\nMove:"], [legal])[0]
        ref = reference_logprobs(model, tok, "Pick a number.\nMove:", legal, "sum")
    assert torch.allclose(got, ref, atol=TOL, rtol=0)
    assert abs(float(got.exp().sum()) - 1) < 1e-5


# ---- (a) action_logprobs == independent computation ----------------------------------------


@pytest.mark.parametrize("score,temperature", [("mean", 1.0), ("sum", 1.0), ("mean", 0.5)])
def test_action_logprobs_match_full_sequence_reference(lm, states, score, temperature):
    model, tok = lm
    pol = LMPolicy(model, tok, score=score, temperature=temperature)
    _, prompts, legals = _batch(states, MIXED)
    assert len({len(p) for p in prompts}) > 5  # prompts of many lengths: left padding is exercised
    with torch.no_grad():
        got = pol.action_logprobs(prompts, legals)
        refs = {}
        for p, l in zip(prompts, legals):
            if (p, l) not in refs:
                refs[p, l] = reference_logprobs(model, tok, p, l, score, temperature)
    assert len(got) == len(prompts)
    for g, p, l in zip(got, prompts, legals):
        assert g.shape == (len(l),)
        assert torch.allclose(g, refs[p, l], atol=TOL, rtol=0), (l, g, refs[p, l])
    # the scores are far from uniform, so the comparison means something
    assert max(float(g.max() - g.min()) for g in got) > 0.5


def test_action_logprobs_single_prompt_and_duplicates(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    _, prompts, legals = _batch(states, ["leduc_raised"])
    with torch.no_grad():
        one = pol.action_logprobs(prompts, legals)[0]
        ref = reference_logprobs(model, tok, prompts[0], legals[0])
        many = pol.action_logprobs(prompts * 4, legals * 4)
    assert torch.allclose(one, ref, atol=TOL, rtol=0)
    for m in many:
        assert torch.allclose(m, one, atol=1e-6, rtol=0)


def test_each_prompt_runs_once_and_duplicates_are_computed_once(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    _, prompts, legals = _batch(states, MIXED)
    unique = list(dict.fromkeys(zip(prompts, legals)))
    calls = []
    hook = model.register_forward_pre_hook(lambda mod, args, kw: calls.append(tuple(kw["input_ids"].shape)),
                                           with_kwargs=True)
    try:
        with torch.no_grad():
            got = pol.action_logprobs(prompts, legals)
    finally:
        hook.remove()
    assert len(calls) == 2  # the prompts, then the multi-token moves' continuations on the shared cache
    assert calls[0][0] == len(unique) < len(prompts)
    assert calls[1][0] == sum(len(l) for _, l in unique)
    # single-token moves (tic-tac-toe's cells) need the prompt's forward pass only
    calls.clear()
    ttt = [(p, l) for p, l in unique if l[0].isdigit()]
    hook = model.register_forward_pre_hook(lambda mod, args, kw: calls.append(tuple(kw["input_ids"].shape)),
                                           with_kwargs=True)
    try:
        with torch.no_grad():
            pol.action_logprobs([p for p, _ in ttt], [l for _, l in ttt])
    finally:
        hook.remove()
    assert len(calls) == 1
    for i, j in [(0, 2), (1, 9), (3, 11)]:  # duplicates in MIXED
        assert torch.equal(got[i], got[j])


# ---- (b), (c) distributions and probabilities ----------------------------------------------


def test_distributions_sum_to_one(lm, states):
    model, tok = lm
    for score in ("mean", "sum"):
        pol = LMPolicy(model, tok, score=score)
        _, prompts, legals = _batch(states, MIXED)
        with torch.no_grad():
            for lp in pol.action_logprobs(prompts, legals):
                assert lp.exp().sum().item() == pytest.approx(1.0, abs=1e-5)
                assert (lp <= 0).all()


def test_probabilities_agree_with_action_logprobs(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    ss, prompts, legals = _batch(states, MIXED)
    probs = pol.probabilities(ss)
    with torch.no_grad():
        logps = pol.action_logprobs(prompts, legals)
    for pr, lp, legal in zip(probs, logps, legals):
        assert list(pr) == list(legal)
        assert list(pr.values()) == pytest.approx(lp.exp().tolist(), abs=1e-6)


def test_greedy_probabilities_are_one_hot_at_the_argmax(lm, states):
    model, tok = lm
    ss, prompts, legals = _batch(states, MIXED)
    with torch.no_grad():
        logps = LMPolicy(model, tok).action_logprobs(prompts, legals)
    for pr, lp, legal in zip(LMPolicy(model, tok, greedy=True).probabilities(ss), logps, legals):
        best = legal[int(lp.argmax())]
        assert pr == {a: (1.0 if a == best else 0.0) for a in legal}


# ---- (d) act ------------------------------------------------------------------------------------


def test_act_returns_legal_actions_with_their_logprob(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    ss, _, legals = _batch(states, MIXED)
    probs = pol.probabilities(ss)
    decisions = pol.act(ss, random.Random(0))
    assert len(decisions) == len(ss)
    for d, legal, pr in zip(decisions, legals, probs):
        assert d.action in legal and d.text == d.action and not d.error
        assert d.logprob == pytest.approx(math.log(pr[d.action]), abs=1e-5)
    # reproducible under the same seed
    again = pol.act(ss, random.Random(0))
    assert [d.action for d in again] == [d.action for d in decisions]


def test_greedy_act_takes_the_argmax(lm, states):
    model, tok = lm
    ss, prompts, legals = _batch(states, MIXED)
    with torch.no_grad():
        logps = LMPolicy(model, tok).action_logprobs(prompts, legals)
    for seed in range(2):
        for d, lp, legal in zip(LMPolicy(model, tok, greedy=True).act(ss, random.Random(seed)), logps, legals):
            k = int(lp.argmax())
            assert d.action == legal[k]
            assert d.logprob == pytest.approx(float(lp[k]), abs=1e-6)


def test_sampling_frequencies_match_probabilities(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    n = 3000
    names = ["ttt", "leduc_raised", "kuhn_facing"]
    for name in names:
        s = states[name]
        pr = pol.probabilities([s])[0]
        counts = Counter(d.action for d in pol.act([s] * n, random.Random(7)))
        assert set(counts) <= set(pr)
        for a, p in pr.items():
            freq = counts[a] / n
            assert abs(freq - p) <= 4 * math.sqrt(p * (1 - p) / n) + 0.005, (name, a, freq, p)


# ---- (e) generate mode -----------------------------------------------------------------------------


def _chatty_model(seed, eos_bias, digit_bias):
    """A tiny model whose output head favours the end-of-sequence token and digits, so
    that sampled completions are a mix of finished, parseable and truncated ones."""
    model, tok = tiny_model(TinyConfig(), seed)
    _reinit(model, seed, 0.02)
    head = torch.nn.Linear(model.config.hidden_size, model.config.vocab_size, bias=True)
    head.weight = model.lm_head.weight
    with torch.no_grad():
        head.bias.zero_()
        head.bias[tok.eos_token_id] = eos_bias
        for d in "123456789 ":
            head.bias[tok.convert_tokens_to_ids("Ġ" if d == " " else d)] = digit_bias
    model.lm_head = head
    return model.eval(), tok


@pytest.fixture(scope="module")
def chatty():
    return _chatty_model(1, eos_bias=4.0, digit_bias=3.5)


def _check_generated(pol, ss, decisions):
    tok = pol.tokenizer
    prompts = [pol.prompt(s) for s in ss]
    with torch.no_grad():
        recomputed = pol.completion_logprobs(prompts, [d.completion_ids for d in decisions])
    for d, s, lp in zip(decisions, ss, recomputed):
        ids = d.completion_ids
        assert 1 <= len(ids) == len(d.token_logprobs) <= pol.max_new_tokens
        assert d.logprob == pytest.approx(sum(d.token_logprobs), abs=1e-4)
        assert lp.shape == (len(ids),)
        assert torch.allclose(lp, torch.tensor(d.token_logprobs), atol=TOL, rtol=0), (lp, d.token_logprobs)
        assert d.text == tok.decode(ids, skip_special_tokens=True)
        if tok.eos_token_id in ids:
            assert ids.index(tok.eos_token_id) == len(ids) - 1
            assert not d.truncated
            assert d.action == parse_move(d.text, s.legal_actions())
            assert d.error == ("" if d.action is not None else "no legal move found")
        else:
            assert len(ids) == pol.max_new_tokens
            assert d.truncated and d.action is None and d.error == "truncated"


def test_generate_records_completion_and_token_logprobs(chatty, states):
    model, tok = chatty
    pol = LMPolicy(model, tok, mode="generate", max_new_tokens=10, temperature=0.8)
    names = ["ttt", "ttt_2", "kuhn", "ttt", "c4", "leduc_raised", "ttt_2", "ttt"] * 12
    ss = [states[n] for n in names]
    decisions = pol.act(ss, random.Random(0))
    assert len(decisions) == len(ss)
    _check_generated(pol, ss, decisions)
    # the batch really mixes the outcomes
    assert any(d.truncated for d in decisions)
    assert any(not d.truncated and d.action is not None for d in decisions)
    assert any(not d.truncated and d.action is None for d in decisions)
    assert len({len(d.completion_ids) for d in decisions}) > 2


def test_generate_greedy_records_consistent_logprobs(chatty, states):
    model, tok = chatty
    pol = LMPolicy(model, tok, mode="generate", max_new_tokens=6, greedy=True)
    ss = [states[n] for n in ["ttt", "kuhn", "leduc"]]
    decisions = pol.act(ss, random.Random(0))
    _check_generated(pol, ss, decisions)
    assert [d.completion_ids for d in pol.act(ss, random.Random(1))] == [d.completion_ids for d in decisions]


def test_shared_prompt_prefix_is_computed_once_with_the_same_result(chatty, states):
    # reasoning prompts share their instructions: generation runs them once and
    # shares the KV cache; tokens and log-probabilities must not change
    model, tok = chatty
    ss = [states[n] for n in ["kuhn", "leduc", "ttt", "ttt_2", "kuhn"]]
    runs = {}
    for cached in (True, False):
        pol = LMPolicy(model, tok, mode="generate", prompt="reason", max_new_tokens=8, greedy=True,
                       prefix_cache=cached)
        runs[cached] = pol.act(ss, random.Random(0))
        _check_generated(pol, ss, runs[cached])
    assert [d.completion_ids for d in runs[True]] == [d.completion_ids for d in runs[False]]
    for a, b in zip(runs[True], runs[False]):
        assert a.token_logprobs == pytest.approx(b.token_logprobs, abs=TOL)
    calls = []
    hook = model.register_forward_pre_hook(lambda m, args, kw: calls.append(kw["input_ids"].shape), with_kwargs=True)
    try:
        LMPolicy(model, tok, mode="generate", prompt="reason", max_new_tokens=2, greedy=True).act(ss, random.Random(0))
    finally:
        hook.remove()
    assert calls[0][0] == 1 and calls[0][1] > 20  # the shared instructions, once, for the whole batch


def test_generate_truncated_output_is_invalid_even_if_it_parses(states):
    model, tok = _chatty_model(2, eos_bias=0.0, digit_bias=8.0)  # almost always a digit, rarely an end
    pol = LMPolicy(model, tok, mode="generate", max_new_tokens=1)
    ss = [states["ttt"]] * 12
    decisions = pol.act(ss, random.Random(0))
    _check_generated(pol, ss, decisions)
    truncated = [d for d in decisions if d.truncated]
    assert len(truncated) >= 10
    for d in truncated:
        assert d.action is None and d.error == "truncated" and d.completion_ids[-1] != tok.eos_token_id
    # the text alone would have been a legal move: truncation, not parsing, makes it invalid
    assert any(parse_move(d.text, states["ttt"].legal_actions()) is not None for d in truncated)


# ---- (f) gradients ----------------------------------------------------------------------------------


def test_gradients_flow_through_action_logprobs_and_match_reference(lm, states):
    model, tok = lm
    pol = LMPolicy(model, tok)
    _, prompts, legals = _batch(states, ["kuhn", "ttt_2", "leduc_raised", "kuhn", "c4"])
    g = torch.Generator().manual_seed(0)
    weights = [torch.randn(len(l), generator=g) for l in legals]
    params = dict(model.named_parameters())

    model.zero_grad(set_to_none=True)
    loss = sum((w * lp).sum() for w, lp in zip(weights, pol.action_logprobs(prompts, legals)))
    loss.backward()
    got = {n: p.grad.clone() if p.grad is not None else None for n, p in params.items()}

    model.zero_grad(set_to_none=True)
    ref_loss = sum((w * reference_logprobs(model, tok, p, l)).sum() for w, p, l in zip(weights, prompts, legals))
    ref_loss.backward()
    ref = {n: p.grad.clone() for n, p in params.items()}
    model.zero_grad(set_to_none=True)

    assert loss.item() == pytest.approx(ref_loss.item(), abs=1e-4)
    for name in params:
        assert got[name] is not None, f"no gradient for {name}"
        assert got[name].abs().sum() > 0, f"zero gradient for {name}"
        scale = ref[name].abs().max().item()
        assert (got[name] - ref[name]).abs().max().item() <= 1e-3 * scale + 1e-7, name


def test_chat_template_wraps_each_prompt_as_a_user_turn():
    model, tok = tiny_model(TinyConfig(hidden=32, layers=1, heads=2, mlp=64), seed=0)
    tok.chat_template = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}<assistant>"
    policy = LMPolicy(model, tok, mode="generate", max_new_tokens=3)
    ids = policy._encode_prompts(["Move:"])
    assert ids == [tok("<user>Move:<assistant>", add_special_tokens=False)["input_ids"]]
    decision = policy.act([OpenSpielGame("tic_tac_toe").new_state(0)], random.Random(0))[0]
    assert len(decision.completion_ids) == len(decision.token_logprobs) >= 1
