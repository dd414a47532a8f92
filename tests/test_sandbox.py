"""The sandbox against hostile programs: each is contained, gets a clear verdict, and the host is unharmed."""
import os
import time
from pathlib import Path

import pytest

from sparring.arena import sandbox
from sparring.arena.sandbox import Limits, run

FAST = Limits(wall_seconds=3.0, cpu_seconds=1, memory_mb=256)


def test_ordinary_program_and_function_calls():
    r = run("print('hello')\ndef f(a, b):\n    return sorted(a)[:b]", function="f",
            inputs=["([3, 1, 2], 2)", "('cab', 5)", "(None, 1)"])
    assert r.verdict == "ok" and r.stdout == "hello\n"
    assert r.outputs == ["[1, 2]", "['a', 'b', 'c']", "!TypeError"]
    # the standard library stays importable (read-only), preloaded or not
    r = run("import math, textwrap, json\nprint(math.gcd(12, 18), json.dumps(textwrap.wrap('a b', 1)))")
    assert r.verdict == "ok" and r.stdout == '6 ["a", "b"]\n'


def test_program_errors_are_verdicts_not_crashes():
    assert run("1/0").verdict == "error" and "ZeroDivisionError" in run("1/0").detail
    assert run("def f(:").verdict == "error"
    assert run("import sys\nsys.exit(3)").verdict == "error"
    assert run("x = 1", function="f", inputs=["(1,)"]).verdict == "error"


def test_warnings_are_not_mistaken_for_escapes():
    # a compiler warning ("'str' object is not callable") and a runtime warning: harmless,
    # but showing a warning looks up frames, which the hook refuses; they are ignored
    code = "import warnings\ndef f(x):\n    warnings.warn('careful')\n    if x == 1:\n        return 'f'()\n    return x + 1\n"
    r = run(code, "f", ["(1,)", "(2,)"])
    assert r.verdict == "ok" and r.outputs == ["!TypeError", "3"], r


def test_infinite_loop_hits_the_cpu_limit():
    r = run("while True:\n    pass", limits=FAST)
    assert r.verdict == "cpu_limit" and r.seconds < FAST.wall_seconds + 2


def test_sleeping_forever_hits_the_wall_clock():
    r = run("import time\ntime.sleep(60)", limits=Limits(wall_seconds=1.0))
    assert r.verdict == "timeout" and r.seconds < 5


def test_fork_bomb_is_refused():
    r = run("import os\nwhile True:\n    os.fork()", limits=FAST)
    assert r.verdict == "blocked" and "os.fork" in r.detail


def test_memory_bomb_is_contained():
    for code in ("x = bytearray(10**10)", "x = [0] * 10**9", "s = 'a'\nwhile True:\n    s = s + s"):
        r = run(code, limits=FAST)
        assert r.verdict == "memory_limit", (code, r)


def test_huge_output_is_capped():
    r = run("while True:\n    print('spam' * 1000)", limits=FAST)
    assert r.verdict == "output_limit"
    assert 0 < len(r.stdout) <= FAST.output_chars


def test_huge_return_value_is_refused():
    r = run("def f(n):\n    return 'x' * n", function="f", inputs=["(1000000,)"], limits=FAST)
    assert r.verdict == "output_limit" and r.outputs == [None]


def test_writing_outside_its_directory(tmp_path):
    target = tmp_path / "pwned.txt"
    r = run(f"open({str(target)!r}, 'w').write('owned')")
    assert r.verdict == "blocked" and "writing" in r.detail
    assert not target.exists()
    # inside its own directory, files are fine (and gone afterwards)
    ok = run("open('scratch.txt', 'w').write('fine')\nprint(open('scratch.txt').read())")
    assert ok.verdict == "ok" and ok.stdout == "fine\n"


def test_reading_the_users_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the user's secret")
    for code in (f"print(open({str(secret)!r}).read())", f"import os\nprint(os.listdir({str(tmp_path)!r}))",
                 "print(open('/etc/passwd').read())", f"import pathlib\nprint(pathlib.Path({str(secret)!r}).read_text())",
                 "print(open(__file__).read())"):
        r = run(code)
        assert r.verdict in ("blocked", "error"), (code, r)
        assert "secret" not in r.stdout and "root:" not in r.stdout


