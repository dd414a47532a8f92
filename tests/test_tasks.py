"""Task domains, their verifiers and the proposer/solver/judge rewards (hand-computed values)."""
from fractions import Fraction

import pytest
import torch

from sparring.advantages import varied
from sparring.arena.tasks import Task, UnknownDomain, make_domain, parse_verdict
from sparring.arena.tasks.arithmetic import BadExpression, evaluate
from sparring.evaluation.maths import PROMPT as SOLVE_PROMPT
from sparring.rewards.learnability import (
    azr_learnability,
    band_learnability,
    judge_rewards,
    proposer_rewards,
    repetition_penalty,
)


def test_arithmetic_is_exact_and_refuses_everything_but_arithmetic():
    assert evaluate("3 + 4 * 2") == 11
    assert evaluate("(1 + 2) / 4") == Fraction(3, 4)
    assert evaluate("0.1 + 0.2") == Fraction(3, 10)  # exact, not 0.30000000000000004
    assert evaluate("-(2 - 5) × 2") == 6
    for bad in ("__import__('os').system('echo hi')", "2 ** 100", "x + 1", "open('f')", "1 / 0", "[1, 2]",
                "9" * 8, "1 +", "1" + "+1" * 20, "'a' * 3"):
        with pytest.raises(BadExpression):
            evaluate(bad)


def test_word_proposals_parse_or_say_why():
    d = make_domain("arithmetic")
    good, *bad, bare = d.parse_proposals("arithmetic", [
        "Problem: Tom has 5 boxes of 12 eggs and breaks 7. How many eggs are left?\nExpression: 5 * 12 - 7",
        "Problem: Sam has 3 cats.\nExpression: 3",  # no operation
        "Problem: A rope of 10 m is cut into 3 equal parts. How long is each?\nExpression: 10 / 3",  # 3.333...
        "just some text",
        "Problem: Ann had 10 pens. How many left?\nExpression: 10 - 4 = 6"])  # 4 is not in the problem ...
    assert isinstance(good, Task) and good.answer == "53" and good.difficulty["operations"] == 2
    assert good.difficulty["word_problem"] == 1.0
    assert "Tom has 5 boxes" in d.solve_prompt(good) and "Answer:" in d.solve_prompt(good)
    assert [type(b) for b in bad] == [str] * 3 and "operation" in bad[0] and "decimal" in bad[1] and "format" in bad[2]
    # ... so it falls back, as small models often write, to a bare expression in the text
    assert bare.question == "Compute 10 - 4." and bare.answer == "6" and bare.difficulty["word_problem"] == 0.0
    (lines,) = d.parse_proposals("arithmetic", ["Problem: 12 * 3 + 4\n\n2 * 3 + 4\n2 * 5"])  # one line at a time
    assert lines.question == "Compute 12 * 3 + 4." and lines.answer == "40"
    assert d.verify([good] * 3, ["The answer is 53.", "Answer: 52", "5*12-7 = 53 eggs"]) == [True, False, True]


def test_expression_style_for_models_without_prose():
    d = make_domain("arithmetic(style=expression)")
    t, bad = d.parse_proposals("arithmetic", ["zz 12+3*2 qq", "no digits"])
    assert t.answer == "18" and t.question == "Compute 12+3*2." and isinstance(bad, str)


def test_question_style_labels_answers_by_the_solvers_majority():
    d = make_domain("arithmetic(style=question)")
    asked = d.propose_prompt("arithmetic", [], None)
    assert "Write only the problem" in asked and "Expression:" not in asked
    good, other, *bad = d.parse_proposals("arithmetic", [
        " Tom has 5 boxes of 12 eggs and breaks 7. How many eggs are left? Answer: 53",
        "Problem: A bus has 40 seats and 25 people. How many seats are free?",
        "Tom has 5 boxes of eggs.",  # asks nothing
        "How many is 3?",  # too short, one number
        "Tom has many boxes of eggs and breaks some. How many are left?"])
    assert good.question == "Tom has 5 boxes of 12 eggs and breaks 7. How many eggs are left?" and good.answer == ""
    assert good.difficulty["numbers"] == 3 and other.question.startswith("A bus")
    assert "question mark" in bad[0] and "characters" in bad[1] and "two numbers" in bad[2]
    assert d.solve_prompt(good) == SOLVE_PROMPT.format(question=good.question)
    (exact,) = d.parse_proposals("arithmetic", ["Problem: Ann has 3 bags of 4 pens. How many pens?\nExpression: 3 * 4"])
    assert exact.answer == "12" and d.verify([exact] * 2, ["12", "13"]) == [True, False]  # checked, not voted
    # three of four attempts agree on 53 (53.0 is the same number): they are right, 52 is not;
    # the other task's attempts tie 2-2, so it has no label and nothing counts as right
    attempts = [good] * 4 + [other] * 4
    said = ["Answer: 53", "53.0", "it is 52", "so 53 eggs", "15", "15", "Answer: 65", "65"]
    assert d.verify(attempts, said) == [True, True, False, True] + [False] * 4
    assert d.verify([good] * 3, ["1", "2", "no number"]) == [False] * 3  # never twice the same: no label


