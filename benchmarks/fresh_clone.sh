#!/usr/bin/env bash
# A new user's first ten minutes: clone, then the README's two quickstart commands, timed.
#   bash benchmarks/fresh_clone.sh      -> benchmarks/results/fresh_clone.json
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
git clone -q "$repo" "$work/sparring"
cd "$work/sparring"
cmd1=$(grep -m1 '^python3 -m venv .venv' README.md)
cmd2=$(grep '^python3 -m venv .venv' README.md | sed -n 2p)
t0=$(date +%s); bash -c "$cmd1" > "$work/cmd1.log" 2>&1; rc1=$?; t1=$(date +%s)
bash -c "$cmd2" > "$work/cmd2.log" 2>&1; rc2=$?; t2=$(date +%s)
python3 - "$repo/benchmarks/results/fresh_clone.json" "$rc1" "$((t1-t0))" "$rc2" "$((t2-t1))" "$work" <<'PY'
import json, sys
out, rc1, s1, rc2, s2, work = sys.argv[1:]
tail = lambda f: open(f"{work}/{f}").read()[-1500:]
r = {"command1_exit": int(rc1), "command1_minutes": round(int(s1) / 60, 2),
     "command2_exit": int(rc2), "command2_minutes": round(int(s2) / 60, 2),
     "command1_tail": tail("cmd1.log"), "command2_tail": tail("cmd2.log")}
json.dump(r, open(out, "w"), indent=2)
print(json.dumps(r, indent=2))
PY
