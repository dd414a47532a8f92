"""Python program tasks, as in Absolute Zero: a triplet (program, input, output) and
three ways to ask about it.

* deduction: given the program and an input, predict the output;
* abduction: given the program and an output, find an input that produces it;
* induction: given half of the input/output pairs, write the program; it is
  checked on all pairs, the hidden half included.

The proposer writes a function ``f`` and inputs (Python literals for its
arguments).  A proposal is valid when it parses, runs on every input without an
error, and gives the same outputs on a second run (deterministic).  Every run of
model-written code, the proposer's and the solver's, happens in the sandbox.
"""
from __future__ import annotations

import ast
import random
import re
from collections import Counter

from sparring.arena import sandbox
from sparring.arena.tasks.base import Task

KINDS = ("deduction", "abduction", "induction")
MIN_INPUTS = {"deduction": 1, "abduction": 1, "induction": 4}
MAX_LINES = 30
MAX_LITERAL = 200  # characters of an input or output
LIMITS = sandbox.Limits(wall_seconds=5.0, cpu_seconds=2, memory_mb=512, max_repr=MAX_LITERAL)

# inputs tried on a function its proposer gave none for (those it raises on are dropped)
PROBES = ("(0,)", "(1,)", "(2,)", "(5,)", "(-3,)", "('abc',)", "([1, 2, 3],)", "(1, 2)")
_TOP_LEVEL = ("def ", "class ", "import ", "from ", "@", "#", ")", "]", "}")
_ASK = {
    "deduction": "an input for it",
    "abduction": "an input for it",
    "induction": "at least 4 different inputs for it, one per line",
}


def program_of(text: str) -> str | None:
    """The Python function in a model's text: a fenced block if there is one, else from 'def f' on."""
    fenced = re.findall(r"```(?:python|py)?\s*\n(.*?)```", text, flags=re.DOTALL)
    for block in fenced:
        if "def f" in block:
            return block.strip("\n")
    at = text.find("def f")
    if at < 0:
        return None
    lines = []
    for line in text[at:].split("```")[0].splitlines():  # up to the first unindented line that is not code
        if lines and line.strip() and not line[0].isspace() and not line.startswith(_TOP_LEVEL):
            break
        lines.append(line)
    return "\n".join(lines).strip("\n")


def _literal_args(text: str) -> str | None:
    """Arguments as written ('3, [1, 2]' or 'f(3, [1, 2])') -> a tuple literal, if it is one."""
    t = text.strip().strip("`").strip()
    if t.startswith("f(") and t.endswith(")"):
        t = t[2:-1]
    if not t or len(t) > MAX_LITERAL:
        return None
    try:
        value = ast.literal_eval(f"({t},)")
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    return repr(value)