def test_code_tasks_deduction_abduction_induction():
    d = make_domain("code")
    program = "```python\ndef f(a, b):\n    return [a] * b\n```\nInput: 3, 2"
    (ded,) = d.parse_proposals("deduction", [program])
    (abd,) = d.parse_proposals("abduction", [program])
    assert ded.answer == "[3, 3]" and "Input: f(3, 2)" in ded.question
    assert d.verify([ded] * 3, ["Output: [3,3]", "Output: [3, 2]", "no idea"]) == [True, False, False]
    assert abd.answer == "(3, 2)" and "Output: [3, 3]" in abd.question
    # any input that gives the output is right, checked by running it
    assert d.verify([abd] * 3, ["Input: 3, 2", "Input: f(3, 2)", "Input: 2, 3"]) == [True, True, False]
    (ind,) = d.parse_proposals("induction", ["def f(x):\n    return 2 * x + 1\nInputs:\n1\n2\n3\n4"])
    assert ind.question.count("==") == 2 and len(ind.data["pairs"]) == 4  # half shown, all checked
    assert d.verify([ind] * 2, ["```python\ndef f(x):\n    return x + x + 1\n```", "def f(x):\n    return 3"]) == [
        True, False]


def test_code_proposals_must_run_and_be_deterministic():
    d = make_domain("code(kinds=deduction)")
    assert d.kinds == ("deduction",)
    why = d.parse_proposals("deduction", [
        "def f(x):\n    import random\n    return random.random()\nInput: 1",
        "def f(x):\n    return 1 / x\nInput: 0",
        "def f(x):\n    return open('/etc/passwd').read()\nInput: 1",
        "Input: 1",
        "def f(x):\n    return x\nInput: not a literal"])
    assert "deterministic" in why[0] and "ZeroDivisionError" in why[1] and why[2].startswith("blocked")
    assert "no function" in why[3] and isinstance(why[4], Task)  # no readable input: probed
    # a function given without inputs is probed with plain values; those it fails on are dropped
    (probed,) = make_domain("code").parse_proposals("induction", ["def f(x):\n    return x * 2"])
    assert len(probed.data["pairs"]) >= 4 and ("(2,)", "4") in probed.data["pairs"]
    (strict,) = make_domain("code").parse_proposals("induction", ["def f(x):\n    return x + 1"])
    assert all(not o.startswith("!") for _, o in strict.data["pairs"]) and ("('abc',)", "!TypeError") not in \
        strict.data["pairs"]
    # the failures dropped do not count as different outputs: a constant function is no induction task
    (constant,) = make_domain("code").parse_proposals("induction", ["def f(x):\n    return x + 1 - x"])
    assert constant == "every input gives the same output"
    with pytest.raises(UnknownDomain):
        make_domain("code(kinds=poetry)")
    with pytest.raises(UnknownDomain):
        make_domain("chess")


def test_learnability_rewards():
    acc = torch.tensor([0.0, 0.25, 0.5, 1.0])
    assert azr_learnability(acc).tolist() == [0.0, 0.75, 0.5, 0.0]
    assert band_learnability(acc).tolist() == [0.0, 0.5, 1.0, 0.0]
    # invalid proposals get the lowest reward; the penalty is subtracted
    assert proposer_rewards([None, 0.5, 0.25], [0.0, 0.0, 1.0], "azr", 0.5, -1.0) == [-1.0, 0.5, 0.25]


def test_repetition_penalty():
    a = "Tom has 5 apples and buys 3 more apples"
    b = "Tom has 5 apples and buys 3 more apples"
    c = "A train travels 60 km in 2 hours at what speed"
    # a and b duplicate each other (1 of the other 2 valid proposals each); c is unique; None is invalid
    assert repetition_penalty([a, b, c, None], [], 0.6) == [0.5, 0.5, 0.0, 0.0]
    # recent tasks count too: b repeats a (1 of the 4 it is compared with), c repeats the recent c
    assert repetition_penalty([b, c], [c, a, "something else entirely"], 0.6) == [0.25, 0.25]
    assert repetition_penalty([c], [], 0.6) == [0.0] and repetition_penalty([], [], 0.6) == []


def test_judge_rewards_and_verdicts():
    assert [parse_verdict(t) for t in ("Yes.", "no, it is wrong", "Correct!", "hmm")] == [True, False, True, None]
    assert judge_rewards([True, False, None], [True, True, False], -1.0) == [1.0, 0.0, -1.0]


def test_groups_without_variance_are_found():
    r = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.5])
    assert varied(r, ["a", "a", "b", "b", "c"]).tolist() == [False, False, True, True, False]
