"""The child side of the sandbox: run as ``python -I -S sandbox_child.py spec.json``
inside a private temporary directory (see ``sandbox.py`` for the OS-level limits
around it).  Standard library only; it never imports sparring.

It reads the spec, opens its result file, then installs an audit hook that refuses
what a program under test has no business doing (creating processes, sockets,
loading native code, touching files outside its directory, introspecting frames
and the garbage collector to reach the runner's state) and finally runs the
program.  A refused operation raises inside the program *and* is remembered, so
a program that catches the error still gets the verdict ``blocked``.
"""
import ast
import errno
import importlib
import json
import os
import resource
import sys
import sysconfig
import warnings

# modules a test program may reasonably use, imported before the hook so that
# their import machinery needs no file access afterwards
PRELOADED = ("bisect", "collections", "copy", "decimal", "fractions", "functools", "heapq", "itertools", "math",
             "random", "re", "statistics", "string")
BLOCKED_PREFIXES = ("subprocess.", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.kill", "os.killpg",
                    "os.system", "pty.", "socket.", "ctypes.", "_ctypes.", "gc.", "sys._getframe", "sys._current",
                    "code.__new__", "marshal.", "resource.", "object.__getattr__", "object.__setattr__",
                    "object.__delattr__", "cpython.", "sys.setprofile", "sys.settrace", "os.setuid", "os.setgid",
                    "os.chroot", "os.mount", "winreg.", "urllib.", "http.", "ftplib.", "smtplib.", "webbrowser.")
BLOCKED_MODULES = {"ctypes", "_ctypes", "_posixsubprocess", "socket", "_socket", "ssl", "_ssl", "multiprocessing",
                   "subprocess", "signal", "_signal", "resource", "mmap", "pty", "gc"}
PATH_EVENTS = {"os.listdir", "os.scandir", "os.chdir", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod",
               "os.chown", "os.link", "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.copyfile",
               "shutil.move", "glob.glob", "os.chflags", "os.lchown", "os.walk", "os.getxattr", "os.setxattr"}
MAX_WRITES = 32
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def main() -> None:
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for name, value in spec["rlimits"].items():  # CPU: SIGXCPU at the soft limit, SIGKILL a second later
        hard = value + 1 if name == "RLIMIT_CPU" else value
        resource.setrlimit(getattr(resource, name), (value, hard))
    for name in PRELOADED:
        importlib.import_module(name)
    root = os.path.realpath(os.getcwd())
    # later imports compile from source: cached bytecode would need marshal.loads, which
    # the hook refuses (hand-made bytecode is how programs crash the interpreter)
    sys.pycache_prefix = os.path.join(root, ".no-bytecode-cache")
    readable = tuple({os.path.realpath(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib")})
    result = open(spec["result"], "w")
    cap = int(spec.get("max_repr", 10_000))
    violations = []
    created = [0]  # files opened for writing: with the file-size limit, this bounds the disk a program can fill

    def inside(path, roots) -> bool:
        try:
            p = os.path.realpath(os.fsdecode(path) if not isinstance(path, int) else "")
        except (TypeError, ValueError):
            return False
        return any(p == r or p.startswith(r + os.sep) for r in roots)

    def refuse(what: str):
        violations.append(what)
        raise PermissionError(f"sandbox: {what} is not allowed")

    def hook(event, args):
        if event == "import" and args[0].partition(".")[0] in BLOCKED_MODULES:
            refuse(f"import {args[0]}")
        if event.startswith(BLOCKED_PREFIXES):
            refuse(event)
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return
            writing = (mode is not None and any(c in str(mode) for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            if not (inside(path, (root,)) or (not writing and inside(path, readable))):
                refuse(f"{'writing' if writing else 'reading'} {os.fsdecode(path)}")
            created[0] += writing
            if created[0] > MAX_WRITES:
                refuse(f"opening more than {MAX_WRITES} files for writing")
        elif event in PATH_EVENTS:
            for a in args:
                if isinstance(a, (str, bytes, os.PathLike)) and not inside(a, (root,)):
                    refuse(f"{event} {os.fsdecode(a)}")

    out = {"outputs": [], "error": ""}
    try:
        # warnings are ignored: showing one looks up frames (sys._getframe), which
        # the hook refuses, and a compiler warning such as "'str' object is not
        # callable" in a harmless program must not read as an escape attempt
        warnings.simplefilter("ignore")
        code = compile(spec["code"], "<program>", "exec")
        sys.addaudithook(hook)
        calls = [ast.literal_eval(a) for a in spec.get("inputs", [])]  # argument tuples, parsed before the program runs
        namespace = {"__name__": "__main__", "__builtins__": __builtins__}
        exec(code, namespace)
        function = namespace.get(spec.get("function") or "", None)
        if calls and not callable(function):
            raise NameError(f"the program defines no function {spec.get('function')!r}")
        for args in calls:
            try:
                text = repr(function(*args))
                out["outputs"].append(text if len(text) <= cap else None)  # None: too large to return
            except PermissionError:
                raise
            except (MemoryError, RecursionError):
                raise
            except Exception as e:  # an input the function fails on: its own verdict, the others still run
                out["outputs"].append(f"!{type(e).__name__}")
    except MemoryError:
        out["error"] = "MemoryError"
    except OSError as e:  # Python ignores SIGXFSZ: a write past the file-size limit fails with EFBIG instead
        out["error"] = "FileTooLarge" if e.errno == errno.EFBIG else f"{type(e).__name__}: {str(e)[:200]}"
    except BaseException as e:  # SystemExit and KeyboardInterrupt included: the program ends here
        out["error"] = f"{type(e).__name__}: {str(e)[:200]}"
    out["violations"] = violations[:5]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # its file is full: what fitted is what the caller gets
            out["error"] = out["error"] or "FileTooLarge"
    result.write(json.dumps(out))
    result.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
