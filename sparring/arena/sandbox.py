"""Isolated execution of model-written Python code.

Every run is a fresh interpreter (``python -I -S``: no site-packages, no user or
environment paths) in a new process group, working in a private temporary
directory that is deleted afterwards, with stdin closed and a scrubbed
environment.  Around it, in layers:

* OS limits (``setrlimit``, set by the child on itself before it reads the
  program): CPU seconds, address space, size of any file it writes (stdout and
  stderr go to files, so output is capped the same way), open files, processes;
* a wall-clock limit, after which the whole process group is killed;
* a network namespace with no interfaces (``unshare -rn``) where the OS allows
  unprivileged namespaces; ``Limits.network_namespace`` says whether it was used;
* inside the child, an audit hook (``sandbox_child.py``) that refuses process
  creation, sockets, native code (``ctypes``), file access outside its directory
  (the standard library may be read), and the frame and garbage-collector
  introspection a program would need to tamper with the hook's own state.

This contains careless and hostile *programs*; it is not a virtual machine: a
program exploiting a bug in CPython itself could get past the audit hook (the OS
limits would still hold).  Run training on shared machines inside a container.

``run(code)`` executes a program; ``run(code, function="f", inputs=["(1, 2)"])``
also calls ``f(*args)`` on each input (Python literals, parsed in the child) and
returns the ``repr`` of each result.  The verdict is one word; ``detail`` says more.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

CHILD = Path(__file__).with_name("sandbox_child.py")

# verdicts, most specific first
OK, ERROR, BLOCKED, TIMEOUT, CPU, MEMORY, OUTPUT, CRASHED = (
    "ok", "error", "blocked", "timeout", "cpu_limit", "memory_limit", "output_limit", "crashed")


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 5.0
    cpu_seconds: int = 2
    memory_mb: int = 512  # address space; the interpreter itself needs ~30 MB
    file_mb: float = 1.0  # any file it writes, stdout and stderr included
    open_files: int = 64
    max_repr: int = 10_000  # characters of a returned value
    output_chars: int = 4_000  # characters of stdout/stderr returned to the caller
    network_namespace: bool = True  # use ``unshare -rn`` where it works


@dataclass
class Result:
    verdict: str
    outputs: list[str | None] = field(default_factory=list)  # repr per input; "!ExcName" where f raised
    stdout: str = ""
    stderr: str = ""
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict == OK


@cache
def _unshare() -> list[str]:
    """The command prefix for a private network namespace, or [] where the OS refuses one."""
    exe = shutil.which("unshare")
    if not exe or not sys.platform.startswith("linux"):
        return []
    try:
        ok = subprocess.run([exe, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return []
    return [exe, "-rn"] if ok else []


def network_isolated() -> bool:
    """Whether runs get a network namespace of their own on this machine."""
    return bool(_unshare())


def run(code: str, function: str | None = None, inputs: list[str] | None = None,
        limits: Limits = Limits()) -> Result:
    """Run ``code`` (and ``function(*input)`` for each input literal) in the sandbox."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sparring-sandbox-") as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        spec = Path(tmp) / "spec.json"  # outside the work directory: the program cannot read it
        spec.write_text(json.dumps({"code": code, "function": function, "inputs": list(inputs or []),
                                    "result": str(Path(tmp) / "result.json"), "max_repr": limits.max_repr,
                                    "rlimits": _rlimits(limits)}))
        prefix = _unshare() if limits.network_namespace else []
        with open(Path(tmp) / "stdout", "wb") as out, open(Path(tmp) / "stderr", "wb") as err:
            proc = subprocess.Popen(
                [*prefix, sys.executable, "-I", "-S", "-B", str(CHILD), str(spec)], cwd=work, stdin=subprocess.DEVNULL,
                stdout=out, stderr=err, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(work)},
                start_new_session=True, close_fds=True)
            try:
                code_ = proc.wait(timeout=limits.wall_seconds)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out, code_ = True, None
            _kill_group(proc)
        result = _verdict(Path(tmp), code_, timed_out, limits)
    result.seconds = time.perf_counter() - start
    return result


def _rlimits(limits: Limits) -> dict[str, int]:
    """The OS limits the child sets on itself before it reads the program.  The
    process limit is 1: no new processes or threads for anyone the kernel enforces
    it on (everyone without CAP_SYS_RESOURCE, root inside ``unshare -r`` included)."""
    mb = 1024 * 1024
    return {"RLIMIT_CPU": limits.cpu_seconds, "RLIMIT_AS": limits.memory_mb * mb,
            "RLIMIT_FSIZE": int(limits.file_mb * mb), "RLIMIT_NOFILE": limits.open_files, "RLIMIT_CORE": 0,
            "RLIMIT_NPROC": 1}


def run_many(jobs: list[dict], limits: Limits = Limits(), workers: int = 4) -> list[Result]:
    """``run(**job)`` for each job, several at once (each is its own process)."""
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        return list(pool.map(lambda job: run(limits=limits, **job), jobs))


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill everything the program started (its process group), then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def _read(path: Path, chars: int) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(chars * 4).decode("utf-8", "replace")[:chars]
    except OSError:
        return ""


def _verdict(tmp: Path, returncode: int | None, timed_out: bool, limits: Limits) -> Result:
    stdout, stderr = _read(tmp / "stdout", limits.output_chars), _read(tmp / "stderr", limits.output_chars)
    r = Result(CRASHED, stdout=stdout, stderr=stderr)
    try:
        data = json.loads((tmp / "result.json").read_text())
    except (OSError, ValueError):
        data = None
    if timed_out:
        r.verdict, r.detail = TIMEOUT, f"still running after {limits.wall_seconds:g} s (wall clock)"
    elif data is None:
        sig = -returncode if returncode is not None and returncode < 0 else 0
        if sig == signal.SIGXCPU or sig == signal.SIGKILL:
            r.verdict, r.detail = CPU, f"used more than {limits.cpu_seconds} s of CPU"
        elif sig == signal.SIGXFSZ:
            r.verdict, r.detail = OUTPUT, f"wrote more than {limits.file_mb:g} MB"
        elif "MemoryError" in stderr or "Cannot allocate" in stderr:
            r.verdict, r.detail = MEMORY, f"needed more than {limits.memory_mb} MB"
        else:
            r.detail = f"exit status {returncode}: {stderr.strip()[-200:]}"
    else:
        r.outputs = data["outputs"]
        if data["violations"]:
            r.verdict, r.detail = BLOCKED, "; ".join(data["violations"])
        elif data["error"] == "FileTooLarge":
            r.verdict, r.detail = OUTPUT, f"wrote more than {limits.file_mb:g} MB"
        elif data["error"] == "MemoryError":
            r.verdict, r.detail = MEMORY, f"needed more than {limits.memory_mb} MB"
        elif data["error"]:
            r.verdict, r.detail = ERROR, data["error"]
        elif None in r.outputs:
            r.verdict, r.detail = OUTPUT, f"a returned value is longer than {limits.max_repr} characters"
        else:
            r.verdict = OK
    return r
