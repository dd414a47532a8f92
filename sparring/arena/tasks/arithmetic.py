"""Arithmetic tasks: the proposer writes a word problem and the expression that
answers it (``style=word``), or just an expression (``style=expression``, for
models that cannot write prose yet, such as ``tiny``).  The expression is
evaluated exactly, with fractions, by walking its syntax tree: only numbers,
``+ - * /``, unary minus and parentheses are accepted, nothing of the model's
text is ever executed.

``style=question`` (R-Zero) asks only for the word problem: no answer is known,
and the solver's own majority answer over its attempts stands in for one (a
task whose attempts never agree twice has no label, and none of its answers
counts as right); a problem written with a valid expression is checked exactly
(one whose expression is not valid is kept as a question and voted on).  The proposer is then paid for questions the solver answers
consistently about half the time (``tasks.learnability=band``).
"""
from __future__ import annotations

import ast
import random
import re
from collections import Counter
from fractions import Fraction

from sparring.arena.tasks.base import Task
from sparring.evaluation.maths import PROMPT as SOLVE_PROMPT
from sparring.evaluation.maths import extract_answer, is_correct, to_number

MAX_OPERATORS = 8
MAX_NUMBER = 10**6  # largest operand
MAX_ANSWER = 10**9
_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b}


class BadExpression(ValueError):
    pass