def _same_value(a: str, b: str) -> bool:
    """Two Python literals equal as values ('[1, 2]' == '[1,2]'), else as stripped text."""
    try:
        return ast.literal_eval(a.strip()) == ast.literal_eval(b.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return a.strip() == b.strip()


def _after(label: str, text: str) -> str:
    found = re.findall(label + r"\s*:\s*(.+)", text, flags=re.IGNORECASE)
    return found[-1].strip().strip("`").strip() if found else text.strip().splitlines()[-1] if text.strip() else ""


def _call(args: str) -> str:
    return f"f{args}" if not args.endswith(",)") else f"f{args[:-2]})"


class Code:
    kinds = KINDS

    def __init__(self, kinds: tuple[str, ...] = KINDS, limits: sandbox.Limits = LIMITS):
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown code task kind {unknown[0]!r} (choose {', '.join(KINDS)})")
        self.kinds, self.limits = tuple(kinds), limits
        self.verdicts: Counter = Counter()  # sandbox verdicts of every run so far (the recipe logs and resets it)

    def _run(self, jobs: list[dict]) -> list[sandbox.Result]:
        results = sandbox.run_many(jobs, self.limits)
        self.verdicts.update(r.verdict for r in results)
        return results

    # ---- proposer -------------------------------------------------------------------------
    def propose_prompt(self, kind: str, references: list[Task], rng: random.Random) -> str:
        shown = "".join(f"```python\n{t.data['program']}\n```\n" for t in references)
        intro = f"Here are programs written before:\n{shown}\nWrite a different one.\n" if shown else ""
        return (f"{intro}Write a short deterministic Python function named f (no imports, no printing, "
                f"no randomness), then {_ASK[kind]}.\nUse exactly this format:\n```python\ndef f(...):\n    ...\n```\n"
                "Input: <the arguments of f, as Python literals>")

    def parse_proposals(self, kind: str, texts: list[str]) -> list[Task | str]:
        """Valid tasks (programs run twice in the sandbox: they must agree) or why not, per text."""
        drafts: list[tuple[str, list[str]] | str] = []
        for text in texts:
            program = program_of(text)
            if program is None:
                drafts.append("no function f")
                continue
            if len(program.splitlines()) > MAX_LINES:
                drafts.append(f"program longer than {MAX_LINES} lines")
                continue
            inputs = [a for a in (_literal_args(x) for x in re.findall(r"input\s*\d*\s*:\s*(.+)", text, re.IGNORECASE)) if a]
            inputs += [a for a in (_literal_args(x) for x in _input_lines(text)) if a and a not in inputs]
            inputs = list(dict.fromkeys(inputs))
            if not inputs:  # small models often stop after the function: probe it with plain values
                inputs = list(PROBES)
            if len(inputs) < MIN_INPUTS[kind]:
                drafts.append(f"needs at least {MIN_INPUTS[kind]} valid input(s), got {len(inputs)}")
                continue
            drafts.append((program, inputs[:8]))
        jobs = [{"code": d[0], "function": "f", "inputs": d[1]} for d in drafts if not isinstance(d, str)]
        runs = iter(zip(self._run(jobs), self._run(jobs)))
        out: list[Task | str] = []
        for d in drafts:
            if isinstance(d, str):
                out.append(d)
                continue
            first, second = next(runs)
            out.append(self._task(kind, *d, first, second))
        return out

    def _task(self, kind, program, inputs, first: sandbox.Result, second: sandbox.Result) -> Task | str:
        if not first.ok:
            return f"{first.verdict}: {first.detail[:120]}"
        if first.outputs != second.outputs:
            return "not deterministic: two runs gave different outputs"
        pairs = list(zip(inputs, first.outputs))
        if tuple(inputs) == PROBES:  # probes it fails on are not part of the task
            pairs = [(i, o) for i, o in pairs if not o.startswith("!")]
        if any(o.startswith("!") for _, o in pairs) or len(pairs) < MIN_INPUTS[kind]:
            failed = next((o for o in first.outputs if o.startswith("!")), "!no output")
            return f"f raised {failed[1:]} on an input"
        if kind == "induction" and len({o for _, o in pairs}) < 2:
            return "every input gives the same output"
        nodes = sum(1 for _ in ast.walk(ast.parse(program)))
        shown = pairs[: (len(pairs) + 1) // 2]
        if kind == "deduction":
            question = f"```python\n{program}\n```\nInput: {_call(pairs[0][0])}"
            answer = pairs[0][1]
        elif kind == "abduction":
            question = f"```python\n{program}\n```\nOutput: {pairs[0][1]}"
            answer = pairs[0][0]
        else:
            question = "\n".join(f"{_call(i)} == {o}" for i, o in shown)
            answer = program
        return Task(kind=kind, question=question, answer=answer, key=re.sub(r"\s+", " ", program),
                    data={"program": program, "pairs": pairs},
                    difficulty={"program_lines": len(program.splitlines()), "ast_nodes": nodes})

    # ---- solver ---------------------------------------------------------------------------
    def solve_prompt(self, task: Task) -> str:
        if task.kind == "deduction":
            return f"{task.question}\nWhat does f return? Write it as a Python literal after 'Output:'."
        if task.kind == "abduction":
            return f"{task.question}\nFind arguments for which f returns this output. Write them after 'Input:'."
        return (f"Write a Python function f that gives these results:\n{task.question}\n"
                "Write the function in a ```python block.")

    def verify(self, tasks: list[Task], answers: list[str]) -> list[bool]:
        ok = [False] * len(tasks)
        jobs, where = [], []
        for i, (task, text) in enumerate(zip(tasks, answers)):
            if task.kind == "deduction":
                ok[i] = _same_value(_after("output", text), task.answer)
            elif task.kind == "abduction":
                args = _literal_args(_after("input", text))
                if args is not None:
                    jobs.append({"code": task.data["program"], "function": "f", "inputs": [args]})
                    where.append(i)
            else:
                program = program_of(text)
                if program is not None:
                    jobs.append({"code": program, "function": "f", "inputs": [i_ for i_, _ in task.data["pairs"]]})
                    where.append(i)
        for i, result in zip(where, self._run(jobs)):
            expected = [tasks[i].data["pairs"][0][1]] if tasks[i].kind == "abduction" else \
                [o for _, o in tasks[i].data["pairs"]]
            ok[i] = result.ok and len(result.outputs) == len(expected) and \
                all(_same_value(a, b) for a, b in zip(result.outputs, expected))
        return ok


def _input_lines(text: str) -> list[str]:
    """Lines after an 'Inputs:' header (induction proposals list several)."""
    m = re.search(r"inputs\s*:\s*\n(.+)", text, flags=re.IGNORECASE | re.DOTALL)
    if not m:
        return []
    return [re.sub(r"^[-*]\s+", "", ln.strip()) for ln in m.group(1).splitlines()
            if ln.strip() and not ln.strip().startswith("```")][:8]