def test_the_project_source_is_not_readable():
    project = Path(sandbox.__file__).resolve().parents[2]
    r = run(f"print(open({str(project / 'README.md')!r}).read()[:50])")
    assert r.verdict == "blocked" and r.stdout == ""


def test_opening_a_socket_is_refused():
    for code in ("import socket\nsocket.create_connection(('127.0.0.1', 22))", "import _socket",
                 "import urllib.request\nurllib.request.urlopen('http://127.0.0.1:9')"):
        r = run(code)
        assert r.verdict == "blocked", (code, r)


def test_network_namespace_reported():
    assert isinstance(sandbox.network_isolated(), bool)


def test_os_system_and_subprocesses_are_refused(tmp_path):
    marker = tmp_path / "ran"
    for code in (f"import os\nos.system('touch {marker}')", f"import subprocess\nsubprocess.run(['touch', '{marker}'])",
                 f"import os\nos.popen('touch {marker}')", f"import os\nos.execv('/bin/touch', ['touch', '{marker}'])",
                 f"import os\nos.posix_spawn('/bin/touch', ['touch', '{marker}'], {{}})"):
        r = run(code)
        assert r.verdict == "blocked", (code, r)
    assert not marker.exists()


def test_deleting_files_is_refused(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "data.txt").write_text("precious")
    for code in (f"import os\nos.remove({str(keep / 'data.txt')!r})", f"import shutil\nshutil.rmtree({str(keep)!r})",
                 f"import os\nos.rename({str(keep / 'data.txt')!r}, 'stolen.txt')"):
        r = run(code)
        assert r.verdict == "blocked", (code, r)
    assert (keep / "data.txt").read_text() == "precious"


def test_ctypes_and_introspection_are_refused():
    for code in ("import ctypes", "import _ctypes", "import gc\ngc.get_objects()",
                 "import sys\nsys._getframe(1)",
                 "try:\n    1/0\nexcept Exception as e:\n    print(e.__traceback__.tb_frame.f_back)",
                 "def g(): pass\ng.__code__ = (lambda: 1).__code__"):
        r = run(code)
        assert r.verdict == "blocked", (code, r)


def test_catching_the_refusal_does_not_hide_it():
    r = run("try:\n    import ctypes\nexcept Exception:\n    pass\nprint('carried on')")
    assert r.verdict == "blocked" and "ctypes" in r.detail


def test_many_files_are_refused():
    r = run("for i in range(100):\n    open(f'f{i}', 'w').write('x')")
    assert r.verdict == "blocked" and "files" in r.detail


def test_no_processes_left_behind_and_temp_dirs_removed():
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("sparring-sandbox-*"))
    start = time.time()
    r = run("import time\nwhile True:\n    time.sleep(0.01)", limits=Limits(wall_seconds=0.5))
    assert r.verdict == "timeout"
    assert set(Path(tempfile.gettempdir()).glob("sparring-sandbox-*")) == before
    # no process of ours is still running the child script
    leftover = [p for p in Path("/proc").glob("[0-9]*") if _cmdline(p).find("sandbox_child.py") >= 0]
    assert not leftover and time.time() - start < 10


def _cmdline(p: Path) -> str:
    try:
        return (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_run_many_runs_jobs_concurrently():
    jobs = [{"code": f"def f(x):\n    return x + {i}", "function": "f", "inputs": ["(1,)"]} for i in range(6)]
    results = sandbox.run_many(jobs)
    assert [r.outputs for r in results] == [[str(1 + i)] for i in range(6)]


@pytest.mark.skipif(os.geteuid() == 0 and not sandbox.network_isolated(), reason="needs a network namespace")
def test_environment_is_scrubbed():
    os.environ["SPARRING_SECRET_TOKEN"] = "hunter2"
    try:
        r = run("import os\nprint(sorted(os.environ))")
    finally:
        del os.environ["SPARRING_SECRET_TOKEN"]
    assert r.verdict == "ok" and "SPARRING_SECRET_TOKEN" not in r.stdout
