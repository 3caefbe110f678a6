#!/usr/bin/env bash
# Builds the release preset and runs the benchmarks in tests/bench, then prints
# a table of the figures with the machine they ran on (issue 6, Performance).
# Figures only: nothing here passes or fails on time.
#
#   scripts/bench.sh                 all benchmarks
#   UDA_BENCH_MIN_TIME=3 scripts/bench.sh   longer runs (seconds per benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target uda_rules_bench
bin=build/release/tests/bench
min_time=${UDA_BENCH_MIN_TIME:-1}
out=$(mktemp -d "${TMPDIR:-/tmp}/uda-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Rules: one core, Google Benchmark, JSON out.
"$bin/uda_rules_bench" --benchmark_min_time="$min_time" --benchmark_format=json \
  >"$out/rules.json"

python3 - "$out/rules.json" <<'PY'
import json, platform, subprocess, sys
rules = json.load(open(sys.argv[1]))
ctx = rules["context"]
cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
print()
print(f"machine: {ctx.get('num_cpus')} CPUs, {cpu}, {platform.system()} {platform.release()}")
print(f"build: {ctx.get('library_build_type', '?')} Google Benchmark, uda-agent release preset (RelWithDebInfo)")
print()
print("| benchmark | figure | per operation |")
print("|---|---|---|")
for b in rules["benchmarks"]:
    if b.get("error_occurred"):
        print(f"| {b['name']} | ERROR: {b.get('error_message')} | |")
        continue
    rate = b.get("decisions/s", 0)
    print(f"| rules: {b['name']} ({int(b.get('rules', 0))} rules, 1 core) | "
          f"{rate:,.0f} decisions/s | {b['real_time']:.0f} {b['time_unit']} |")
PY
