#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (the `fuzz` preset: clang 14,
# ASan + UBSan, in build/fuzz) and runs each for a bounded time, on a
# temporary copy of its seed corpus tests/fuzz/corpus/<target>/ (the committed
# corpus never grows). Non-interactive, for CI.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      default 30
#   UDA_FUZZ_TARGETS="spool_file escaping" scripts/fuzz.sh 60   some targets only
#
# Prints per target the executions and the coverage (libFuzzer's cov:) reached.
# Exits 1 when a target finds something (crash, sanitizer report, broken
# property, leak, timeout, out of memory): the reproducer is kept under
# build/fuzz/artifacts/<target>/ and the command to re-run it is printed.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-30}
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET]" >&2
  exit 2
fi
all_targets=(trigger_json spool_file rules_loader config_loader escaping)
read -r -a targets <<<"${UDA_FUZZ_TARGETS:-${all_targets[*]}}"
# Largest input per target: a little above the largest seed; bigger inputs
# only make each run slower without reaching other code.
declare -A max_len=([trigger_json]=4096 [spool_file]=8192 [rules_loader]=8192
                    [config_loader]=8192 [escaping]=1024)

t0=$SECONDS
scripts/bootstrap.sh
cmake --preset fuzz
cmake --build --preset fuzz
echo "fuzz: configure + build took $((SECONDS - t0)) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/uda-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
common=(-timeout=10 -rss_limit_mb=2048)

failed=()
for t in "${targets[@]}"; do
  bin=build/fuzz/tests/fuzz/fuzz_$t
  seeds=tests/fuzz/corpus/$t
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ] || [ -z "${max_len[$t]:-}" ]; then
    echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2
    exit 2
  fi
  corpus=$work/$t
  mkdir -p "$corpus"
  cp -r "$seeds/." "$corpus/"
  artifacts=build/fuzz/artifacts/$t
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  log=$work/$t.log
  s=$SECONDS
  rc=0
  "$bin" "${common[@]}" -max_len="${max_len[$t]}" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" </dev/null >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
  units=$(find "$corpus" -type f | wc -l)
  echo "fuzz: $t: ${runs:-?} executions in $((SECONDS - s)) s, cov: ${cov:-?} ft: ${ft:-?}," \
    "corpus $(find "$seeds" -type f | wc -l) -> $units inputs, exit $rc"
  # A finding is a non-zero exit or a reproducer file (crash-, leak-,
  # timeout-, oom-); slow-unit- files are reports, not failures.
  mapfile -t found < <(find "$artifacts" -type f ! -name 'slow-unit-*' | sort)
  if [ "$rc" -ne 0 ] || [ ${#found[@]} -gt 0 ]; then
    failed+=("$t")
    echo "fuzz: $t FAILED; the end of its output:"
    tail -n 60 "$log" | sed 's/^/    /'
    for f in "${found[@]}"; do
      echo "fuzz: reproducer: $f"
      echo "fuzz: re-run it:  $bin ${common[*]} $f"
    done
    [ ${#found[@]} -gt 0 ] || echo "fuzz: no reproducer was written; the log is above"
  fi
done

echo "fuzz: ${#targets[@]} targets, ${secs} s each, all done in $((SECONDS - t0)) s"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: no findings"
