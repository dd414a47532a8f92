"""Held-out maths suites: loading the benchmark formats, answer extraction, scoring."""
import json
from fractions import Fraction

import pytest

from sparring.evaluation.maths import SuiteError, extract_answer, is_correct, load_suite, to_number


@pytest.mark.parametrize("text,value", [
    ("1,234", 1234), ("$18.00", 18), ("-3", -3), ("3/4", Fraction(3, 4)), ("\\frac{3}{4}", Fraction(3, 4)),
    ("50%", 50), ("7.", 7), ("2.5", Fraction(5, 2)),
])
def test_numbers_as_models_write_them(text, value):
    assert to_number(text) == value


def test_not_a_number():
    assert to_number("x + 1") is None
    assert to_number("1/0") is None


@pytest.mark.parametrize("text,expected", [
    ("so 3 + 4 = 7.\nAnswer: 7", "7"),
    ("The answer is $1,200.", "$1,200"),
    ("We get \\boxed{\\frac{1}{2}} in the end, not 5", "\\frac{1}{2}"),
    ("16 - 3 - 4 = 9 eggs, 9 * 2 = 18\n#### 18", "18"),
    ("He has 5 apples and eats 2, leaving 3 apples", "3"),
    ("Answer: 12 (since 3 * 4 = 12). Then 99 more words", "12"),
    ("no numbers here", None),
])
def test_extracting_the_final_answer(text, expected):
    assert extract_answer(text) == expected


def test_scoring():
    assert is_correct("$18.00", "18")
    assert is_correct("\\frac{1}{2}", "0.5")
    assert not is_correct("17", "18")
    assert not is_correct(None, "18")
    assert is_correct("\\left( 3, \\frac{\\pi}{2} \\right)", "\\left(3,\\frac{\\pi}{2}\\right)")  # non-numeric: text


def test_loading_each_benchmark_format(tmp_path):
    f = tmp_path / "mixed.jsonl"
    rows = [{"input": "2 and 3 more?", "target": 5.0},
            {"question": "Q?", "answer": "work\n#### 1,000", "idx": 0},
            {"problem": "P?", "answer": "\\frac{1}{2}", "solution": "..."}]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    qs = load_suite(f)
    assert [(q.question, q.answer) for q in qs] == [("2 and 3 more?", "5"), ("Q?", "1,000"), ("P?", "\\frac{1}{2}")]
    subset = load_suite(f, limit=2, seed=3)
    assert len(subset) == 2 and subset == load_suite(f, limit=2, seed=3)  # a fixed subset


def test_bad_suites_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "no answer"}\n')
    with pytest.raises(SuiteError, match="bad.jsonl:1"):
        load_suite(bad)
    with pytest.raises(SuiteError, match="known suite"):
        load_suite(tmp_path / "missing.jsonl")
