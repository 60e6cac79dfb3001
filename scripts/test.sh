#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds, runs every Swift test (unit,
# integration with the real binaries), 1,000 seeds × 500 steps of the deterministic simulation, the browser tests (headless
# Chromium), the 15-second fuzz smoke of each target and
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

echo "== simulation (1,000 seeds × 500 steps, debug; scripts/simulate.sh runs any number)"; s=$(date +%s)
simlog=.build/simulation-ci.log
GRILLE_SIM_SEEDS=1000 GRILLE_SIM_STEPS=500 GRILLE_SIM_JOBS=2 swift test --skip-build \
  --filter 'SimulationTests.seededRunsLoseAndChangeNoAcknowledgedEvent' >"$simlog" 2>&1 || status=1
grep -E "^Simulation déterministe|^  (network|crashes|roster|devices|workflow|outcome):|Aucune graine|graine\(s\) en échec|^  graine" "$simlog" | head -20 | sed 's/^/   /'
took simulation "$s"

if [ -f Tests/Browser/browser_test.py ]; then
  echo "== browser tests (headless Chromium: agent UI and dashboard)"; s=$(date +%s)
  /usr/bin/python3 Tests/Browser/browser_test.py .build/debug .build/screenshots >.build/browser-test.log 2>&1 || status=1
  grep -E "^==|FAIL|passed, " .build/browser-test.log | sed 's/^/   /'
  took "browser tests" "$s"
fi

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
failed=$(grep -E "^✘ Test .* failed after" "$log" | grep -cv "^✘ Test run with" || true)
grep -E "Test run with [0-9]+ tests" "$log" | tail -1
# The seeded simulation counts as one test.
if [ -f .build/simulation-ci.log ]; then
  total=$(( total + 1 ))
  grep -q "Aucune graine en échec" .build/simulation-ci.log || failed=$(( failed + 1 ))
fi
# The browser checks count beside the Swift tests.
if [ -f .build/browser-test.log ]; then
  browser=$(grep -E "^[0-9]+ passed, [0-9]+ failed" .build/browser-test.log | tail -1)
  if [ -n "$browser" ]; then
    total=$(( total + $(echo "$browser" | cut -d' ' -f1) + $(echo "$browser" | cut -d' ' -f3) ))
    failed=$(( failed + $(echo "$browser" | cut -d' ' -f3) ))
    echo "   browser checks: $browser"
  else
    failed=$(( failed + 1 )); total=$(( total + 1 )); echo "   browser checks: the script stopped early (.build/browser-test.log)"
  fi
fi
echo "$(( total - failed )) passed, $failed failed"
exit "$status"