def evaluate(expression: str) -> Fraction:
    """The exact value of an arithmetic expression; ``BadExpression`` (one line) otherwise."""
    text = expression.strip().replace("×", "*").replace("÷", "/").replace("−", "-").replace(",", "")
    if len(text) > 200:
        raise BadExpression("expression longer than 200 characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        raise BadExpression(f"not an arithmetic expression: {expression.strip()[:60]!r}") from None
    count = [0]

    def walk(node) -> Fraction:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = Fraction(str(node.value))
            if abs(value) > MAX_NUMBER:
                raise BadExpression(f"number {node.value} is larger than {MAX_NUMBER}")
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            count[0] += 1
            if count[0] > MAX_OPERATORS:
                raise BadExpression(f"more than {MAX_OPERATORS} operations")
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise BadExpression("division by zero")
            return _OPS[type(node.op)](left, right)
        raise BadExpression(f"only numbers, + - * / and parentheses are allowed, not {type(node).__name__}")

    value = walk(tree.body)
    if abs(value) > MAX_ANSWER:
        raise BadExpression(f"answer larger than {MAX_ANSWER}")
    return value


def operators(expression: str) -> int:
    return sum(expression.count(c) for c in "+-*/×÷")


def numbers_in(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text.replace(",", ""))


def as_answer(value: Fraction) -> str | None:
    """A clean written answer: an integer or a decimal with at most two places, else None."""
    if value.denominator == 1:
        return str(value.numerator)
    scaled = value * 100
    if scaled.denominator == 1:
        return f"{float(value):.2f}".rstrip("0")
    return None


def candidates(text: str) -> list[str]:
    """Stretches of text that look like arithmetic (digits, operators, parentheses),
    trimmed of dangling operators and unbalanced outer parentheses."""
    out = []
    for raw in re.findall(r"[\d(][\d \t+\-*/().×÷]*", text):  # one line at a time
        c = raw.strip().rstrip("+-*/×÷( ").strip()
        while c.count("(") > c.count(")") and c.startswith("("):
            c = c[1:].strip()
        while c.count(")") > c.count("(") and c.endswith(")"):
            c = c[:-1].strip()
        if c:
            out.append(c)
    return out


class Arithmetic:
    """One kind of task, ``arithmetic``; ``style`` is ``word``, ``expression`` or ``question``."""

    kinds = ("arithmetic",)

    def __init__(self, style: str = "word"):
        if style not in ("word", "expression", "question"):
            raise ValueError(f"unknown arithmetic style {style!r} (choose word, expression or question)")
        self.style = style

    # ---- proposer ---------------------------------------------------------------------
    def propose_prompt(self, kind: str, references: list[Task], rng: random.Random) -> str:
        if self.style == "expression":  # a bare prompt a byte-level model can learn to complete
            return "Write an arithmetic expression:"
        shown = "".join(f"Problem: {t.data['problem']}\nExpression: {t.data['expression']}\n\n" if t.data["expression"]
                        and t.data["problem"] else f"Problem: {t.data['problem']}\n\n" if t.data["problem"]
                        else f"Expression: {t.data['expression']}\n\n" for t in references)
        intro = (f"Here are problems written before:\n\n{shown}Write a different one.\n" if shown else "")
        if self.style == "question":
            return (f"{intro}Write a short math word problem for a child. It uses two numbers and ends with "
                    "a question such as 'How many ... ?'. Write only the problem.")
        return (f"{intro}Write a new short math word problem whose answer is a single number, "
                "then the arithmetic expression that computes its answer from the numbers in the problem.\n"
                "Use exactly this format:\nProblem: <the problem>\nExpression: <numbers with + - * / and parentheses>")

    def parse_proposals(self, kind: str, texts: list[str]) -> list[Task | str]:
        return [self.parse_proposal(kind, t) for t in texts]

    def parse_proposal(self, kind: str, text: str) -> Task | str:
        """A valid task, or a one-line reason why the proposal is not one.

        ``word``: a word problem with the expression that answers it; failing that,
        as small models often write, a bare expression with at least one operation
        anywhere in the text.  ``expression``: the first expression in the text.
        ``question``: a word problem with a valid expression, else a word problem
        alone (its answer left to the solvers' majority)."""
        if self.style == "question":  # a problem with its expression is verified exactly; without, by majority
            task = self._word_problem(kind, text)
            return task if isinstance(task, Task) else self._question(kind, text)
        why = "no arithmetic expression"
        if self.style == "word":
            task = self._word_problem(kind, text)
            if isinstance(task, Task):
                return task
            why = task
        minimum = 1 if self.style == "word" else 0
        for expression in candidates(text):
            try:
                value = evaluate(expression)
            except BadExpression:
                continue
            if operators(expression) >= minimum and as_answer(value) is not None:
                return self._task(kind, f"Compute {expression}.", expression, value, problem="")
        return why

    def _word_problem(self, kind: str, text: str) -> Task | str:
        m = re.search(r"problem\s*:\s*(.+?)\s*expression\s*:\s*([^\n]+)", text, flags=re.IGNORECASE | re.DOTALL)
        if not m:
            return "not in the format 'Problem: ... Expression: ...'"
        problem, expression = m.group(1).strip(), m.group(2).strip().strip("`$").rstrip(".").split("=")[0]
        if len(problem) < 15:
            return "problem too short"
        missing = [n for n in numbers_in(expression) if n not in numbers_in(problem)]
        if missing:
            return f"expression uses {missing[0]}, which is not in the problem"
        try:
            value = evaluate(expression)
        except BadExpression as e:
            return str(e)
        if as_answer(value) is None:
            return "answer is not a whole number or a decimal with two places"
        if operators(expression) == 0:
            return "no operation: the problem states its own answer"
        return self._task(kind, problem, expression, value, problem=problem)

    def _question(self, kind: str, text: str) -> Task | str:
        text = re.sub(r"^\s*\**problem\**\s*:\s*\**\s*", "", text.strip(), flags=re.IGNORECASE)
        if "?" not in text:
            return "no question mark: the problem does not ask anything"
        problem = " ".join(text[: text.index("?") + 1].split())
        if not 20 <= len(problem) <= 400:
            return f"problem of {len(problem)} characters (20 to 400 wanted)"
        numbers = numbers_in(problem)
        if len(numbers) < 2:
            return "fewer than two numbers: nothing to compute"
        return Task(kind=kind, question=problem, answer="", key=problem.lower(),
                    data={"problem": problem, "expression": ""},
                    difficulty={"numbers": len(numbers), "digits": max(len(n) for n in numbers),
                                "words": len(problem.split()), "word_problem": 1.0})

    def _task(self, kind, question, expression, value, problem) -> Task:
        expression = expression.strip()
        return Task(kind=kind, question=question, answer=as_answer(value), key=question.lower(),
                    data={"problem": problem, "expression": expression},
                    difficulty={"operations": operators(expression),
                                "digits": max((len(n) for n in numbers_in(expression)), default=0),
                                "answer_digits": len(str(abs(value.numerator // value.denominator))),
                                "word_problem": float(bool(problem))})

    # ---- solver -------------------------------------------------------------------------
    def solve_prompt(self, task: Task) -> str:
        return f"{task.question} Answer:" if self.style == "expression" else SOLVE_PROMPT.format(question=task.question)

    def verify(self, tasks: list[Task], answers: list[str]) -> list[bool]:
        """Against each task's answer; a task without one (``style=question``) against
        the majority of the answers given to it in this batch."""
        said = [extract_answer(a) for a in answers]
        labels = majority_labels(tasks, said)
        references = [t.answer or labels.get(id(t)) for t in tasks]
        return [r is not None and is_correct(s, r) for s, r in zip(said, references)]


def majority_labels(tasks: list[Task], said: list[str | None]) -> dict[int, str]:
    """For each task without an answer (by identity), the answer most of its attempts
    gave, numbers equal in value counting as one; only when at least two agree and
    no other answer got as many votes."""
    votes: dict[int, Counter] = {}
    for t, s in zip(tasks, said):
        value = to_number(s) if s is not None and not t.answer else None
        if value is not None:
            votes.setdefault(id(t), Counter())[value] += 1
    labels = {}
    for key, counter in votes.items():
        top = counter.most_common(2)
        if top[0][1] >= 2 and (len(top) == 1 or top[1][1] < top[0][1]):
            labels[key] = str(top[0][0])
    return labels
