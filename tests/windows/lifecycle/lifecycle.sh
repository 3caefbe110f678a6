#!/usr/bin/env bash
# The Windows service lifecycle, end to end, under Wine (run from Linux):
#
#   1. a private WINEPREFIX (wineboot -i) with a persistent wineserver
#   2. wine msiexec /i uda-agent-<version>-x64.msi /qn
#   3. the UdaAgent service reaches RUNNING (wine sc query UdaAgent) and
#      answers GET /healthz on 127.0.0.1:8700 (the installed configuration)
#   4. a trigger is POSTed from Linux (curl) and dispatched to the simulated
#      site: GET /v1/triggers/{id} shows its job done
#   5. wine net stop UdaAgent (STOPPED), `uda-agent.exe jobs list --json` reads
#      the store, wine net start UdaAgent (RUNNING), and the trigger and its
#      job are still done after the restart
#   6. wine msiexec /x ... /qn: the service is gone, the program folder is
#      gone, C:\ProgramData\UdaAgent (config, store) is kept
#
#   tests/windows/lifecycle/lifecycle.sh [--msi PATH] [--keep]
#
#   --msi PATH  the installer (default: build/windows-cross/uda-agent-<version>-x64.msi,
#               built by scripts/build-msi.sh)
#   --keep      keep the Wine prefix afterwards (it is kept anyway on failure)
#
# Needs wine, curl, and a free 127.0.0.1:8700 (the installed configuration
# listens there). Exit 0 = passed, 1 = failed, 77 = skipped (wine missing,
# port taken). Registered with CTest by tests/windows/lifecycle/CMakeLists.txt
# in the windows-cross build (label windows).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
version="$(sed -nE 's/^project\(uda-agent VERSION ([0-9]+\.[0-9]+\.[0-9]+).*/\1/p' "$root/CMakeLists.txt")"
msi="$root/build/windows-cross/uda-agent-$version-x64.msi"
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --msi) msi="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "lifecycle: unknown argument $1" >&2; exit 2 ;;
  esac
done

api="http://127.0.0.1:8700"
skip() { echo "lifecycle: SKIPPED: $*" >&2; exit 77; }
for tool in wine wineboot wineserver curl; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[[ -f "$msi" ]] || { echo "lifecycle: $msi not found (scripts/build-msi.sh)" >&2; exit 1; }
msi="$(cd "$(dirname "$msi")" && pwd)/$(basename "$msi")"
if curl -s -o /dev/null --max-time 2 "$api/healthz"; then
  skip "something already answers on 127.0.0.1:8700"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/uda-lifecycle.XXXXXX")"
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
drive_c="$WINEPREFIX/drive_c"
data="$drive_c/ProgramData/UdaAgent"
step() { echo "lifecycle: $*" >&2; }
failed=1
finish() {
  set +e
  if [[ $failed -ne 0 ]]; then
    step "FAILED; Wine prefix kept in $WINEPREFIX"
    for f in "$data/logs/uda-agent.log" "$drive_c/msi-install.log"; do
      [[ -f "$f" ]] && { echo "--- $f (tail)" >&2; tail -n 40 "$f" >&2; }
    done
  fi
  wine net stop UdaAgent >/dev/null 2>&1
  wineserver -k >/dev/null 2>&1
  wineserver -w >/dev/null 2>&1
  if [[ $failed -eq 0 && $keep -eq 0 ]]; then rm -rf "$work"; fi
}
trap finish EXIT
fail() { step "FAIL: $*"; exit 1; }

# wait_state STATE SECONDS: polls `sc query UdaAgent` until STATE.
wait_state() {
  local want="$1" secs="$2" out=""
  for _ in $(seq $((secs * 2))); do
    out="$(wine sc query UdaAgent 2>&1 | tr -d '\r' || true)"
    grep -q "STATE *: *[0-9]* *$want" <<<"$out" && return 0
    sleep 0.5
  done
  step "service not $want after ${secs}s:"
  echo "$out" >&2
  return 1
}
wait_http() {
  for _ in $(seq 120); do
    curl -sf --max-time 2 -o /dev/null "$api/healthz" && return 0
    sleep 0.5
  done
  return 1
}
# trigger_done ID: the trigger's job is done (compact JSON from the API).
trigger_json() { curl -sf --max-time 5 "$api/v1/triggers/$1"; }
job_done() { grep -q '"state":"done"' <<<"$1" && grep -q '"outcome":"created"' <<<"$1"; }

