#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test, and prints the time of each part.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
took() { echo "   ($1: $(( $(date +%s) - $2 )) s)"; }

echo "== dependencies"; s=$(date +%s)
bash scripts/ensure-deps.sh
took dependencies "$s"

echo "== build (debug, with tests)"; s=$(date +%s)
swift build --build-tests 2>&1 | grep -E "error|warning:|Build complete" || true
swift build --build-tests >/dev/null 2>&1 || { echo "build failed"; swift build --build-tests; exit 1; }
took build "$s"

echo "== tests"; s=$(date +%s)
log=.build/test-output.log
set +e
swift test --skip-build >"$log" 2>&1
status=$?
set -e
# Failures in full, then one line per suite.
grep -E "✘|error:|Fatal error" "$log" || true
grep -E "^✔ Suite .* passed after" "$log" | sed 's/^/   /' || true
took tests "$s"
echo "== total: $(( $(date +%s) - t0 )) s (full test log: $log)"
total=$(grep -oE "Test run with [0-9]+ tests" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
failed=$(grep -cE "^✘ Test .* failed after" "$log" || true)
echo "$(( total - failed )) passed, $failed failed"
grep -E "Test run with [0-9]+ tests" "$log" | tail -1
exit "$status"
