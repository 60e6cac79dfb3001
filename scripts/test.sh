#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every Swift test (unit,
# integration with the real binaries, browser, simulation), the 15-second fuzz smoke of each target and
# the nginx/TLS deployment test; prints the time of each part.
set -uo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
status=0
took() { echo "   ($1: $(( $(date +%s) - $2 )) s)"; }

echo "== dependencies"; s=$(date +%s)
bash scripts/ensure-deps.sh || exit 1
[ -f scripts/ensure-browser.sh ] && { bash scripts/ensure-browser.sh || echo "   (browser tools unavailable: the browser tests will say so)"; }
took dependencies "$s"

echo "== build (debug, with tests)"; s=$(date +%s)
if ! swift build --build-tests >.build-test-build.log 2>&1; then
  grep -E "error" .build-test-build.log | head -40; echo "build failed"; exit 1
fi
grep -E "warning:" .build-test-build.log | sort -u | head -20
took build "$s"

echo "== swift tests"; s=$(date +%s)
log=.build/test-output.log
swift test --skip-build >"$log" 2>&1 || status=1
grep -E "✘|error:|Fatal error" "$log" | head -80
grep -E "^✔ Suite .* passed after" "$log" | sed 's/^/   /'
grep -E "^simulation:|^   simulation" "$log" | head -20
took "swift tests" "$s"

if [ -x scripts/fuzz.sh ] || [ -f scripts/fuzz.sh ]; then
  echo "== fuzz smoke (15 s per target)"; s=$(date +%s)
  bash scripts/fuzz.sh all 15 || status=1
  took "fuzz smoke" "$s"
fi

if [ -f scripts/tls-test.sh ]; then
  echo "== deployment: nginx TLS, backup, revoke, purge, restore"; s=$(date +%s)
  bash scripts/tls-test.sh || status=1
  took "TLS deployment test" "$s"
fi

echo "== total: $(( $(date +%s) - t0 )) s (swift test log: $log)"
total=$(grep -oE "Test run with [0-9]+ tests" "$log" | tail -1 | grep -oE "[0-9]+" || echo 0)
failed=$(grep -cE "^✘ Test .* failed after" "$log" || true)
echo "$(( total - failed )) passed, $failed failed"
grep -E "Test run with [0-9]+ tests" "$log" | tail -1
exit "$status"