step "Wine prefix $WINEPREFIX"
wineboot -i >/dev/null 2>&1 || fail "wineboot -i failed"
# Let the first boot finish: in a fresh prefix, msiexec started while
# wineboot's processes still run gets "service database locked" (1055) from
# StartServices and rolls the install back.
wineserver -w
# Persistent server (services die ~3 s after the last process otherwise).
wineserver -p >/dev/null 2>&1 || true
wine cmd /c exit </dev/null >/dev/null 2>&1 || fail "wine does not run in $WINEPREFIX"

step "install $msi"
wine msiexec /i "$(winepath -w "$msi")" /qn /l*v 'C:\msi-install.log' </dev/null ||
  fail "msiexec /i exited $?"
[[ -f "$drive_c/Program Files/UdaAgent/uda-agent.exe" ]] || fail "uda-agent.exe not installed"
[[ -f "$data/uda-agent.yaml" && -f "$data/rules/default.yaml" && -f "$data/simulated-site.yaml" ]] ||
  fail "configuration not installed in C:\\ProgramData\\UdaAgent"
wait_state RUNNING 60 || fail "service did not start"
wait_http || fail "the HTTP API did not answer on $api"
step "service RUNNING, HTTP API up"

id_key="lifecycle-$$-$RANDOM"
answer="$(curl -sf --max-time 10 -X POST "$api/v1/triggers" -H 'Content-Type: application/json' \
  -H "Idempotency-Key: $id_key" \
  -d '{"kind":"osd","machine":{"name":"LT-0101"},"user":"CONTOSO\\bwilson","attributes":{"ts.name":"lifecycle"}}')" ||
  fail "POST /v1/triggers failed"
id="$(grep -o '"id":"[^"]*"' <<<"$answer" | head -n 1 | cut -d'"' -f4)"
[[ -n "$id" ]] || fail "no trigger id in: $answer"
step "trigger $id accepted"
state=""
for _ in $(seq 60); do
  state="$(trigger_json "$id" || true)"
  job_done "$state" && break
  sleep 0.5
done
job_done "$state" || fail "trigger $id not dispatched: $state"
step "trigger $id: job done (relationship created in the simulated site)"

step "net stop UdaAgent"
wine net stop UdaAgent </dev/null >/dev/null 2>&1 || true
wait_state STOPPED 60 || fail "service did not stop"
if curl -s -o /dev/null --max-time 2 "$api/healthz"; then fail "HTTP API still answers after stop"; fi
exe='C:\Program Files\UdaAgent\uda-agent.exe'
cfg='C:\ProgramData\UdaAgent\uda-agent.yaml'
jobs="$(wine "$exe" --config "$cfg" --json jobs list </dev/null 2>/dev/null | tr -d '\r' || true)"
grep -q "$id" <<<"$jobs" || fail "jobs list --json (service stopped) does not show trigger $id: $jobs"
step "jobs list --json while stopped shows the job"

step "net start UdaAgent"
wine net start UdaAgent </dev/null >/dev/null 2>&1 || true
wait_state RUNNING 60 || fail "service did not start again"
wait_http || fail "the HTTP API did not come back"
state="$(trigger_json "$id" || true)"
job_done "$state" || fail "after the restart, trigger $id is not done: $state"
step "after the restart trigger $id is still done"

step "uninstall"
wine msiexec /x "$(winepath -w "$msi")" /qn </dev/null || fail "msiexec /x exited $?"
# The MSI stops and deletes the service; the SCM removes a deleted service once
# the last handle to it is closed, which may be a moment after msiexec returns.
installed() { wine sc query UdaAgent </dev/null 2>&1 | grep -q "SERVICE_NAME"; }
for _ in $(seq 1 60); do installed || break; sleep 1; done
if installed; then
  fail "service UdaAgent still installed 60 s after uninstall"
fi
[[ ! -e "$drive_c/Program Files/UdaAgent/uda-agent.exe" ]] || fail "uda-agent.exe left behind"
[[ -f "$data/uda-agent.yaml" ]] || fail "uninstall removed C:\\ProgramData\\UdaAgent\\uda-agent.yaml"
[[ -f "$data/data/uda-agent.db" ]] || fail "uninstall removed the store (data\\uda-agent.db)"
step "service removed; C:\\ProgramData\\UdaAgent kept"

failed=0
step "PASSED"
