#!/usr/bin/env bash
# Builds the release preset and runs the benchmarks in tests/bench, then prints
# a table of the figures with the machine they ran on (issue 6, Performance).
# Figures only: nothing here passes or fails on time. The agent benchmarks
# start the real uda-agent binary of the same build with generated configs in
# temp dirs (TMPDIR); the "target" column is the issue's target, for reading.
#
#   scripts/bench.sh                          all benchmarks (a few minutes)
#   UDA_BENCH_ONLY=ingest,dispatch scripts/bench.sh   some of rules, ingest, dispatch, scale
#   UDA_BENCH_MIN_TIME=3 scripts/bench.sh     rules: seconds per benchmark (1)
#   UDA_BENCH_INGEST_SECONDS=60               ingest: measured seconds per mode (10)
#   UDA_BENCH_INGEST_CONNECTIONS=64           ingest: keep-alive connections (64)
#   UDA_BENCH_INGEST_COMMIT_DELAY=2ms         ingest: intake.commit_delay for both modes (default 0ms)
#   UDA_BENCH_DISPATCH_JOBS_50MS=3200         dispatch: jobs at 50 ms per call (3200)
#   UDA_BENCH_DISPATCH_JOBS_0MS=20000         dispatch: jobs at zero latency (20000)
#   UDA_BENCH_DISPATCH_CONCURRENCY=32         dispatch: dispatcher.concurrency (32)
#   UDA_BENCH_SCALE_JOBS=1000000              scale: pending jobs in the store (1000000)
#   UDA_BENCH_SCALE_RUN_S=5                   scale: seconds the agent runs per start (5)
#   UDA_BENCH_BUILD_DIR=build/mine            another build dir (configured with the release preset)
#   UDA_BENCH_KEEP=1                          keep the agents' temp dirs (logs, stores)
set -euo pipefail
cd "$(dirname "$0")/.."

only=",${UDA_BENCH_ONLY:-rules,ingest,dispatch,scale},"
want() { [[ "$only" == *",$1,"* ]]; }

build=${UDA_BENCH_BUILD_DIR:-build/release}
targets=()
want rules && targets+=(uda_rules_bench)
want ingest && targets+=(uda_ingest_bench)
want dispatch && targets+=(uda_dispatch_bench)
want scale && targets+=(uda_scale_bench)
[ ${#targets[@]} -gt 0 ] || { echo "UDA_BENCH_ONLY selects nothing" >&2; exit 2; }

scripts/bootstrap.sh >/dev/null
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" --target "${targets[@]}"
bin=$build/tests/bench
min_time=${UDA_BENCH_MIN_TIME:-1}
out=$(mktemp -d "${TMPDIR:-/tmp}/uda-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# The disk decides the durable figures: time fdatasync of 4 KiB where the
# agents' stores go (TMPDIR), before and after the runs.
fsync_probe() {
  python3 - "$out" <<'PY'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
times = []
for i in range(200):
    os.pwrite(fd, b"x" * 4096, (i % 16) * 4096)
    t = time.perf_counter()
    os.fdatasync(fd)
    times.append((time.perf_counter() - t) * 1000)
os.close(fd)
os.unlink(path)
print(f"{statistics.median(times):.2f}")
PY
}
fsync_probe >"$out/fsync-before"

# Rules: one core, Google Benchmark, JSON out.
if want rules; then
  "$bin/uda_rules_bench" --benchmark_min_time="$min_time" --benchmark_format=json \
    >"$out/rules.json"
fi
# Agent benchmarks: one JSON object per line on stdout, progress on stderr.
want ingest && "$bin/uda_ingest_bench" >"$out/ingest.jsonl"
want dispatch && "$bin/uda_dispatch_bench" >"$out/dispatch.jsonl"
want scale && "$bin/uda_scale_bench" >"$out/scale.jsonl"
fsync_probe >"$out/fsync-after"

python3 - "$out" <<'PY'
import json, os, platform, sys
out = sys.argv[1]

def load(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    if name.endswith(".json"):
        return [json.load(open(path))]
    return [json.loads(line) for line in open(path) if line.strip().startswith("{")]

cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
fs_before = open(os.path.join(out, "fsync-before")).read().strip()
fs_after = open(os.path.join(out, "fsync-after")).read().strip()
load1, load5, _ = os.getloadavg()
print()
print(f"machine: {os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}; "
      f"fdatasync of 4 KiB p50 {fs_before} ms before / {fs_after} ms after the runs; "
      f"load average {load1:.1f} (1 min) at the end")
print("build: uda-agent release preset (RelWithDebInfo); the load client and the agent share the CPUs")
print()
print("| benchmark | figure | detail | target |")
print("|---|---|---|---|")

for rules in load("rules.json"):
    for b in rules["benchmarks"]:
        if b.get("error_occurred"):
            print(f"| rules: {b['name']} | ERROR: {b.get('error_message')} | | |")
            continue
        rate = b.get("decisions/s", 0)
        # The issue's target is for deciding; the full trace is what the agent stores as well.
        target = "(decision and trace)" if "Trace" in b["name"] and "NoTrace" not in b["name"] else "1,000,000/s"
        print(f"| rules: {b['name']} ({int(b.get('rules', 0))} rules, 1 core) | "
              f"{rate:,.0f} decisions/s | {b['real_time']:.0f} {b['time_unit']} per decision | {target} |")

ingest = {r["mode"]: r for r in load("ingest.jsonl")}
for mode, label in (("group", "group commit (intake.commit_batch default 512)"),
                    ("single", "one trigger per transaction (commit_batch: 1)")):
    r = ingest.get(mode)
    if not r:
        continue
    other = ", ".join(f"{k}: {v}" for k, v in r["non_202"].items()) or "none"
    target = ">= 20,000/s, p99 < 20 ms" if mode == "group" else "(for the ratio)"
    print(f"| ingest over HTTP, {label}, {r['connections']} keep-alive connections, "
          f"{r['seconds']:.0f} s | {r['triggers_per_s']:,.0f} triggers/s acknowledged (202) | "
          f"latency p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms; "
          f"non-202: {other}; stored {r['stored_total']:,} >= acknowledged {r['acknowledged_total']:,} | {target} |")
if "group" in ingest and "single" in ingest and ingest["single"]["triggers_per_s"] > 0:
    ratio = ingest["group"]["triggers_per_s"] / ingest["single"]["triggers_per_s"]
    print(f"| ingest: group commit / one per transaction | {ratio:,.1f}x | "
          f"benchmark config: {ingest['group']['config_note']} | |")

for r in load("dispatch.jsonl"):
    if r["latency_ms"] > 0:
        print(f"| dispatch, simulated site {r['latency_ms']} ms per call, concurrency {r['concurrency']}, "
              f"{r['jobs']:,} jobs | {r['calls_per_s']:,.0f} calls/s = {100 * r['efficiency']:.0f}% "
              f"of {r['theoretical_calls_per_s']:,.0f} | {r['jobs_per_s']:,.0f} jobs/s (find + create per job), "
              f"{r['done']:,} done, {r['dead']} dead in {r['seconds']:.1f} s | >= 95% |")
    else:
        print(f"| dispatch, simulated site zero latency, concurrency {r['concurrency']}, "
              f"{r['jobs']:,} jobs | {r['jobs_per_s']:,.0f} jobs/s claim -> call -> complete | "
              f"{r['calls_per_s']:,.0f} calls/s, {r['done']:,} done, {r['dead']} dead in {r['seconds']:.1f} s | "
              f">= 20,000/s |")

for r in load("scale.jsonl"):
    s, rs = r["start"], r["restart"]
    n = f"{r['jobs']:,} pending jobs"
    hwm = max(s["vmhwm_kib"], rs["vmhwm_kib"]) / 1024
    print(f"| scale, {n}: agent peak RSS (VmHWM) | {hwm:.1f} MiB | start {s['vmhwm_kib'] / 1024:.1f} MiB, "
          f"restart {rs['vmhwm_kib'] / 1024:.1f} MiB (after running and one /metrics scrape: "
          f"{s['metrics_scrape_ms']:.0f} / {rs['metrics_scrape_ms']:.0f} ms) | < 64 MiB |")
    print(f"| scale, {n}: restart to first dispatch | {rs['first_dispatch_ms']:,} ms | "
          f"first start {s['first_dispatch_ms']:,} ms; spawn -> ready {s['ready_ms']} / {rs['ready_ms']} ms "
          f"(log polled) | < 1 s |")
    print(f"| scale, {n}: store size per job | {r['bytes_per_job']:,.0f} bytes | "
          f"{r['store_bytes'] / 2**20:,.0f} MiB (database + WAL) with triggers and indexes; "
          f"filled in {r['fill_seconds']:.0f} s | |")
PY
